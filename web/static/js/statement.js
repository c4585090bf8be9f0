// The bidder statement of docs/keys.md section 1.1, byte for byte as the offline verifier rebuilds it: the RFC 8785
// (JCS) canonical JSON, its SHA-256 (a passkey's WebAuthn challenge) and the key ids. No DOM and no dependencies,
// so that Node runs the same module against Python's rfc8785 (tests/unit/bidding/test_statement_js.py).

export const STATEMENT = "achyk-bidder-statement/v1";
const MAX_KEYS = 5;
const HEX = /^[0-9a-f]{64}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

export class StatementError extends TypeError {}

// JSON.stringify writes a string exactly as RFC 8785 3.2.2.2 asks (short escapes, lower-case \u00xx for the
// other controls, everything else as itself) except for lone surrogates, which JCS cannot encode in UTF-8 and
// Python's rfc8785 refuses: refuse them too rather than sign bytes the verifier cannot reproduce.
function canonicalString(text) {
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text)) {
    throw new StatementError("a string holds a lone surrogate, which has no UTF-8 form");
  }
  return JSON.stringify(text);
}

function canonicalText(value) {
  if (value === null) return "null";
  if (value === true) return "true";
  if (value === false) return "false";
  if (typeof value === "string") return canonicalString(value);
  if (typeof value === "number") {
    // Statements carry integers only (tyiyn, lot ids, sequence numbers). The same bound as Python's rfc8785:
    // beyond it a number has no exact IEEE double and the two sides could print different digits.
    if (!Number.isSafeInteger(value)) throw new StatementError(`${value} is not an integer within ±(2^53 − 1)`);
    return Object.is(value, -0) ? "0" : String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalText).join(",")}]`;
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    // The default sort compares UTF-16 code units, which is the order RFC 8785 3.2.3 prescribes.
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${canonicalString(key)}:${canonicalText(value[key])}`).join(",")}}`;
  }
  throw new StatementError(`${typeof value} has no JSON form`);
}

/** RFC 8785 canonical JSON of `value` (null, booleans, safe integers, strings, arrays, plain objects) as UTF-8. */
export function canonicalize(value) {
  return new TextEncoder().encode(canonicalText(value));
}

function subtle() {
  const api = globalThis.crypto && globalThis.crypto.subtle;
  if (!api) throw new StatementError("WebCrypto is missing: this page must be served over https");
  return api;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function b64urlEncode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64urlDecode(text) {
  if (typeof text !== "string" || !B64URL.test(text) || text.length % 4 === 1) {
    throw new StatementError("not unpadded base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** `key_id = hex(SHA256(JCS(key object))[0:16])`. */
export async function keyId(keyObject) {
  return hex((await sha256(canonicalize(keyObject))).slice(0, 16));
}

/** The ledger's time string, `2026-06-09T06:00:00.000000Z`: a browser clock has milliseconds, so the last three
 *  of the six digits are zero. */
export function ledgerTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new StatementError("not a valid time");
  return date.toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

// A statement's seen_at is public in the ledger next to the entry's `at`. To the millisecond, `at − seen_at` is
// roughly this device's clock offset, steady for hours, and would link one bidder's statements across lots; a
// whole 10 s leaves only what any bidder's clock shares. Rounded down, never into the future: the server accepts
// |at − seen_at| ≤ 300 s (keys.md 1.3) and passkeys.js warns from 240 s, so the 10 s fit within the margin.
export const SEEN_AT_STEP_MS = 10_000;

/** The statement time of `date`: the ledger time string, rounded down to a whole 10 seconds. */
export function statementTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) throw new StatementError("not a valid time");
  return ledgerTime(new Date(Math.floor(date.getTime() / SEEN_AT_STEP_MS) * SEEN_AT_STEP_MS));
}

function positiveInteger(name, value) {
  if (!Number.isSafeInteger(value) || value < 1) throw new StatementError(`${name} must be a positive integer`);
  return value;
}

function text(name, value) {
  if (typeof value !== "string" || value.length === 0) throw new StatementError(`${name} must be a non-empty string`);
  return value;
}

function keyObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StatementError("a key must be a key object");
  }
  if (value.alg === "ed25519") return { alg: "ed25519", public_key: text("public_key", value.public_key) };
  if (value.alg === "webauthn-es256") {
    return { alg: "webauthn-es256", public_key: text("public_key", value.public_key), rp_id: text("rp_id", value.rp_id) };
  }
  throw new StatementError(`unknown key algorithm ${JSON.stringify(value.alg)}`);
}

/** The action fields each statement carries (keys.md 1.1), checked, and nothing else. */
async function actionFields(action, fields) {
  switch (action) {
    case "application.submitted": {
      const keys = fields.keys;
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_KEYS) {
        throw new StatementError(`an application registers 1 to ${MAX_KEYS} keys`);
      }
      const withIds = await Promise.all(keys.map(async (key) => [await keyId(keyObject(key)), keyObject(key)]));
      withIds.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (new Set(withIds.map(([id]) => id)).size !== withIds.length) throw new StatementError("a key is listed twice");
      return { keys: withIds.map(([, key]) => key) };
    }
    case "bid.placed":
      return { amount: positiveInteger("amount", fields.amount) };
    case "bid.sealed":
      if (typeof fields.ciphertext_hash !== "string" || !HEX.test(fields.ciphertext_hash)) {
        throw new StatementError("ciphertext_hash must be 64 lower-case hex digits");
      }
      return { ciphertext_hash: fields.ciphertext_hash };
    case "bid.accepted":
      return { limit: positiveInteger("limit", fields.limit) };
    case "award.signed":
      return { price: positiveInteger("price", fields.price) };
    case "runoff.offer":
      if (typeof fields.offer_hash !== "string" || !HEX.test(fields.offer_hash)) {
        throw new StatementError("offer_hash must be 64 lower-case hex digits");
      }
      return { offer_hash: fields.offer_hash };
    case "bid.withdrawn":
    case "award.declined":
      return {};
    case "bidder.key.added":
      return { key: keyObject(fields.key) };
    case "bidder.key.replaced":
      return { key: keyObject(fields.key), reason: text("reason", fields.reason) };
    default:
      throw new StatementError(`unknown action ${JSON.stringify(action)}`);
  }
}

/**
 * The statement a bidder signs for `action` on `lot`: `{statement, lot, bidder, action, seq, seen_at, …fields}`.
 * An application's keys come back sorted by key id, as the ledger records them.
 */
export async function buildStatement({ lot, bidder, action, seq, seenAt, fields = {} }) {
  const own = await actionFields(action, fields);
  return {
    statement: STATEMENT,
    lot: positiveInteger("lot", lot),
    bidder: text("bidder", bidder),
    action,
    seq: positiveInteger("seq", seq),
    seen_at: text("seen_at", seenAt),
    ...own,
  };
}

/** A passkey's WebAuthn challenge for `statement`: `SHA256(JCS(statement))`, base64url as WebAuthn JSON wants it. */
export async function statementChallenge(statement) {
  return b64urlEncode(await sha256(canonicalize(statement)));
}

/** `hex(SHA256(raw ciphertext bytes))` of a sealed bid given as base64url: the `bid.sealed` statement's field. */
/**
 * A run-off offer's commitment (runoff.py): hex SHA-256 of the RFC 8785 JSON of
 * `{offer: "achyk-runoff-offer/v1", lot, bidder, amount, nonce}`, the field `runoff.offer` signs.
 */
export async function offerHash({ lot, bidder, amount, nonce }) {
  const document = {
    offer: "achyk-runoff-offer/v1",
    lot: positiveInteger("lot", lot),
    bidder: text("bidder", bidder),
    amount: positiveInteger("amount", amount),
    nonce: text("nonce", nonce),
  };
  return hex(await sha256(canonicalize(document)));
}

/** 32 random bytes, base64url: the nonce that hides a run-off offer's amount behind its hash. */
export function newNonce() {
  return b64urlEncode(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

export async function ciphertextHash(ciphertextB64url) {
  return hex(await sha256(b64urlDecode(ciphertextB64url)));
}
