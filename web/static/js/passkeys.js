// Passkeys in the browser (docs/keys.md 1): adding one on /account/keys, and signing every binding bidder action
// with one. A bidder form (`data-statement-action`) never leaves the page unsigned: this script builds the
// statement, asks the passkey to sign SHA-256(JCS(statement)), puts the assertion into the form's hidden `signed`
// field and only then lets the form go. The private key never leaves the authenticator; the server learns nothing
// it could sign with.
import "/static/vendor/simplewebauthn-browser.umd.min.js";
import { farAbove, somInFigures, somInWords, timesPrice } from "./amount.js";
import { somToTyiyn } from "./bidding.js";
import {
  buildStatement,
  ciphertextHash,
  keyId,
  newNonce,
  offerHash,
  statementChallenge,
  statementTime,
} from "./statement.js";

const webauthn = globalThis.SimpleWebAuthnBrowser;
// The server refuses a statement whose seen_at is more than 300 s from its own clock (STATEMENT_MAX_SKEW_SECONDS).
// A device clock this far off is told so before signing, leaving a margin for the touch and the request.
const SKEW_WARNING_MS = 240_000;
const PROMPT_TIMEOUT_MS = 120_000;
const LANGUAGES = ["ky", "ru", "en"];

const messagesElement = document.getElementById("passkey-messages");
const messages = messagesElement ? JSON.parse(messagesElement.textContent) : {};

function say(name, values = {}) {
  const template = messages[name] || name;
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

function language() {
  const lang = document.documentElement.lang;
  return LANGUAGES.includes(lang) ? lang : "en";
}

// `28 000 сом` or `28,000 som`: CLDR grouping as the server's babel writes it, tyiyn only when there are any.
function som(tyiyn) {
  return somInFigures(tyiyn, language(), say("som"));
}

function csrfHeaders() {
  try {
    return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
  } catch {
    return {};
  }
}

class PasskeyProblem extends Error {}

// The lot key is made but the application is not signed yet: WebKit (Safari, iOS) lets one click start one WebAuthn
// call, so the get() after create() may be refused. `resume` signs with the made key alone, on a click of its own.
class LotKeyReady extends PasskeyProblem {
  constructor(message, resume) {
    super(message);
    this.resume = resume;
  }
}

async function api(method, path, body) {
  const init = { method, headers: { accept: "application/json", ...csrfHeaders() }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new PasskeyProblem(say("offline"));
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    throw new PasskeyProblem((answer && answer.message) || say("failed"));
  }
  return answer;
}

function supported() {
  return Boolean(webauthn && webauthn.browserSupportsWebAuthn() && globalThis.crypto && globalThis.crypto.subtle);
}

function errorName(error) {
  return (error && (error.name === "WebAuthnError" && error.cause ? error.cause.name : error.name)) || "";
}

// A cancelled or timed-out prompt and a passkey that is not on this device look the same to the page
// (NotAllowedError, by design of WebAuthn): say both in one sentence.
function wasCancelled(error) {
  return ["NotAllowedError", "AbortError"].includes(errorName(error));
}

function promptProblem(error, cancelled) {
  const name = errorName(error);
  if (wasCancelled(error)) return say(cancelled);
  if (name === "InvalidStateError") return say("already_registered");
  if (name === "SecurityError") return say("wrong_site");
  if (error instanceof PasskeyProblem) return error.message;
  return say("failed");
}

// ---------------------------------------------------------------------------------------------------------------
// The confirmation: before the fingerprint prompt, in the page's words, what exactly is being signed.

function confirmDialog() {
  let dialog = document.getElementById("passkey-confirm");
  if (dialog) return dialog;
  dialog = document.createElement("dialog");
  dialog.id = "passkey-confirm";
  dialog.className = "passkey-confirm";
  dialog.setAttribute("aria-labelledby", "passkey-confirm-title");
  const title = document.createElement("h2");
  title.id = "passkey-confirm-title";
  title.textContent = say("confirm_title");
  const text = document.createElement("p");
  text.id = "passkey-confirm-text";
  // The amount once more, in figures and in words, so that a slipped digit reads as a different number.
  const amount = document.createElement("p");
  amount.id = "passkey-confirm-amount";
  amount.className = "confirm-amount";
  amount.hidden = true;
  // A bid far above the price it answers (amount.js farAbove) must be confirmed a second time, on its own.
  const warning = document.createElement("div");
  warning.id = "passkey-confirm-warning";
  warning.className = "notice notice-error confirm-warning";
  warning.setAttribute("role", "alert");
  warning.hidden = true;
  const warningText = document.createElement("p");
  warningText.id = "passkey-confirm-warning-text";
  const agree = document.createElement("label");
  agree.className = "confirm-agree";
  const tick = document.createElement("input");
  tick.type = "checkbox";
  tick.id = "passkey-confirm-high";
  const agreeText = document.createElement("span");
  agreeText.id = "passkey-confirm-high-text";
  agree.append(tick, " ", agreeText);
  warning.append(warningText, agree);
  const buttons = document.createElement("form");
  buttons.method = "dialog";
  buttons.className = "actions";
  const proceed = document.createElement("button");
  proceed.id = "passkey-continue";
  proceed.value = "continue";
  proceed.textContent = say("continue");
  const cancel = document.createElement("button");
  cancel.id = "passkey-cancel";
  cancel.value = "cancel";
  cancel.className = "secondary";
  cancel.textContent = say("cancel");
  buttons.append(proceed, cancel);
  dialog.append(title, text, amount, warning, buttons);
  // Continue stays off until a far-above amount is confirmed the second time.
  tick.addEventListener("change", () => {
    proceed.disabled = !tick.checked;
  });
  document.body.append(dialog);
  return dialog;
}

// `amount` ({label, tyiyn}) is repeated in figures and words; `warning` ({text, agree}) asks a second time.
function confirmWithBidder(sentence, title = say("confirm_title"), { amount = null, warning = null } = {}) {
  const dialog = confirmDialog();
  dialog.querySelector("#passkey-confirm-title").textContent = title;
  dialog.querySelector("#passkey-confirm-text").textContent = sentence;
  const amountLine = dialog.querySelector("#passkey-confirm-amount");
  amountLine.replaceChildren();
  amountLine.hidden = !amount;
  if (amount) {
    const figures = document.createElement("strong");
    figures.className = "confirm-figures";
    figures.textContent = som(amount.tyiyn);
    const words = document.createElement("span");
    words.className = "confirm-words";
    words.textContent = somInWords(amount.tyiyn, language());
    amountLine.append(`${amount.label} `, figures, " — ", words);
  }
  const warningBox = dialog.querySelector("#passkey-confirm-warning");
  const tick = dialog.querySelector("#passkey-confirm-high");
  const proceed = dialog.querySelector("#passkey-continue");
  warningBox.hidden = !warning;
  tick.checked = false;
  proceed.disabled = Boolean(warning);
  if (warning) {
    dialog.querySelector("#passkey-confirm-warning-text").textContent = warning.text;
    dialog.querySelector("#passkey-confirm-high-text").textContent = warning.agree;
  }
  dialog.returnValue = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "continue" && (!warning || tick.checked)),
      { once: true },
    );
    dialog.showModal();
    (warning ? tick : proceed).focus();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Bidder forms.

