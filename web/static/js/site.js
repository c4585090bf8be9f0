// Small helpers around htmx: tidy shareable URLs, say when a request failed, and take keyboard and
// screen-reader users to a form's problems after htmx swapped the form in.
(function () {
  "use strict";

  // On a phone the results matter more than the form: fold the other filters away until one is in use.
  const moreFilters = document.querySelector("details.more-filters[data-fold-on-phone]");
  if (moreFilters && window.matchMedia("(max-width: 40rem)").matches) moreFilters.open = false;

  // On a phone the header stays one line or two: the menu folds behind a button (a disclosure, aria-expanded).
  const navToggle = document.querySelector(".nav-toggle");
  const header = document.querySelector(".site-header");
  if (navToggle && header) {
    const phone = window.matchMedia("(max-width: 40rem)");
    const fold = function () {
      const folded = phone.matches;
      navToggle.hidden = !folded;
      header.classList.toggle("nav-folded", folded);
      navToggle.setAttribute("aria-expanded", String(!folded));
    };
    navToggle.addEventListener("click", function () {
      const open = navToggle.getAttribute("aria-expanded") !== "true";
      navToggle.setAttribute("aria-expanded", String(open));
      header.classList.toggle("nav-folded", !open);
    });
    phone.addEventListener("change", fold);
    fold();
  }

  // Empty filters add nothing to a shareable URL: drop them from GET requests and so from the pushed URL.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    const data = event.detail.formData;
    Array.from(new Set(data.keys())).forEach(function (key) {
      if (data.getAll(key).every(function (value) { return value === ""; })) data.delete(key);
    });
  });

  function requestFailed(failed) {
    const banner = document.getElementById("request-error");
    if (banner) banner.hidden = !failed;
  }
  // htmx leaves the page as it was when a request fails; without this the visitor would not know.
  document.addEventListener("htmx:responseError", function () { requestFailed(true); });
  document.addEventListener("htmx:sendError", function () { requestFailed(true); });

  // Print buttons (the results protocol) need a script; without one the browser's own Print still works.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // Copy buttons (the ledger's checkpoint to republish) need a script and the clipboard, so they start hidden.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    const source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = button.dataset.copied || label;
        setTimeout(function () { button.textContent = label; }, 2000);
      });
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    requestFailed(false);
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      const summary = document.querySelector(".error-summary[tabindex]");
      if (summary) summary.focus();
    }
  });
})();
