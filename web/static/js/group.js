// The prime-order group of edwards25519 for the commission's joint key, as docs/keys.md section 2.1 defines it:
// the browser twin of auction/ledger/verifier/group.py. Points and scalars cross the wire as 32 bytes; inside a
// computation a point is a @noble/curves Point and a scalar a BigInt in [0, L). Hashes, HKDF and AES-GCM are
// WebCrypto (Chromium, Firefox, Safari, Node >= 20); only the curve arithmetic comes from @noble/curves.
import { ed25519 } from "../vendor/noble-ed25519.js";

const Point = ed25519.Point;
export const L = Point.Fn.ORDER;
export const POINT_LENGTH = 32;
export const SCALAR_LENGTH = 32;
export const IDENTITY = Point.ZERO;
export const BASE = Point.BASE;
const SIG_DOMAIN = "achyk-commission-sig/v1";
const DLEQ_DOMAIN = "achyk-dleq/v1";
const utf8 = new TextEncoder();

export class GroupError extends Error {}

function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new Error("this browser has no WebCrypto: the page needs a secure (https) address");
  return s;
}

// --- bytes ------------------------------------------------------------------------------------------------------

export function b64uEncode(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function b64uDecode(text, what = "value") {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new GroupError(`${what} is not unpadded base64url`);
  }
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // Only the one canonical spelling: trailing bits that decode to nothing would give one value two texts.
  if (b64uEncode(bytes) !== text) throw new GroupError(`${what} is not canonical base64url`);
  return bytes;
}

export function hexEncode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexDecode(text) {
  if (typeof text !== "string" || !/^([0-9a-f]{2})*$/.test(text)) throw new GroupError("not lower-case hex");
  return Uint8Array.from(text.match(/../g) || [], (h) => parseInt(h, 16));
}