function statusOf(form) {
  let status = form.querySelector(".passkey-status");
  if (!status) {
    status = document.createElement("p");
    status.className = "passkey-status notice notice-error";
    status.setAttribute("role", "alert");
    status.hidden = true;
    form.prepend(status);
  }
  return status;
}

function showProblem(form, message) {
  const status = statusOf(form);
  status.textContent = message;
  status.hidden = !message;
  // With no passkey at all, the way out is one click away.
  if (message && message === say("no_keys")) {
    const link = document.createElement("a");
    link.href = "/account/keys";
    link.textContent = say("add_passkey");
    status.append(" ", link);
  }
}

function integerField(form, name) {
  const field = form.elements.namedItem(name);
  const raw = form.dataset[name] ?? (field ? field.value : "");
  return /^[1-9][0-9]*$/.test(String(raw)) ? Number(raw) : null;
}

// A whole number of tyiyn from a data attribute, or null.
function tyiynData(element, name) {
  const raw = element ? element.dataset[name] : undefined;
  return /^[0-9]+$/.test(raw || "") ? Number(raw) : null;
}

// The second confirmation a bid far above `price` needs (amount.js farAbove), or null. `which` names the price.
function farAboveWarning(amount, price, step, which) {
  if (price === null || !farAbove(amount, price, step)) return null;
  const times = timesPrice(amount, price);
  const values = { amount: som(amount), price: som(price), times };
  // "1 times" says nothing: a bid under twice the price is far above only by its bid steps.
  const text = times >= 2 ? say(`far_above_${which}`, values) : say("far_above_steps", values);
  return { text, agree: say("far_above_agree", values) };
}

