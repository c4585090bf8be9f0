// The lot page's bidding panel: seals a sealed bid in the browser before htmx sends it (only the
// ciphertext leaves the page), to the lot key the signed ledger holds (lot-key.js), then checks that the
// receipt covers exactly that ciphertext; and keeps the open bid form's suggested amount at the live minimum.
import { somInFigures, somInWords } from "./amount.js";
import { LotKeyError, checkSealedReceipt, ledgerKeyFingerprint, verifiedLotKey } from "./lot-key.js";
import { ciphertextHash, encryptBid } from "./sealed-bid.js";

const TYIYN_PER_SOM = 100;

// Som as typed ("1 250 000,50") to whole tyiyn, exactly as auction.money.parse_som reads it; no floats.
export function somToTyiyn(text) {
  const cleaned = String(text).trim().replace(/[\u00a0 ]/g, "").replace(",", ".");
  const match = /^(\d+)(?:\.(\d{0,2}))?$/.exec(cleaned);
  if (!match) return null;
  const tyiyn = Number(match[1]) * TYIYN_PER_SOM + Number((match[2] || "").padEnd(2, "0"));
  return Number.isSafeInteger(tyiyn) && tyiyn > 0 ? tyiyn : null;
}

function showProblem(form, message) {
  const input = form.querySelector("#f-sealed-amount");
  const error = form.querySelector("#f-sealed-amount-error");
  error.textContent = message;
  error.hidden = !message;
  input.toggleAttribute("aria-invalid", Boolean(message));
  input.closest(".field").classList.toggle("has-error", Boolean(message));
  if (message) input.focus();
}

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-sealed")) return;
  // The form never posts itself: it has the amount in clear. htmx sends it once it holds only ciphertext.
  event.preventDefault();
  const amount = somToTyiyn(form.querySelector("#f-sealed-amount").value);
  if (amount === null) {
    showProblem(form, form.dataset.badAmount);
    return;
  }
  // The starting price is a floor: the platform cannot read a sealed amount before the opening, where a bid
  // below it is disqualified, so this browser is the one place that can stop it in time.
  if (amount < Number(form.dataset.startingPrice)) {
    showProblem(form, form.dataset.belowStart);
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  const { lotId, pseudonym } = form.dataset;
  let ciphertext;
  try {
    // Only a key proven in the signed ledger under the pinned log key: never one the server merely states.
    const publicKey = await verifiedLotKey(lotId);
    showFingerprint(form);
    ciphertext = await encryptBid(publicKey, lotId, pseudonym, amount);
  } catch (error) {
    showProblem(form, keyProblem(form, error));
    return;
  } finally {
    button.disabled = false;
  }
  form.elements.namedItem("ciphertext").value = ciphertext;
  // The confirmation (passkeys.js) repeats exactly the amount inside this ciphertext, whatever the field says now.
  form.dataset.sealedAmount = String(amount);
  sealed = { lotId, ciphertext };
  // Kept before it is sent, so the answer's page can show it back at once; shown only if the platform's standing
  // bid is this very ciphertext, so a bid cancelled at the confirmation or refused never shows.
  await keepSealedAmount(lotId, ciphertext, amount);
  showProblem(form, "");
  htmx.trigger(form, "sealed");
});

// What this page sealed last, until the answer's receipt has been checked against it.
let sealed = null;

function keyProblem(form, error) {
  if (!(error instanceof LotKeyError)) return form.dataset.cannotSeal;
  const words = { key_changed: form.dataset.keyChanged, unproven: form.dataset.keyUnproven };
  // The technical reason follows the plain words, for whoever the bidder reports it to.
  return `${words[error.code] || form.dataset.keyUnavailable} (${error.message})`;
}

async function showFingerprint(form) {
  const shown = form.querySelector("#ledger-key-fingerprint");
  if (shown) shown.textContent = await ledgerKeyFingerprint(form.dataset.ledgerVkey);
}