export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function be32(n) {
  return Uint8Array.of((n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** RFC 8785 canonical JSON as UTF-8: what every commission message is signed over (Python: rfc8785). */
export function canonical(value) {
  return utf8.encode(canonicalText(value));
}

function canonicalText(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new GroupError("canonical JSON has no NaN or Infinity");
    // ECMAScript's number-to-string is exactly what RFC 8785 prescribes.
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalText).join(",")}]`;
  if (typeof value === "object") {
    // Default sort compares UTF-16 code units, the order RFC 8785 asks for.
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalText(value[k])}`).join(",")}}`;
  }
  throw new GroupError(`canonical JSON cannot hold a ${typeof value}`);
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

// --- scalars and points -----------------------------------------------------------------------------------------

export function mod(a) {
  const r = a % L;
  return r < 0n ? r + L : r;
}

export function scalarFromBytesLE(bytes) {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

export function encodeScalar(value) {
  let v = mod(value);
  const out = new Uint8Array(SCALAR_LENGTH);
  for (let i = 0; i < SCALAR_LENGTH; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** A canonical 32-byte little-endian scalar (< L). */
export function decodeScalar(bytes, what = "scalar") {
  if (!(bytes instanceof Uint8Array) || bytes.length !== SCALAR_LENGTH) {
    throw new GroupError(`${what} must be ${SCALAR_LENGTH} bytes`);
  }
  const value = scalarFromBytesLE(bytes);
  if (value >= L) throw new GroupError(`${what} is not a canonical scalar (not below the group order)`);
  return value;
}

/** Accept `bytes` only as a canonical point of the prime-order subgroup other than the identity. */
export function decodePoint(bytes, what = "point") {
  if (!(bytes instanceof Uint8Array) || bytes.length !== POINT_LENGTH) {
    throw new GroupError(`${what} must be ${POINT_LENGTH} bytes`);
  }
  let point;
  try {
    // zip215 = false: RFC 8032's strict decoding (y < p, no x = 0 with the sign bit set), as libsodium does.
    point = Point.fromBytes(bytes, false);
  } catch {
    throw new GroupError(`${what} is not a point of edwards25519`);
  }
  if (point.is0() || !point.isTorsionFree() || !bytesEqual(point.toBytes(), bytes)) {
    throw new GroupError(`${what} is not a point of the prime-order subgroup of edwards25519 (or is the identity)`);
  }
  return point;
}

export function encodePoint(point) {
  return point.toBytes();
}

export function pointFromB64u(text, what) {
  return decodePoint(b64uDecode(text, what), what);
}

export function scalarFromB64u(text, what) {
  return decodeScalar(b64uDecode(text, what), what);
}

/** A uniform non-zero scalar: 64 random bytes reduced, so the bias is negligible. */
export function randomScalar() {
  for (;;) {
    const value = mod(scalarFromBytesLE(globalThis.crypto.getRandomValues(new Uint8Array(64))));
    if (value !== 0n) return value;
  }
}

/** k·P; the identity for k = 0 or P the identity (noble's constant-time multiply refuses both). */
export function mul(k, point) {
  const scalar = mod(k);
  if (scalar === 0n || point.is0()) return IDENTITY;
  return point.multiply(scalar);
}

export function baseMul(k) {
  return mul(k, BASE);
}

export function pointSum(points) {
  return points.reduce((total, p) => total.add(p), IDENTITY);
}

export function polyEval(coefficients, x) {
  let result = 0n;
  for (let t = coefficients.length - 1; t >= 0; t--) result = mod(result * BigInt(x) + coefficients[t]);
  return result;
}

/** Σ_t x^t · C_t: what f(x)·G must equal for a share f(x) of a polynomial committed to as C_t. */
export function commitmentEval(commitments, x) {
  let total = IDENTITY;
  let power = 1n;
  for (const c of commitments) {
    total = total.add(mul(power, c));
    power = mod(power * BigInt(x));
  }
  return total;
}

function invert(a) {
  // Fermat: L is prime.
  let result = 1n;
  let base = mod(a);
  let e = L - 2n;
  while (e > 0n) {
    if (e & 1n) result = (result * base) % L;
    base = (base * base) % L;
    e >>= 1n;
  }
  return result;
}

/** λ_j at 0 over the distinct member indices `indices`. */
export function lagrangeAtZero(indices, j) {
  let numerator = 1n;
  let denominator = 1n;
  for (const m of indices) {
    if (m === j) continue;
    numerator = mod(numerator * BigInt(m));
    denominator = mod(denominator * BigInt(m - j));
  }
  return mod(numerator * invert(denominator));
}

// --- hashes and proofs ------------------------------------------------------------------------------------------

function partBytes(part) {
  if (part instanceof Uint8Array) return part;
  if (part && typeof part.toBytes === "function") return part.toBytes();
  throw new GroupError("Hs takes bytes and points");
}

/** Hs(domain, p1, …, pm) = SHA-512(UTF-8 domain ‖ be32(len p1) ‖ p1 ‖ …) as little-endian, mod L. */
export async function hs(domain, ...parts) {
  const pieces = [utf8.encode(domain)];
  for (const part of parts.map(partBytes)) pieces.push(be32(part.length), part);
  const digest = new Uint8Array(await subtle().digest("SHA-512", concat(...pieces)));
  return mod(scalarFromBytesLE(digest));
}

/** Schnorr signature A ‖ z by `secret` over `message`; `nonce` only for the test vectors. */
export async function schnorrSign(secret, message, nonce = null) {
  const w = nonce === null ? randomScalar() : mod(nonce);
  const a = baseMul(w);
  const c = await hs(SIG_DOMAIN, baseMul(secret), a, message);
  return concat(a.toBytes(), encodeScalar(w + c * secret));
}

export async function schnorrVerify(publicKey, message, signature) {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false;
  let a;
  let z;
  try {
    a = decodePoint(signature.subarray(0, 32));
    z = decodeScalar(signature.subarray(32));
  } catch {
    return false;
  }
  const c = await hs(SIG_DOMAIN, publicKey, a, message);
  return baseMul(z).equals(a.add(mul(c, publicKey)));
}

/** D = x·R and the proof c ‖ z that log_G(x·G) = log_R(D); `nonce` only for the test vectors. */
export async function dleqProve(secret, r, nonce = null) {
  const w = nonce === null ? randomScalar() : mod(nonce);
  const y = baseMul(secret);
  const d = mul(secret, r);
  const c = await hs(DLEQ_DOMAIN, y, r, d, baseMul(w), mul(w, r));
  return { d, proof: concat(encodeScalar(c), encodeScalar(w + c * secret)) };
}

export async function dleqVerify(y, r, d, proof) {
  if (!(proof instanceof Uint8Array) || proof.length !== 64) return false;
  let c;
  let z;
  try {
    c = decodeScalar(proof.subarray(0, 32));
    z = decodeScalar(proof.subarray(32));
  } catch {
    return false;
  }
  const a = baseMul(z).subtract(mul(c, y));
  const b = mul(z, r).subtract(mul(c, d));
  return c === (await hs(DLEQ_DOMAIN, y, r, d, a, b));
}

// --- HKDF and AES-GCM -------------------------------------------------------------------------------------------

/** HKDF-SHA256(ikm, salt, info) as a one-purpose AES-256-GCM key. */
export async function hkdfAesKey(ikm, salt, info, usage) {
  const base = await subtle().importKey("raw", ikm, "HKDF", false, ["deriveKey"]);
  return subtle().deriveKey(
    { name: "HKDF", hash: "SHA-256", salt, info: typeof info === "string" ? utf8.encode(info) : info },
    base,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

export async function aesGcmEncrypt(key, iv, plaintext, aad = null) {
  const params = { name: "AES-GCM", iv, tagLength: 128 };
  if (aad) params.additionalData = aad;
  return new Uint8Array(await subtle().encrypt(params, key, plaintext));
}

/** The plaintext, or null when the tag does not verify. */
export async function aesGcmDecrypt(key, iv, body, aad = null) {
  const params = { name: "AES-GCM", iv, tagLength: 128 };
  if (aad) params.additionalData = aad;
  try {
    return new Uint8Array(await subtle().decrypt(params, key, body));
  } catch {
    return null;
  }
}