// The action's fields (keys.md 1.1) from the form, the sentence that repeats them to the bidder, the amount to
// repeat in figures and words, and the warning that asks a second time.
async function actionOf(form, lot, ownKeys) {
  const action = form.dataset.statementAction;
  switch (action) {
    case "application.submitted": {
      // `ownKeys` is null when a new lot key is made after the confirmation: signForm fills `keys` in then.
      const keys = ownKeys ? ownKeys.map((key) => key.object) : [];
      if (ownKeys && keys.length === 0) throw new PasskeyProblem(say("no_keys"));
      const deposit = tyiynData(form, "deposit");
      return {
        fields: { keys },
        sentence: say("action_apply", { lot }),
        amount: deposit ? { label: say("amount_deposit"), tyiyn: deposit } : null,
      };
    }
    case "bid.placed": {
      const field = form.elements.namedItem("amount");
      const amount = somToTyiyn(field ? field.value : "");
      if (amount === null) throw new PasskeyProblem(say("bad_amount"));
      // The bid answers the leading bid the live panel shows now, or the starting price before the first bid.
      const leading = tyiynData(document.querySelector("#live [data-leading-price]"), "leadingPrice");
      const price = leading ?? tyiynData(form, "startingPrice");
      const which = leading === null ? "start" : "current";
      return {
        fields: { amount },
        sentence: say("action_bid", { lot, amount: som(amount) }),
        amount: { label: say("amount_bid"), tyiyn: amount },
        warning: farAboveWarning(amount, price, tyiynData(form, "bidStep"), which),
      };
    }
    case "bid.sealed": {
      const ciphertext = form.elements.namedItem("ciphertext");
      if (!ciphertext || !ciphertext.value) throw new PasskeyProblem(say("failed"));
      // The amount is on this page only, for the bidder's eyes; the statement carries the ciphertext's hash.
      // bidding.js left the amount it sealed into exactly this ciphertext on the form.
      const amount = tyiynData(form, "sealedAmount");
      return {
        fields: { ciphertext_hash: await ciphertextHash(ciphertext.value) },
        sentence: amount ? say("action_seal", { lot, amount: som(amount) }) : say("action_seal_plain", { lot }),
        amount: amount ? { label: say("amount_sealed"), tyiyn: amount } : null,
        // Sealed bidders do not raise step by step: the ratio to the starting price alone.
        warning: amount ? farAboveWarning(amount, tyiynData(form, "startingPrice"), null, "start") : null,
      };
    }
    case "bid.withdrawn":
      return { fields: {}, sentence: say("action_withdraw", { lot }) };
    case "bid.accepted": {
      // The price falls while the page is open: the bidder agrees to the one the live panel shows now.
      const live = document.querySelector("#live [data-current-price]");
      const shown = live && /^[1-9][0-9]*$/.test(live.dataset.currentPrice) ? Number(live.dataset.currentPrice) : null;
      const limit = shown ?? integerField(form, "limit");
      if (limit === null) throw new PasskeyProblem(say("failed"));
      const field = form.elements.namedItem("limit");
      if (field) field.value = String(limit);
      return {
        fields: { limit },
        sentence: say("action_accept", { lot, amount: som(limit) }),
        amount: { label: say("amount_price"), tyiyn: limit },
      };
    }
    case "award.signed": {
      const price = integerField(form, "price");
      if (price === null) throw new PasskeyProblem(say("failed"));
      return {
        fields: { price },
        sentence: say("action_sign", { lot, amount: som(price) }),
        amount: { label: say("amount_price"), tyiyn: price },
      };
    }
    case "award.declined":
      return { fields: {}, sentence: say("action_decline", { lot }) };
    case "runoff.offer": {
      // The amount stays hidden behind its hash until the run-off ends; the nonce makes it unguessable.
      const field = form.elements.namedItem("amount");
      const amount = somToTyiyn(field ? field.value : "");
      if (amount === null) throw new PasskeyProblem(say("bad_amount"));
      const nonceField = form.elements.namedItem("nonce");
      if (!nonceField) throw new PasskeyProblem(say("failed"));
      nonceField.value = newNonce();
      const offer_hash = await offerHash({ lot, bidder: form.dataset.bidder, amount, nonce: nonceField.value });
      return {
        fields: { offer_hash },
        sentence: say("action_runoff", { lot, amount: som(amount) }),
        amount: { label: say("amount_offer"), tyiyn: amount },
        warning: farAboveWarning(amount, tyiynData(form, "runoffPrice"), null, "accepted"),
      };
    }
    default:
      throw new PasskeyProblem(say("failed"));
  }
}