document.addEventListener("htmx:afterSwap", async (event) => {
  // Only the answer to the sealed form's own request: while the bidder confirms with their passkey, a live
  // update (or another form's answer) may swap too, and the last bid's receipt, still on the page, must not be
  // checked against the bid now being signed, nor use up the check the new receipt is owed.
  const request = event.detail && event.detail.requestConfig;
  const form = request && request.elt;
  if (!sealed || !(form instanceof HTMLFormElement) || !form.hasAttribute("data-sealed")) return;
  const { lotId, ciphertext } = sealed;
  sealed = null;
  // The answer replaces the whole bid area (outerHTML): its fresh receipt, unless the bid was refused.
  const receipt = document.querySelector("#bid-area section.receipt-fresh[data-body]");
  if (!receipt) return;
  const line = receipt.querySelector(".receipt-check");
  try {
    await checkSealedReceipt(receipt.dataset.receiptNote, receipt.dataset.body, ciphertext, { lotId });
    line.textContent = receipt.dataset.receiptChecked;
    line.classList.add("receipt-checked");

  } catch (error) {
    line.textContent = `${receipt.dataset.receiptMismatch} (${error.message})`;
    line.classList.add("notice", "notice-error");
    line.setAttribute("role", "alert");
  }
  line.hidden = false;
});

// Each live update carries the new minimum next bid: move the suggested amount along, unless the bidder
// has typed an amount of their own.
document.addEventListener("htmx:afterSwap", (event) => {
  const live = (event.detail.target || event.target).querySelector("[data-minimum]");
  const input = document.querySelector("#bid-form #f-amount");
  if (!live || !input) return;
  if (input.value === input.dataset.suggested || input.value === "") {
    input.value = live.dataset.minimum;
  }
  input.dataset.suggested = live.dataset.minimum;
});

// ---------------------------------------------------------------------------------------------------------------
// "Your sealed bid: X", to its own bidder only. The platform cannot read a sealed amount before the opening, so
// the page shows what this browser kept when it sealed the bid, and only when the kept ciphertext is the one the
// platform holds as the standing bid (the same SHA-256 the bidder signed). Kept in this browser's storage, under
// the lot and that hash; never sent anywhere. Another device, or cleared storage, shows that it cannot tell.

const KEPT_PREFIX = "achyk.sealed.";

function keptKey(lotId, hash) {
  return `${KEPT_PREFIX}${lotId}.${hash}`;
}

async function keepSealedAmount(lotId, ciphertext, amount) {
  try {
    localStorage.setItem(keptKey(lotId, await ciphertextHash(ciphertext)), String(amount));
  } catch {
    // Private browsing or storage full: the bid stands all the same; the page just cannot show it back.
  }
}

function keptAmount(lotId, hash) {
  try {
    const raw = localStorage.getItem(keptKey(lotId, hash));
    return /^[1-9][0-9]*$/.test(raw || "") ? Number(raw) : null;
  } catch {
    return null;
  }
}

export function showOwnSealed(root = document) {
  const line = root.querySelector("#own-sealed[data-ciphertext-hash]");
  if (!line) return;
  const { lotId, ciphertextHash: hash } = line.dataset;
  const amount = keptAmount(lotId, hash);
  const language = ["ky", "ru", "en"].includes(document.documentElement.lang) ? document.documentElement.lang : "en";
  if (amount === null) {
    line.textContent = line.dataset.unknown;
  } else {
    const figures = document.createElement("strong");
    figures.textContent = somInFigures(amount, language, line.dataset.som);
    const [before, after] = line.dataset.known.split("{amount}");
    line.replaceChildren(before, figures, ` — ${somInWords(amount, language)}`, after || "");
  }
  line.hidden = false;
}

// Amounts of bids that no longer stand (replaced, withdrawn, or never sent) are forgotten when the lot's page loads;
// not on later swaps, which may come while a bid just kept is still on its way.
function forgetOldSealed() {
  const form = document.querySelector("form[data-sealed][data-lot-id]");
  if (!form) return;
  const line = document.querySelector("#own-sealed[data-ciphertext-hash]");
  const keep = line ? keptKey(form.dataset.lotId, line.dataset.ciphertextHash) : null;
  const prefix = `${KEPT_PREFIX}${form.dataset.lotId}.`;
  try {
    for (const key of Object.keys(localStorage)) {
      if (key.startsWith(prefix) && key !== keep) localStorage.removeItem(key);
    }
  } catch {
    // No storage: nothing was kept.
  }
}

forgetOldSealed();
showOwnSealed();
document.addEventListener("htmx:afterSwap", () => showOwnSealed());
