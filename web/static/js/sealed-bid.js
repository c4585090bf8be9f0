// Seals a bid in the browser so the platform only ever holds ciphertext until the opening.
// Byte-for-byte the v2 wire format of docs/keys.md section 2.3 (auction/ledger/verifier/sealed.py decrypts it;
// change both together): ElGamal KEM to the commission's joint key Y on edwards25519, HKDF-SHA256, AES-256-GCM.
//
//   0x02 ‖ R (32) ‖ iv (12) ‖ AES-256-GCM ciphertext (32) ‖ tag (16)    93 bytes, 124 base64url characters
//   r random, R = r·G, S = r·Y, K = HKDF-SHA256(IKM = S, salt = R ‖ Y, info = "achyk sealed bid v2")
import {
  GroupError,
  aesGcmDecrypt,
  aesGcmEncrypt,
  b64uDecode,
  b64uEncode,
  baseMul,
  concat,
  decodePoint,
  hexEncode,
  hkdfAesKey,
  mul,
  randomScalar,
  sha256,
} from "./group.js";

const WIRE_VERSION = 0x02;
const POINT_LENGTH = 32;
const IV_LENGTH = 12;
// Padding every plaintext to one length keeps the ciphertext from revealing how many digits a bid has.
const PLAINTEXT_LENGTH = 32;
const TAG_LENGTH = 16;
export const CIPHERTEXT_LENGTH = 1 + POINT_LENGTH + IV_LENGTH + PLAINTEXT_LENGTH + TAG_LENGTH;
const MAX_AMOUNT = 1e15;
const MAX_LABEL_LENGTH = 200;
const HKDF_INFO = "achyk sealed bid v2";
const AAD_PREFIX = "achyk-sealed-bid/v2";
const PLAINTEXT = /^\{"amount":(0|[1-9][0-9]{0,15})\} *$/;

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

function jointKey(publicKeyB64url) {
  try {
    return decodePoint(b64uDecode(publicKeyB64url, "the lot public key"), "the lot public key");
  } catch (error) {
    throw new TypeError(error instanceof GroupError ? error.message : "the lot public key is not valid");
  }
}

function bidKey(shared, r, y) {
  return (usage) => hkdfAesKey(shared.toBytes(), concat(r.toBytes(), y.toBytes()), HKDF_INFO, usage);
}

/**
 * Encrypt `amountTyiyn` to the lot's joint key (base64url of a 32-byte edwards25519 point).
 * Resolves to the base64url ciphertext to submit; rejects on bad input or missing WebCrypto.
 * `fixed` ({r, iv}) is for the cross-implementation test vectors only.
 */
export async function encryptBid(publicKeyB64url, lotId, pseudonym, amountTyiyn, fixed = null) {
  if (!(globalThis.crypto && globalThis.crypto.subtle)) {
    throw new Error("this browser cannot seal bids: WebCrypto needs a secure (https) page");
  }
  const aad = bidAad(lotId, pseudonym);
  const plaintext = bidPlaintext(amountTyiyn);
  const y = jointKey(publicKeyB64url);
  const r = fixed ? fixed.r : randomScalar();
  const bigR = baseMul(r);
  const key = await bidKey(mul(r, y), bigR, y)("encrypt");
  const iv = fixed ? fixed.iv : globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const body = await aesGcmEncrypt(key, iv, plaintext, aad);
  return b64uEncode(concat(Uint8Array.of(WIRE_VERSION), bigR.toBytes(), iv, body));
}

/** The raw bytes of a well-formed v2 sealed bid; TypeError otherwise. */
export function ciphertextBytes(ciphertext) {
  const raw = b64uDecode(ciphertext, "the sealed bid");
  if (raw.length !== CIPHERTEXT_LENGTH || raw[0] !== WIRE_VERSION) {
    throw new TypeError(`a sealed bid is ${CIPHERTEXT_LENGTH} bytes starting with ${WIRE_VERSION}`);
  }
  return raw;
}

/** R of a sealed bid: the point each commission member's decryption share multiplies. */
export function ephemeralOf(ciphertext) {
  return decodePoint(ciphertextBytes(ciphertext).subarray(1, 1 + POINT_LENGTH), "the sealed bid's R");
}

/** hex SHA-256 of the raw ciphertext bytes: what the bidder signs and the ledger names a sealed bid by. */
export async function ciphertextHash(ciphertext) {
  return hexEncode(await sha256(ciphertextBytes(ciphertext)));
}

/**
 * Open a sealed bid with S = r·Y (a Point, recombined from k members' shares); resolves to the amount in tyiyn,
 * or null if it does not open under this S, lot and bidder or holds no bid.
 */
export async function decryptBid(shared, publicKeyB64url, lotId, pseudonym, ciphertext) {
  const raw = ciphertextBytes(ciphertext);
  const y = jointKey(publicKeyB64url);
  const bigR = ephemeralOf(ciphertext);
  const key = await bidKey(shared, bigR, y)("decrypt");
  const iv = raw.subarray(1 + POINT_LENGTH, 1 + POINT_LENGTH + IV_LENGTH);
  const plain = await aesGcmDecrypt(key, iv, raw.subarray(1 + POINT_LENGTH + IV_LENGTH), bidAad(lotId, pseudonym));
  if (plain === null) return null;
  const match = PLAINTEXT.exec(new TextDecoder().decode(plain));
  return match && plain.length === PLAINTEXT_LENGTH ? Number(match[1]) : null;
}