// The account's active keys, each with its key object and key id as the ledger computes them. An application that
// reuses them registers them all on the lot (an API client's Ed25519 key too); a passkey has a credential id.
async function accountKeys() {
  const answer = await api("GET", "/api/me/keys");
  const rows = Array.isArray(answer) ? answer : answer.keys || [];
  const keys = [];
  for (const row of rows) {
    if (row.revoked_at || row.active === false) continue;
    const object = row.key || { alg: row.alg, public_key: row.public_key, ...(row.rp_id ? { rp_id: row.rp_id } : {}) };
    const credentialId = object.alg === "webauthn-es256" ? row.credential_id || null : null;
    keys.push({ object, credentialId, keyId: row.key_id || (await keyId(object)), lotKey: Boolean(row.lot_key) });
  }
  return keys;
}

// A new passkey for this lot alone (docs/keys.md 1.3), made through the same ceremony as /account/keys but with
// the server's lot-key options: a user handle of its own (never the account's, which would replace the account's
// passkey on this device) and not discoverable. Labelled with the lot, it shows on /account/keys like any key.
async function makeLotKey(lot) {
  const options = await api("POST", `/api/me/passkeys/options?lot_key=true&lot=${encodeURIComponent(lot)}`, {});
  let credential;
  try {
    credential = await webauthn.startRegistration({ optionsJSON: options });
  } catch (error) {
    // A device that cannot hold another passkey (or not one of this kind) says so; the bidder's way out is the
    // account's passkey, which the opt-out box registers instead.
    if (CANNOT_MAKE.includes(errorName(error))) throw new PasskeyProblem(say("cannot_make_lot_key", { lot }));
    throw new PasskeyProblem(promptProblem(error, "registration_cancelled"));
  }
  const row = await api("POST", "/api/me/passkeys", { credential, label: say("lot_key_label", { lot }) });
  const object = { alg: row.alg, public_key: row.public_key, ...(row.rp_id ? { rp_id: row.rp_id } : {}) };
  rememberLotKey(lot, row.credential_id);
  return { object, credentialId: row.credential_id, keyId: row.key_id || (await keyId(object)) };
}

const CANNOT_MAKE = ["ConstraintError", "NotSupportedError", "InvalidStateError"];

// The lot keys made in this tab whose application is not known to be signed: {lot id: credential id}. A retry
// signs with the key already made instead of making one more, which would stay on the device and the account
// unused. Session storage: the tab's own, gone with it; the key itself stays listed on /account/keys.
const LOT_KEYS_STORAGE = "achyk.lot-keys";

function rememberedLotKeys() {
  try {
    const kept = JSON.parse(sessionStorage.getItem(LOT_KEYS_STORAGE) || "{}");
    return kept && typeof kept === "object" && !Array.isArray(kept) ? kept : {};
  } catch {
    return {};
  }
}

function rememberLotKey(lot, credentialId) {
  const kept = rememberedLotKeys();
  if (credentialId) kept[lot] = credentialId;
  else delete kept[lot];
  try {
    sessionStorage.setItem(LOT_KEYS_STORAGE, JSON.stringify(kept));
  } catch {
    // Without storage a retry makes another key, as before.
  }
}

// The lot key made earlier for `lot`, if the account still holds it active (a revoked one signs nothing).
function madeLotKey(lot, keys) {
  const credentialId = rememberedLotKeys()[lot];
  if (!credentialId) return null;
  const key = keys.find((candidate) => candidate.lotKey && candidate.credentialId === credentialId);
  if (!key) rememberLotKey(lot, null);
  return key || null;
}

