// Countdowns to lot deadlines, by the server's clock. Pages carry the server's "now" (data-server-now);
// the visitor's clock only measures the time passed since then, so a wrong clock or time zone changes nothing.
(function () {
  "use strict";
  let offset = 0; // the server's time minus this device's time, in milliseconds

  function sync(stamp, localMoment) {
    const server = Date.parse(stamp);
    if (!Number.isNaN(server)) offset = server - localMoment;
  }

  // The server's "now" was true when its response started to arrive, not when this script ran.
  function pageArrival() {
    const entries = performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    return entries.length ? performance.timeOrigin + entries[0].responseStart : Date.now();
  }

  function pad(number) {
    return String(number).padStart(2, "0");
  }

  function render(element, now) {
    const left = Math.max(0, Math.floor((Date.parse(element.dataset.deadline) - now) / 1000));
    const days = Math.floor(left / 86400);
    const clock = pad(Math.floor((left % 86400) / 3600)) + ":" + pad(Math.floor((left % 3600) / 60)) + ":" + pad(left % 60);
    element.textContent = days ? days + "\u00a0" + document.body.dataset.daysLabel + " " + clock : clock;
    element.classList.toggle("countdown-over", left === 0);
  }

  function tick() {
    const now = Date.now() + offset;
    document.querySelectorAll("[data-deadline]").forEach(function (element) { render(element, now); });
  }

  sync(document.body.dataset.serverNow, pageArrival());
  // Fragments swapped in by htmx carry a fresher server time. Swaps of server-sent events name no
  // target in their details (htmx's SSE extension swaps directly), so fall back to the event's element.
  document.addEventListener("htmx:afterSwap", function (event) {
    const swapped = event.detail.target || event.target;
    const fresh = swapped.querySelector("[data-server-now]");
    if (fresh) sync(fresh.dataset.serverNow, Date.now());
    const live = swapped.querySelector("[data-closes-at]");
    if (live) moveClose(live.dataset.closesAt, live.dataset.closesText);
    tick();
  });

  // One closing time on the whole page: a live update that moves the close (a soft-close extension, a descending
  // auction stopped by an acceptance) moves every time and countdown marked data-lot-close, not only the panel's.
  function moveClose(stamp, text) {
    document.querySelectorAll("[data-lot-close]").forEach(function (element) {
      if (element.hasAttribute("data-deadline")) {
        element.dataset.deadline = stamp;
      } else if (element instanceof HTMLTimeElement) {
        element.dateTime = stamp;
        if (text) element.textContent = text;
      }
    });
  }
  tick();
  setInterval(tick, 1000);
})();
