// Seals a bid in the browser so the platform only ever holds ciphertext until the opening.
// Byte-for-byte the v1 wire format of auction/ledger/verifier/sealed.py, which decrypts it; change both
// together. No dependencies: WebCrypto only (Chromium, Firefox, Safari, Node >= 20).

const WIRE_VERSION = 0x01;
const IV_LENGTH = 12;
const POINT_LENGTH = 65;
// Padding every plaintext to one length keeps the ciphertext from revealing how many digits a bid has.
const PLAINTEXT_LENGTH = 32;
const MAX_AMOUNT = 1e15;
const MAX_LABEL_LENGTH = 200;
const HKDF_INFO = new TextEncoder().encode("achyk sealed bid v1");
const AAD_PREFIX = "achyk-sealed-bid/v1";

function b64urlDecode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new TypeError("the lot public key is not unpadded base64url");
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function b64urlEncode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// Same refusals as sealed.check_label, so a bid that Python would reject is never sealed.
function checkLabel(name, value) {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_LABEL_LENGTH) {
    throw new TypeError(`${name} must be a non-empty string of at most ${MAX_LABEL_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[|\u0000-\u001f\u007f]/.test(value)) {
    throw new TypeError(`${name} must not contain '|' or control characters`);
  }
  // TextEncoder silently replaces lone surrogates, which would make the AAD differ from Python's.
  if (new TextDecoder().decode(new TextEncoder().encode(value)) !== value) {
    throw new TypeError(`${name} is not valid Unicode text`);
  }
}

function bidAad(lotId, pseudonym) {
  const lot = typeof lotId === "string" && /^[1-9][0-9]*$/.test(lotId) ? Number(lotId) : lotId;
  if (!Number.isSafeInteger(lot) || lot < 1) {
    throw new TypeError("lotId must be a positive integer");
  }
  checkLabel("pseudonym", pseudonym);
  return new TextEncoder().encode(`${AAD_PREFIX}|lot=${lot}|bidder=${pseudonym}`);
}

function bidPlaintext(amount) {
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > MAX_AMOUNT) {
    throw new RangeError(`a bid is a whole number of tyiyn from 1 to ${MAX_AMOUNT}`);
  }
  // JSON.stringify gives {"amount":n} with n in plain decimal for every integer below 1e21.
  return new TextEncoder().encode(JSON.stringify({ amount }).padEnd(PLAINTEXT_LENGTH, " "));
}

/**
 * Encrypt `amountTyiyn` to the lot's public key (base64url, 65-byte uncompressed P-256 point).
 * Resolves to the base64url ciphertext to submit; rejects on bad input or missing WebCrypto.
 */
export async function encryptBid(publicKeyB64url, lotId, pseudonym, amountTyiyn) {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) {
    throw new Error("this browser cannot seal bids: WebCrypto needs a secure (https) page");
  }
  const aad = bidAad(lotId, pseudonym);
  const plaintext = bidPlaintext(amountTyiyn);
  const lotKeyBytes = b64urlDecode(publicKeyB64url);
  if (lotKeyBytes.length !== POINT_LENGTH || lotKeyBytes[0] !== 0x04) {
    throw new TypeError("the lot public key must be a 65-byte uncompressed P-256 point");
  }
  const curve = { name: "ECDH", namedCurve: "P-256" };
  const lotKey = await subtle.importKey("raw", lotKeyBytes, curve, false, []);
  const ephemeral = await subtle.generateKey(curve, true, ["deriveBits"]);
  // deriveBits(256) is the shared point's x-coordinate, what cryptography's exchange() returns.
  const shared = await subtle.deriveBits({ name: "ECDH", public: lotKey }, ephemeral.privateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  const aesKey = await subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: HKDF_INFO },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt"],
  );
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const body = new Uint8Array(
    await subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad, tagLength: 128 }, aesKey, plaintext),
  );
  const ephemeralPoint = new Uint8Array(await subtle.exportKey("raw", ephemeral.publicKey));
  const out = new Uint8Array(1 + ephemeralPoint.length + iv.length + body.length);
  out[0] = WIRE_VERSION;
  out.set(ephemeralPoint, 1);
  out.set(iv, 1 + ephemeralPoint.length);
  out.set(body, 1 + ephemeralPoint.length + iv.length);
  return b64urlEncode(out);
}