// The whole signature of one form; resolves true once `signed` is filled in, false if the bidder must act.
async function signForm(form) {
  if (!supported()) throw new PasskeyProblem(say("no_support"));
  const lot = Number(form.dataset.lot);
  const [context, keys] = await Promise.all([
    api("GET", `/api/lots/${encodeURIComponent(lot)}/me/statement`),
    accountKeys(),
  ]);
  const passkeys = keys.filter((key) => key.credentialId);
  const action = form.dataset.statementAction;
  const applying = action === "application.submitted";
  // An application registers a new passkey made for this lot alone, so that the public ledger does not link the
  // bidder's lots by a shared key; a bidder who ticks the way out registers the account's keys instead, knowingly.
  // Everything after is signed by a key registered on the lot.
  const reuse = applying && Boolean(form.querySelector("[data-reuse-key]:checked"));
  const lotKey = applying && !reuse;
  // Reusing means the account's own keys: another lot's key would link that lot too.
  const accountOwn = keys.filter((key) => !key.lotKey);
  let allowed = applying
    ? accountOwn.filter((key) => key.credentialId)
    : passkeys.filter((key) => (context.keys || []).includes(key.keyId));
  if (!lotKey && allowed.length === 0) {
    // A bidder already on the lot who removed or lost the passkey they applied with needs the lot's way back
    // (an officer's re-identification), not a new passkey alone.
    const onLot = !applying && (context.keys || []).length > 0;
    throw new PasskeyProblem(say(applying || (passkeys.length === 0 && !onLot) ? "no_keys" : "not_on_lot"));
  }
  const { fields, sentence, amount, warning } = await actionOf(form, lot, lotKey ? null : accountOwn);
  const skew = Date.parse(context.server_time) - Date.now();
  if (Math.abs(skew) > SKEW_WARNING_MS) {
    throw new PasskeyProblem(say("clock", { minutes: Math.max(1, Math.round(Math.abs(skew) / 60_000)) }));
  }
  if (!(await confirmWithBidder(say("confirm_lead", { what: sentence }), undefined, { amount, warning }))) {
    throw new PasskeyProblem(say("cancelled"));
  }
  if (lotKey) {
    const made = madeLotKey(lot, keys) || (await makeLotKey(lot));
    allowed = [made];
    fields.keys = [made.object];
    // The key is made (and kept for this lot): only the signature is missing, and it needs a click of its own.
    const sign = async () => {
      try {
        return await signStatement(form, { lot, context, action, fields, allowed });
      } catch (error) {
        if (error instanceof PasskeyProblem && error.cancelled) {
          throw new LotKeyReady(say("lot_key_ready", { lot }), sign);
        }
        throw error;
      }
    };
    return sign();
  }
  return signStatement(form, { lot, context, action, fields, allowed });
}

// The statement, timed now, signed by one of `allowed`, into the form's `signed` (and `keys`) fields.
async function signStatement(form, { lot, context, action, fields, allowed }) {
  const seq = Number(context.next_seq ?? form.dataset.seq);
  const seenAt = statementTime(new Date());
  const statement = await buildStatement({
    lot,
    bidder: context.bidder || form.dataset.bidder,
    action,
    seq,
    seenAt,
    fields,
  });
  let assertion;
  try {
    assertion = await webauthn.startAuthentication({
      optionsJSON: {
        challenge: await statementChallenge(statement),
        rpId: context.rp_id,
        allowCredentials: allowed.map((key) => ({ id: key.credentialId, type: "public-key" })),
        userVerification: "required",
        timeout: PROMPT_TIMEOUT_MS,
      },
    });
  } catch (error) {
    const problem = new PasskeyProblem(promptProblem(error, "cancelled"));
    problem.cancelled = wasCancelled(error);
    throw problem;
  }
  const used = allowed.find((key) => key.credentialId === assertion.id);
  if (!used) throw new PasskeyProblem(say("not_on_lot"));
  const signed = {
    key_id: used.keyId,
    seq,
    seen_at: seenAt,
    sig: assertion.response.signature,
    authenticator_data: assertion.response.authenticatorData,
    client_data_json: assertion.response.clientDataJSON,
  };
  form.elements.namedItem("signed").value = JSON.stringify(signed);
  const keysField = form.elements.namedItem("keys");
  if (keysField && statement.keys) keysField.value = JSON.stringify(statement.keys);
  return true;
}

// The made lot key and a button that signs the application with it: the button's click starts the get() alone.
function showLotKeyReady(form, ready, send) {
  const status = statusOf(form);
  status.textContent = ready.message;
  status.hidden = false;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "lot-key-sign";
  button.textContent = say("lot_key_sign");
  button.addEventListener("click", () => signThen(form, send, ready.resume));
  status.append(" ", button);
  button.focus();
}

async function signThen(form, send, sign = () => signForm(form)) {
  if (form.dataset.signing) return;
  form.dataset.signing = "1";
  const buttons = form.querySelectorAll("button");
  buttons.forEach((button) => (button.disabled = true));
  // What is confirmed is what is signed and sent: the amount cannot change under the dialog.
  const fields = form.querySelectorAll("input:not([type=hidden])");
  fields.forEach((field) => (field.readOnly = true));
  let ready = null;
  try {
    await sign();
    showProblem(form, "");
  } catch (error) {
    if (error instanceof LotKeyReady) ready = error;
    else {
      showProblem(form, error instanceof PasskeyProblem ? error.message : say("failed"));
      return;
    }
  } finally {
    buttons.forEach((button) => (button.disabled = false));
    fields.forEach((field) => (field.readOnly = false));
    delete form.dataset.signing;
  }
  if (ready) showLotKeyReady(form, ready, send);
  else send();
}

// htmx asks before every request it makes; a bidder form's request waits here until it is signed, then htmx
// gathers the form (now with `signed`) and sends it. `issueRequest(true)` skips this question the second time.
document.addEventListener("htmx:confirm", (event) => {
  const form = event.detail.elt;
  if (!(form instanceof HTMLFormElement) || !form.dataset.statementAction) return;
  event.preventDefault();
  signThen(form, () => event.detail.issueRequest(true));
});

// A bidder form that htmx does not drive is signed the same way, then posted by the browser.
document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.statementAction) return;
    if (form.hasAttribute("hx-post") || form.hasAttribute("data-sealed")) return;
    event.preventDefault();
    signThen(form, () => HTMLFormElement.prototype.submit.call(form));
  },
  true,
);

// ---------------------------------------------------------------------------------------------------------------
// Adding a passkey on /account/keys.

const addButton = document.getElementById("add-passkey");

function showRegistration(message, ok) {
  let status = document.getElementById("passkey-status");
  if (!status) {
    status = document.createElement("p");
    status.id = "passkey-status";
    status.setAttribute("role", "status");
    addButton.insertAdjacentElement("afterend", status);
  }
  status.className = `notice${ok ? "" : " notice-error"}`;
  status.textContent = message;
  status.hidden = !message;
}

// The page's list of keys, fetched again so the new passkey shows with the server's own wording.
async function refreshKeyList() {
  const list = document.getElementById("key-list");
  if (!list) return;
  try {
    const page = await fetch(location.href, { credentials: "same-origin" });
    const fresh = new DOMParser().parseFromString(await page.text(), "text/html");
    const freshList = fresh.getElementById("key-list");
    if (freshList) list.replaceWith(freshList);
    // The "no key yet" line goes once there is a key.
    if (!fresh.querySelector("#keys .empty")) document.querySelectorAll("#keys .empty").forEach((line) => line.remove());
  } catch {
    // The passkey is added all the same; a reload shows it.
  }
}

async function addPasskey() {
  if (!supported()) {
    showRegistration(say("no_support"), false);
    return;
  }
  const scope = addButton.closest("form") || document;
  const labelField = scope.querySelector("[name=label]");
  addButton.disabled = true;
  showRegistration("", true);
  try {
    const options = await api("POST", "/api/me/passkeys/options", {});
    let credential;
    try {
      credential = await webauthn.startRegistration({ optionsJSON: options });
    } catch (error) {
      throw new PasskeyProblem(promptProblem(error, "registration_cancelled"));
    }
    const body = { credential };
    if (labelField && labelField.value.trim()) body.label = labelField.value.trim();
    await api("POST", "/api/me/passkeys", body);
    showRegistration(say("registered"), true);
    if (labelField) labelField.value = "";
    await refreshKeyList();
  } catch (error) {
    showRegistration(error instanceof PasskeyProblem ? error.message : say("failed"), false);
  } finally {
    addButton.disabled = false;
  }
}

// Revoking a key (a lost or retired device): it signs nothing more, on any lot. The ledger keeps what it signed.
async function removeKey(button) {
  const item = button.closest("[data-key-id]");
  const label = item ? item.querySelector("strong").textContent.trim() : "";
  if (!(await confirmWithBidder(say("remove_text", { label }), say("remove_title")))) return;
  button.disabled = true;
  try {
    await api("DELETE", `/api/me/keys/${encodeURIComponent(button.dataset.revokeKey)}`);
    showRegistration(say("removed", { label }), true);
    await refreshKeyList();
  } catch (error) {
    showRegistration(error instanceof PasskeyProblem ? error.message : say("failed"), false);
    button.disabled = false;
  }
}

if (addButton) {
  if (!supported()) showRegistration(say("no_support"), false);
  addButton.addEventListener("click", (event) => {
    event.preventDefault();
    addPasskey();
  });
  // Enter in the device name adds the passkey too, rather than reloading the page.
  const form = addButton.closest("form");
  if (form) {
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!addButton.disabled) addPasskey();
    });
  }
  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("[data-revoke-key]") : null;
    if (button) removeKey(button);
  });
}
