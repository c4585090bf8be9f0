// Verifies Achyk ledger evidence in the browser, with no dependencies: WebCrypto only (SHA-256, Ed25519).
// A port of auction/ledger/verifier/note.py (C2SP signed notes, tlog checkpoints, receipts), proof_file.py
// (c2sp.org/tlog-proof@v1), merkle.py (RFC 6962 inclusion and consistency proofs) and witnessing.py
// (cosignature/v1, the achyk-trust-policy/v1 file, quorum time); change them together. docs/witnesses.md.
// Evidence is trusted only under the inspector's own trust policy: its log keys and a quorum of its witnesses.
// Tree sizes and indexes are BigInt: JavaScript's bitwise operators on numbers stop at 32 bits.

const ALG_ED25519 = 0x01;
const ALG_COSIGNATURE_V1 = 0x04;
const COSIGNATURE_HEADER = "cosignature/v1";
const COSIGNATURE_SIZE = 8 + 64; // after the key ID: u64 big-endian timestamp, Ed25519 signature
const TIME_PREFIX = "time ";
const POLICY_HEADER = "achyk-trust-policy/v1";
const MAX_TIMESTAMP = (1n << 63n) - 1n;
const CHECKPOINT_SLOT = "achyk.checkpoint:";
const ED25519_SIGNATURE_SIZE = 64;
const SIGNATURE_PREFIX = "\u2014 "; // an em dash and a space
const MAX_SIGNATURES = 100;
const RECEIPT_HEADER = "achyk-receipt/v2";
const RECEIPT_HEADER_V1 = "achyk-receipt/v1";
const RECEIPT_HEADERS = [RECEIPT_HEADER, RECEIPT_HEADER_V1];
const PLATFORM_CHAIN_NAME = "platform";
const KIND = /^[a-z0-9][a-z0-9_.\-]{0,63}$/;
const PROOF_HEADER = "c2sp.org/tlog-proof@v1";
const HASH_SIZE = 32;
const MAX_UINT64 = (1n << 64n) - 1n;
const DECIMAL = /^(0|[1-9][0-9]*)$/;
const HEX8 = /^[0-9a-f]{8}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
// eslint-disable-next-line no-control-regex
const NOT_IN_KEY_NAME = /[\s+\u0000-\u001f]/u;
const LEAF_PREFIX = '{"body":';
const LEAF_INDEX = ',"index":';

/**
 * Evidence that does not verify, or cannot be read; the message says which check failed (in English, for a
 * specialist). `code` and `values`, when set, name the reason for people: the page words it in its language.
 */
export class VerifyError extends Error {
  constructor(message, code = null, values = {}) {
    super(message);
    this.code = code;
    this.values = values;
  }
}

const encoder = new TextEncoder();

function fail(message, code = null, values = {}) {
  throw new VerifyError(message, code, values);
}

function subtle() {
  const api = globalThis.crypto && globalThis.crypto.subtle;
  if (!api) fail("this browser has no WebCrypto; open the page over https");
  return api;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function wellFormed(text) {
  // TextEncoder replaces lone surrogates silently; Python refuses such text as not UTF-8.
  return new TextDecoder().decode(encoder.encode(text)) === text;
}

export async function sha256(bytes) {
  return new Uint8Array(await subtle().digest("SHA-256", bytes));
}

export function toHex(bytes) {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function b64encode(bytes) {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Standard padded base64, and only its one canonical spelling (as note.b64decode_strict). */
export function b64decodeStrict(text) {
  if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    fail(`not base64: ${JSON.stringify(text)}`);
  }
  let binary;
  try {
    binary = atob(text);
  } catch {
    fail(`not base64: ${JSON.stringify(text)}`);
  }
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  if (b64encode(bytes) !== text) fail(`not canonical base64: ${JSON.stringify(text)}`);
  return bytes;
}

function parseDecimal(text, what) {
  if (!DECIMAL.test(text)) fail(`${what} must be a decimal number without leading zeros`);
  const value = BigInt(text);
  if (value > MAX_UINT64) fail(`${what} is too large`);
  return value;
}

/** A ledger time string (2026-06-09T06:00:00.000000Z) as microseconds since 1970, a BigInt. */
export function parseTime(text) {
  const match = TIME.exec(typeof text === "string" ? text : "");
  if (!match) fail(`not a ledger time (YYYY-MM-DDTHH:MM:SS.ffffffZ): ${JSON.stringify(text)}`);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day ||
      hour > 23 || minute > 59 || second > 59) {
    fail(`not a real calendar time: ${text}`);
  }
  return BigInt(ms) * 1000n + BigInt(match[7]);
}

// --- signed notes (c2sp.org/signed-note) and verifier keys -------------------------------------------

export function isValidKeyName(name) {
  return typeof name === "string" && name.length > 0 && !NOT_IN_KEY_NAME.test(name) && wellFormed(name);
}

async function keyIdOf(name, algorithm, publicKey) {
  const digest = await sha256(concat(encoder.encode(name), Uint8Array.of(0x0a, algorithm), publicKey));
  return digest.slice(0, 4);
}

/** The 4-byte key ID: SHA-256(name || "\n" || 0x01 || public key)[:4]. */
export async function keyHash(name, publicKey) {
  return keyIdOf(name, ALG_ED25519, publicKey);
}

/** A cosigner's 4-byte key ID: SHA-256(name || "\n" || 0x04 || public key)[:4] (as witnessing.witness_key_id). */
export async function witnessKeyId(name, publicKey) {
  return keyIdOf(name, ALG_COSIGNATURE_V1, publicKey);
}

// The one Ed25519 code path, for note signatures and cosignatures alike.
async function importEd25519(publicKey, what) {
  try {
    return await subtle().importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (error) {
    if (error instanceof VerifyError) throw error;
    fail(`${what} holds an invalid Ed25519 public key, or this browser cannot check Ed25519 signatures`);
  }
}

async function ed25519Verifies(cryptoKey, signature, message) {
  return signature.length === ED25519_SIGNATURE_SIZE && subtle().verify({ name: "Ed25519" }, cryptoKey, signature, message);
}

/** name+hash+base64(algorithm || key), strictly: the key imported, the hash checked against name and key. */
async function parseTypedVkey(vkey, algorithm, what) {
  if (typeof vkey !== "string") fail(`a ${what} is name+hash+key`);
  // Split at the first two "+" only: the base64 key data may itself contain "+".
  const first = vkey.indexOf("+");
  const second = first < 0 ? -1 : vkey.indexOf("+", first + 1);
  if (second < 0) fail(`a ${what} is name+hash+key`);
  const name = vkey.slice(0, first);
  const hashHex = vkey.slice(first + 1, second);
  if (!isValidKeyName(name)) fail(`invalid key name ${JSON.stringify(name)}`);
  if (!HEX8.test(hashHex)) fail("vkey hash must be 8 lowercase hex digits");
  const key = b64decodeStrict(vkey.slice(second + 1));
  if (key.length !== 33 || key[0] !== algorithm) {
    fail(`${what} must hold 0x0${algorithm} followed by a 32-byte Ed25519 key`);
  }
  const publicKey = key.slice(1);
  const cryptoKey = await importEd25519(publicKey, what);
  if (toHex(await keyIdOf(name, algorithm, publicKey)) !== hashHex) fail("vkey hash does not match its name and key");
  return { name, keyId: hexToBytes(hashHex), publicKey, cryptoKey, vkey };
}

/** Parse a vkey ("name+hash+base64(0x01||key)") strictly and import its Ed25519 key. */
export async function parseVkey(vkey) {
  return parseTypedVkey(vkey, ALG_ED25519, "vkey");
}

/** Parse a witness vkey ("name+hash+base64(0x04||key)") strictly (as witnessing.parse_witness_vkey). */
export async function parseWitnessVkey(vkey) {
  return parseTypedVkey(vkey, ALG_COSIGNATURE_V1, "witness vkey");
}

function hexToBytes(hex) {
  return Uint8Array.from(hex.match(/../g), (pair) => parseInt(pair, 16));
}

function checkNoteCharacters(text) {
  if (typeof text !== "string" || !wellFormed(text)) fail("note is not valid UTF-8");
  if (CONTROL.test(text)) fail("note contains an ASCII control character other than newline");
}

/** A note's text and signature lines, without verifying anything (as note.split_note). */
export function splitNote(note) {
  checkNoteCharacters(note);
  const split = note.lastIndexOf("\n\n");
  if (split < 0) fail("malformed note: no empty line before the signatures");
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (!block || !block.endsWith("\n")) fail("malformed note: signature block must be non-empty and end with a newline");
  const signatures = [];
  for (const line of block.slice(0, -1).split("\n")) {
    if (!line.startsWith(SIGNATURE_PREFIX)) fail("malformed note: signature line must start with an em dash and a space");
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(" ");
    const name = space < 0 ? rest : rest.slice(0, space);
    const encoded = space < 0 ? "" : rest.slice(space + 1);
    if (space < 0 || !isValidKeyName(name) || !encoded) fail("malformed note: signature line must be '\u2014 <name> <base64>'");
    const raw = b64decodeStrict(encoded);
    if (raw.length < 5) fail("malformed note: signature too short");
    signatures.push({ name, keyId: raw.slice(0, 4), signature: raw.slice(4) });
    if (signatures.length > MAX_SIGNATURES) fail(`malformed note: more than ${MAX_SIGNATURES} signatures`);
  }
  return { text, signatures };
}

/**
 * Open a note with the given verifier keys (from parseVkey): its text and the keys that signed it.
 * As Go's note.Open: unknown keys are ignored, a known key's bad signature rejects the note, and at
 * least one known key must have signed.
 */
export async function verifyNote(note, verifiers) {
  const { text, signatures } = splitNote(note);
  const known = new Map();
  for (const key of verifiers) {
    const slot = `${key.name}+${toHex(key.keyId)}`;
    if (known.has(slot) && known.get(slot).vkey !== key.vkey) fail(`ambiguous verifier keys for ${slot}`);
    known.set(slot, key);
  }
  const message = encoder.encode(text);
  const signers = [];
  for (const sig of signatures) {
    const slot = `${sig.name}+${toHex(sig.keyId)}`;
    const signer = known.get(slot);
    if (!signer || signers.includes(signer)) continue;
    if (!await ed25519Verifies(signer.cryptoKey, sig.signature, message)) {
      fail(`invalid signature for key ${slot}`, "bad_signature", { key: slot });
    }
    signers.push(signer);
  }
  if (!signers.length) fail("note has no valid signature from a known key", "no_signature");
  return { text, signers };
}

/** tlog checkpoint text: origin, size, base64 root, extension lines (as Checkpoint.parse). */
export function parseCheckpoint(text) {
  if (!text.endsWith("\n")) fail("checkpoint text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3) fail("checkpoint needs origin, size and root lines");
  if (lines.some((line) => !line)) fail("checkpoint lines must be non-empty");
  const [origin, sizeText, rootText, ...extensions] = lines;
  const size = parseDecimal(sizeText, "checkpoint size");
  const root = b64decodeStrict(rootText);
  if (root.length !== HASH_SIZE) fail("checkpoint root must be 32 bytes");
  return { origin, size, root, extensions };
}

// --- witnesses (docs/witnesses.md, as witnessing.py) --------------------------------------------------

/** A checkpoint's `time <POSIX seconds>` line as a BigInt, or null if it has none (refused if malformed). */
export function checkpointTime(checkpoint) {
  const times = checkpoint.extensions.filter((line) => line.startsWith(TIME_PREFIX)).map((line) => line.slice(TIME_PREFIX.length));
  if (!times.length) return null;
  if (times.length > 1 || !DECIMAL.test(times[0]) || BigInt(times[0]) > MAX_TIMESTAMP) {
    fail("a checkpoint has at most one time line: 'time <POSIX seconds>'");
  }
  return BigInt(times[0]);
}

/**
 * The valid cosignatures (c2sp.org/tlog-cosignature, cosignature/v1) of the given witnesses (from parseWitnessVkey)
 * on a note: [{name, vkey, timestamp (BigInt POSIX seconds)}], one per witness. Lines of unknown (name, key ID)
 * pairs, the log's own signature among them, are ignored; a known witness's line that does not verify throws.
 */
export async function verifyCosignatures(note, witnesses) {
  const { text, signatures } = splitNote(note);
  const known = new Map(witnesses.map((witness) => [`${witness.name}+${toHex(witness.keyId)}`, witness]));
  const found = new Map();
  for (const sig of signatures) {
    const slot = `${sig.name}+${toHex(sig.keyId)}`;
    const witness = known.get(slot);
    if (!witness || found.has(slot)) continue;
    if (sig.signature.length !== COSIGNATURE_SIZE) fail(`invalid cosignature from ${witness.name}: wrong length`);
    const timestamp = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0, false);
    if (timestamp > MAX_TIMESTAMP) fail(`invalid cosignature from ${witness.name}: timestamp out of range`);
    const message = encoder.encode(`${COSIGNATURE_HEADER}\n${TIME_PREFIX}${timestamp}\n${text}`);
    if (!await ed25519Verifies(witness.cryptoKey, sig.signature.slice(8), message)) {
      fail(`invalid cosignature from ${witness.name}`);
    }
    found.set(slot, { name: witness.name, vkey: witness.vkey, timestamp });
  }
  return [...found.values()];
}

/** The k-th smallest timestamp of distinct witnesses (BigInt), or null: by then a quorum had seen the checkpoint. */
export function quorumTime(cosignatures, quorum) {
  const k = Number(quorum);
  if (!(k > 0)) return null;
  const byWitness = new Map(cosignatures.map((c) => [c.vkey ?? c.name, BigInt(c.timestamp)]));
  const stamps = [...byWitness.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return stamps.length >= k ? stamps[k - 1] : null;
}

function policyDecimal(value, what, number) {
  if (!DECIMAL.test(value) || BigInt(value) > MAX_TIMESTAMP) fail(`policy line ${number}: ${what} must be a decimal number`);
  return BigInt(value);
}

/**
 * Parse an achyk-trust-policy/v1 file (as witnessing.parse_policy): {logs: [vkey], witnesses: [{key, url}],
 * quorum (number), graceSeconds (BigInt)}. Throws VerifyError naming the line at fault.
 */
export async function parsePolicy(text) {
  const lines = typeof text === "string" ? text.split(/\r\n|\r|\n/) : [];
  if (!lines.length || lines[0].trim() !== POLICY_HEADER) fail(`a trust policy starts with the line '${POLICY_HEADER}'`);
  const logs = [];
  const witnesses = [];
  let quorum = null;
  let grace = null;
  for (let i = 1; i < lines.length; i++) {
    const number = i + 1;
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const space = line.indexOf(" ");
    const word = space < 0 ? line : line.slice(0, space);
    const fields = space < 0 ? [] : line.slice(space + 1).split(/\s+/).filter(Boolean);
    const keyOf = async (parse) => {
      try {
        return await parse(fields[0]);
      } catch (error) {
        if (error instanceof VerifyError) fail(`policy line ${number}: ${error.message}`);
        throw error;
      }
    };
    if (word === "log" && fields.length === 1) {
      logs.push(await keyOf(parseVkey));
    } else if (word === "witness" && (fields.length === 1 || fields.length === 2)) {
      witnesses.push({ key: await keyOf(parseWitnessVkey), url: fields.length === 2 ? fields[1] : null });
    } else if (word === "quorum" && fields.length === 1 && quorum === null) {
      quorum = policyDecimal(fields[0], "quorum", number);
    } else if (word === "grace" && fields.length === 1 && grace === null) {
      grace = policyDecimal(fields[0], "grace", number);
    } else {
      fail(`policy line ${number}: expected 'log VKEY', 'witness VKEY [URL]', 'quorum K', 'grace S'`);
    }
  }
  if (!logs.length) fail("a trust policy names at least one log key");
  if (quorum === null || grace === null) fail("a trust policy has one 'quorum' line and one 'grace' line");
  if (new Set(witnesses.map((w) => w.key.vkey)).size !== witnesses.length) fail("a trust policy names each witness once");
  if (quorum > BigInt(witnesses.length)) fail(`quorum ${quorum} is more than the ${witnesses.length} witnesses listed`);
  return { logs, witnesses, quorum: Number(quorum), graceSeconds: grace };
}

/** Receipt note text (as Receipt.parse): v2 names the entry (lot or null, lotSeq, kind); v1 has entry null. */
export function parseReceipt(text) {
  if (!text.endsWith("\n")) fail("receipt text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  if (!((lines.length === 8 && lines[0] === RECEIPT_HEADER) || (lines.length === 5 && lines[0] === RECEIPT_HEADER_V1))) {
    fail(`receipt text must be 8 lines starting with ${RECEIPT_HEADER} (or 5 with v1)`);
  }
  const [, origin, bodyHash, admitted, delay] = lines;
  if (!origin) fail("receipt origin is empty");
  if (!HEX64.test(bodyHash)) fail("receipt body hash must be 64 lowercase hex digits");
  parseTime(admitted);
  let entry = null;
  if (lines.length === 8) {
    const [chain, seq, kind] = lines.slice(5);
    const lot = chain === PLATFORM_CHAIN_NAME ? null : parseDecimal(chain, "receipt lot");
    const lotSeq = parseDecimal(seq, "receipt lot sequence");
    if (lotSeq < 1n) fail("receipt lot sequence must be at least 1");
    if (!KIND.test(kind)) fail("receipt kind must match [a-z0-9][a-z0-9_.-]{0,63}");
    entry = { lot, lotSeq, kind };
  }
  return { origin, bodyHash, admitted, maxMergeDelay: parseDecimal(delay, "receipt max merge delay"), entry };
}

/** Throws unless the ledger body (parsed JSON) is the entry a v2 receipt names (as receipts.check_receipt). */
export function checkNamedEntry(receipt, body, index) {
  const named = receipt.entry;
  if (named === null) return;
  const lot = body.lot === null ? null : BigInt(body.lot);
  if (lot !== named.lot || BigInt(body.lot_seq) !== named.lotSeq || body.kind !== named.kind) {
    const said = `${named.kind} #${named.lotSeq} of ${named.lot === null ? "the platform chain" : "lot " + named.lot}`;
    const found = `${body.kind} #${body.lot_seq} of ${body.lot === null ? "the platform chain" : "lot " + body.lot}`;
    fail(`entry ${index} is ${found}, but the receipt names ${said}`, "entry_named_other", {
      index: String(index), kind: String(body.kind), seq: String(body.lot_seq), lot: String(body.lot ?? "—"),
    });
  }
}

// --- tlog-proof files (c2sp.org/tlog-proof@v1) --------------------------------------------------------

function partition(text) {
  const at = text.indexOf("\n");
  return at < 0 ? [text, false, ""] : [text.slice(0, at), true, text.slice(at + 1)];
}

/** Parse a tlog-proof strictly, checkpoint syntax included but not its signature (as parse_proof). */
export function parseTlogProof(text) {
  let [line, sep, rest] = partition(text);
  if (!sep || line !== PROOF_HEADER) fail(`first line must be ${PROOF_HEADER}`);
  [line, sep, rest] = partition(rest);
  let extra = null;
  if (line.startsWith("extra ")) {
    extra = line === "extra " ? new Uint8Array(0) : b64decodeStrict(line.slice("extra ".length));
    [line, sep, rest] = partition(rest);
  }
  if (!sep || !line.startsWith("index ")) fail("missing 'index N' line");
  const index = parseDecimal(line.slice("index ".length), "index");
  const hashes = [];
  for (;;) {
    [line, sep, rest] = partition(rest);
    if (!sep) fail("missing empty line before the checkpoint");
    if (!line) break;
    const raw = b64decodeStrict(line);
    if (raw.length !== HASH_SIZE) fail(`proof hash ${hashes.length} has ${raw.length} bytes, want ${HASH_SIZE}`);
    hashes.push(raw);
  }
  parseCheckpoint(splitNote(rest).text);
  return { index, hashes, checkpointNote: rest, extra };
}

// --- RFC 6962 Merkle tree (transparency-dev/merkle proof/verify.go, as merkle.py) -------------------

export async function hashLeaf(data) {
  return sha256(concat(Uint8Array.of(0x00), data));
}

export async function hashChildren(left, right) {
  return sha256(concat(Uint8Array.of(0x01), left, right));
}

function bitLength(n) {
  return n === 0n ? 0 : n.toString(2).length;
}

function bitCount(n) {
  return n.toString(2).replace(/0/g, "").length;
}

async function chainInner(seed, proof, index) {
  for (let i = 0; i < proof.length; i++) {
    seed = ((index >> BigInt(i)) & 1n) === 0n ? await hashChildren(seed, proof[i]) : await hashChildren(proof[i], seed);
  }
  return seed;
}

async function chainBorderRight(seed, proof) {
  for (const hash of proof) seed = await hashChildren(hash, seed);
  return seed;
}

/** The root an inclusion proof implies; throws VerifyError if the proof has the wrong shape. */
export async function rootFromInclusionProof(index, size, leafHash, proof) {
  index = BigInt(index);
  size = BigInt(size);
  if (index < 0n || index >= size) fail(`index ${index} is beyond tree size ${size}`);
  if (leafHash.length !== HASH_SIZE) fail(`leaf hash has ${leafHash.length} bytes, want ${HASH_SIZE}`);
  const inner = bitLength(index ^ (size - 1n));
  const border = bitCount(index >> BigInt(inner));
  if (proof.length !== inner + border) fail(`wrong proof size ${proof.length}, want ${inner + border}`);
  proof.forEach((hash, i) => {
    if (hash.length !== HASH_SIZE) fail(`proof hash ${i} has ${hash.length} bytes, want ${HASH_SIZE}`);
  });
  const res = await chainInner(leafHash, proof.slice(0, inner), index);
  return chainBorderRight(res, proof.slice(inner));
}

/** Check that leafHash is at index in the tree of size with root; throws VerifyError otherwise. */
export async function verifyInclusion(index, size, leafHash, proof, root) {
  const calculated = await rootFromInclusionProof(index, size, leafHash, proof);
  if (!equalBytes(calculated, root)) {
    fail(`calculated root ${toHex(calculated)} does not match expected root ${toHex(root)}`, "not_included");
  }
}

async function chainInnerRight(seed, proof, index) {
  for (let i = 0; i < proof.length; i++) {
    if (((index >> BigInt(i)) & 1n) === 1n) seed = await hashChildren(proof[i], seed);
  }
  return seed;
}

/** The size2 root a consistency proof from (size1, root1) implies; throws VerifyError (as merkle.py). */
export async function rootFromConsistencyProof(size1, size2, proof, root1) {
  size1 = BigInt(size1);
  size2 = BigInt(size2);
  if (size2 < size1) fail(`size2 (${size2}) < size1 (${size1})`);
  // Every tree extends the empty tree, so such a proof proves nothing; RFC 9162 requires 0 < size1.
  if (size1 <= 0n) fail("consistency proof from an empty tree is meaningless");
  if (size1 === size2) {
    if (proof.length) fail("size1 == size2, but the proof is not empty");
    return root1;
  }
  if (!proof.length) fail("empty proof");
  proof.forEach((hash, i) => {
    if (hash.length !== HASH_SIZE) fail(`proof hash ${i} has ${hash.length} bytes, want ${HASH_SIZE}`);
  });
  const shift = bitLength(size1 & -size1) - 1;
  const inner = bitLength((size1 - 1n) ^ (size2 - 1n)) - shift;
  const border = bitCount((size1 - 1n) >> BigInt(inner + shift));
  // The proof starts with the hash of the size1 subtree of size 2^shift, unless size1 is that subtree.
  const [seed, start] = size1 === 1n << BigInt(shift) ? [root1, 0] : [proof[0], 1];
  if (proof.length !== start + inner + border) fail(`wrong proof size ${proof.length}, want ${start + inner + border}`);
  const rest = proof.slice(start);
  const mask = (size1 - 1n) >> BigInt(shift);
  const hash1 = await chainBorderRight(await chainInnerRight(seed, rest.slice(0, inner), mask), rest.slice(inner));
  if (!equalBytes(hash1, root1)) fail(`calculated root1 ${toHex(hash1)} does not match root1 ${toHex(root1)}`);
  return chainBorderRight(await chainInner(seed, rest.slice(0, inner), mask), rest.slice(inner));
}

/** Check that the tree (size2, root2) extends (size1, root1); throws VerifyError otherwise. */
export async function verifyConsistency(size1, size2, proof, root1, root2) {
  const calculated = await rootFromConsistencyProof(size1, size2, proof, root1);
  if (!equalBytes(calculated, root2)) fail(`calculated root2 ${toHex(calculated)} does not match root2 ${toHex(root2)}`);
}

// --- the evidence a person brings: a receipt, or a proof file -----------------------------------------

/** What a pasted or uploaded text is: "receipt" (the .json download), "receipt-note", "proof" or null. */
export function detectEvidence(text) {
  const trimmed = typeof text === "string" ? text.trimStart() : "";
  if (trimmed.startsWith("{")) return "receipt";
  if (RECEIPT_HEADERS.some((header) => trimmed.startsWith(header + "\n"))) return "receipt-note";
  if (trimmed.startsWith(PROOF_HEADER + "\n")) return "proof";
  return null;
}

function readReceiptFile(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    fail("the receipt file is not JSON", "not_evidence");
  }
  const fields = ["body", "body_hash", "receipt"];
  if (!data || typeof data !== "object" || fields.some((name) => typeof data[name] !== "string")) {
    fail("the receipt file must have the text fields body, body_hash and receipt", "receipt_fields");
  }
  if (!HEX64.test(data.body_hash)) fail("the receipt's body hash must be 64 lowercase hex digits");
  return data;
}

/** The body inside a leaf's exact text: {"body":<body>,"index":N,...}. */
function bodyOfLeaf(leaf, index) {
  const tail = leaf.lastIndexOf(LEAF_INDEX);
  if (!leaf.startsWith(LEAF_PREFIX) || tail < 0) fail("the ledger entry is not a leaf of this ledger's format");
  let parsed;
  try {
    parsed = JSON.parse(leaf);
  } catch {
    fail("the ledger entry is not JSON");
  }
  if (String(parsed.index) !== String(index)) fail(`the ledger returned entry ${parsed.index}, not entry ${index}`);
  return { body: leaf.slice(LEAF_PREFIX.length, tail), leaf: parsed };
}

/** A remembered checkpoint that the ledger now shown does not extend: a split view or a rollback. */
export class SplitViewError extends VerifyError {}

/**
 * Verify a receipt (the downloaded .json or its bare signed note) or a tlog-proof file, step by step.
 *
 * options: policy (from parsePolicy: the log keys and the witnesses the inspector trusts; without it every check
 * still runs, against the key `vkey`, but the outcome is "not_trusted"), vkey, origin (the ledger's origin,
 * checked when given), fetchProof(bodyHash) -> tlog-proof text, fetchEntry(index BigInt) -> the leaf's exact text,
 * storage (getItem/setItem, as localStorage: the newest trusted checkpoint of each ledger origin is remembered there
 * and a later one must extend it), fetchConsistency(size1, size2) -> {size1, size2, path: [base64]}.
 * Resolves to {ok, outcome, summary, kind, steps: [{id, ok, values, error, why}], witnesses: [{name, timestamp}],
 * quorumTime, checkpointTime, signed} (times: POSIX seconds as decimal strings, or null); never rejects. `signed` is
 * what the checks proved, taken from the signed bytes only (the entry the signed tree holds: index, kind, lot, seq,
 * body_hash), or null if they failed: a receipt file's unsigned copies are never shown as verified. `why` is a
 * failed step's reason for people ({code, values}, see VerifyError), or null. The first failed
 * step ends it. outcome: "verified"; "unwitnessed" (the policy's quorum is 0); "not_trusted" (no policy: every
 * check passed, against a key nobody vouched for); "split_view" (the ledger does not extend the one this browser
 * saw before); "failed". ok is true for "verified" and "unwitnessed" only.
 */
export async function verifyEvidence(text, options) {
  const kind = detectEvidence(text);
  const report = {
    ok: false,
    outcome: "failed",
    summary: "",
    kind,
    steps: [],
    witnesses: [],
    quorumTime: null,
    checkpointTime: null,
    signed: null,
  };
  // `known`: values the step's words need even when its check fails.
  async function step(id, check, known = {}) {
    try {
      const values = { ...known, ...((await check()) || {}) };
      report.steps.push({ id, ok: true, values });
      return values;
    } catch (error) {
      const message = error instanceof VerifyError ? error.message : String((error && error.message) || error);
      const why = error instanceof VerifyError && error.code ? { code: error.code, values: error.values } : null;
      report.steps.push({ id, ok: false, values: known, error: message, why });
      throw error instanceof VerifyError ? error : new VerifyError(message);
    }
  }
  try {
    let seen;
    if (kind === null) {
      await step("read", () => fail("this is neither a receipt nor a proof file", "not_evidence"));
    } else if (kind === "proof") {
      seen = await verifyProofFile(text.trimStart(), options, step, report);
    } else {
      seen = await verifyReceipt(text.trimStart(), kind, options, step, report);
    }
    if (!options.policy) {
      report.outcome = "not_trusted";
      report.summary = "NOT TRUSTED: no trust policy";
    } else {
      await checkHistory(seen.checkpoint, seen.note, options, step);
      report.ok = true;
      report.outcome = options.policy.quorum === 0 ? "unwitnessed" : "verified";
      report.summary = options.policy.quorum === 0 ? "OK, UNWITNESSED: the policy's quorum is 0" : "OK";
    }
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    report.outcome = error instanceof SplitViewError ? "split_view" : "failed";
    report.signed = null;
    report.summary = error instanceof SplitViewError ? error.message : `FAILED: ${error.message}`;
  }
  return report;
}

function keyLabel(key) {
  return `${key.name}+${toHex(key.keyId)}`;
}

/** The log keys the evidence must be signed by: the policy's, or else the given key (checked, never trusted). */
async function logKeys(options, step) {
  const policy = options.policy;
  if (policy) {
    await step("policy", () => ({
      logs: policy.logs.map(keyLabel).join(", "),
      witnesses: String(policy.witnesses.length),
      quorum: String(policy.quorum),
      grace: String(policy.graceSeconds),
    }));
    return policy.logs;
  }
  let key;
  await step("key", async () => {
    key = await parseVkey(String(options.vkey || "").trim());
    return { key: keyLabel(key) };
  });
  return [key];
}

async function checkCheckpoint(proof, keys, options, step, report) {
  let checkpoint;
  await step("checkpoint", async () => {
    const opened = await verifyNote(proof.checkpointNote, keys);
    checkpoint = parseCheckpoint(opened.text);
    if (options.origin && checkpoint.origin !== options.origin) {
      fail(`the checkpoint is of ledger ${JSON.stringify(checkpoint.origin)}, not ${JSON.stringify(options.origin)}`,
        "other_ledger", { origin: checkpoint.origin });
    }
    const time = checkpointTime(checkpoint);
    report.checkpointTime = time === null ? null : String(time);
    return { signer: opened.signers[0].name, size: String(checkpoint.size), root: b64encode(checkpoint.root) };
  });
  const policy = options.policy;
  if (policy) {
    const known = { quorum: String(policy.quorum), witnesses: String(policy.witnesses.length) };
    await step(policy.quorum === 0 ? "unwitnessed" : "witnesses", async () => {
      const cosignatures = await verifyCosignatures(proof.checkpointNote, policy.witnesses.map((w) => w.key));
      report.witnesses = cosignatures
        .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0))
        .map((c) => ({ name: c.name, timestamp: String(c.timestamp) }));
      const count = String(cosignatures.length);
      if (policy.quorum === 0) return { count };
      const when = quorumTime(cosignatures, policy.quorum);
      if (when === null) {
        fail(
          `only ${count} of the policy's ${policy.witnesses.length} witnesses cosigned this checkpoint, ` +
            `and the policy's quorum is ${policy.quorum}`,
          "quorum",
          { count, witnesses: String(policy.witnesses.length), quorum: String(policy.quorum) },
        );
      }
      report.quorumTime = String(when);
      return { count };
    }, known);
  }
  return checkpoint;
}

async function consistencyPath(size1, size2, options) {
  if (typeof options.fetchConsistency !== "function") fail("there is no way to fetch a consistency proof");
  const answer = await options.fetchConsistency(size1, size2);
  if (!answer || !Array.isArray(answer.path) || String(answer.size1) !== String(size1) ||
      String(answer.size2) !== String(size2)) {
    fail(`the platform answered no consistency proof from ${size1} to ${size2} entries`);
  }
  return answer.path.map((hash) => b64decodeStrict(hash));
}

/** Throws SplitViewError unless the tree (size2, root2) provably extends (size1, root1). */
async function mustExtend(older, newer, options, said) {
  const path = await consistencyPath(older.size, newer.size, options);
  try {
    await verifyConsistency(older.size, newer.size, path, older.root, newer.root);
  } catch (error) {
    if (!(error instanceof VerifyError)) throw error;
    throw new SplitViewError(`SPLIT VIEW OR ROLLBACK: ${said}: ${error.message}`);
  }
}

/**
 * The checkpoint must agree with the newest one this browser trusted before for the same ledger: the same root at
 * the same size, and a consistency proof between the two otherwise. The newer of the two is remembered.
 */
async function checkHistory(checkpoint, note, options, step) {
  const storage = options.storage;
  if (!storage) return;
  const slot = CHECKPOINT_SLOT + checkpoint.origin;
  const stored = storage.getItem(slot);
  const known = { size: String(checkpoint.size) };
  if (stored === null || stored === undefined) {
    await step("history_first", () => storage.setItem(slot, note), known);
    return;
  }
  let old;
  try {
    old = parseCheckpoint(splitNote(stored).text);
  } catch (error) {
    await step("history", () => fail(`the checkpoint this browser remembered (${slot}) cannot be read: ${error.message}`));
  }
  known.remembered = String(old.size);
  const seen = `a checkpoint of ${old.size} entries with root ${b64encode(old.root)}`;
  const shown = `one of ${checkpoint.size} entries with root ${b64encode(checkpoint.root)}`;
  if (old.size === checkpoint.size) {
    await step("history_same", () => {
      if (!equalBytes(old.root, checkpoint.root)) {
        throw new SplitViewError(`SPLIT VIEW: this browser trusted ${seen} before, and now ${shown}`);
      }
    }, known);
  } else if (old.size < checkpoint.size) {
    await step("history_extends", async () => {
      await mustExtend(old, checkpoint, options, `this browser trusted ${seen} before, and ${shown} does not extend it`);
      storage.setItem(slot, note);
    }, known);
  } else {
    // An older proof is fine, if the ledger this browser saw since grew out of it.
    await step("history_older", () =>
      mustExtend(checkpoint, old, options, `this browser trusted ${seen} before, and it does not extend ${shown}`),
    known);
  }
}

async function fetchLeaf(index, options, step) {
  let leaf;
  await step("fetch_entry", async () => {
    leaf = await options.fetchEntry(index);
    if (typeof leaf !== "string") fail("the ledger returned no entry");
    return { index: String(index) };
  });
  return leaf;
}

async function checkInclusion(proof, checkpoint, leaf, step) {
  await step("inclusion", async () => {
    await verifyInclusion(proof.index, checkpoint.size, await hashLeaf(encoder.encode(leaf)), proof.hashes, checkpoint.root);
    return { index: String(proof.index), size: String(checkpoint.size) };
  });
}

/** What a v2 receipt's signed lines name: {lot, seq, kind}, as text ("—" for the platform chain or a v1 receipt). */
function signedEntry(receipt) {
  const named = receipt.entry;
  if (named === null) return { lot: "—", seq: "—", kind: "—" };
  return { lot: named.lot === null ? "—" : String(named.lot), seq: String(named.lotSeq), kind: named.kind };
}

function jsonText(value) {
  return value === undefined ? "undefined" : JSON.stringify(value);
}

/**
 * The receipt file's unsigned fields that say something else than the signed receipt or the signed body (the body
 * counts as signed once it hashes to the receipt's body hash): [{field, stated, signed}] (as receipt_file.py).
 */
export function unsignedDisagreements(file, receipt, signedBody) {
  const signed = { body_hash: receipt.bodyHash, admitted_at: receipt.admitted, placed_at: receipt.admitted };
  if (receipt.entry !== null) {
    signed.lot_id = receipt.entry.lot === null ? null : Number(receipt.entry.lot);
    signed.lot_seq = Number(receipt.entry.lotSeq);
    signed.kind = receipt.entry.kind;
  } else if (signedBody) {
    Object.assign(signed, { lot_id: signedBody.lot, lot_seq: signedBody.lot_seq, kind: signedBody.kind });
  }
  const payload = signedBody && signedBody.payload;
  if (payload && typeof payload === "object" && "amount" in payload) signed.amount = payload.amount;
  const found = [];
  for (const field of ["body_hash", "lot_id", "lot_seq", "kind", "admitted_at", "placed_at", "amount"]) {
    if (!(field in file)) continue;
    if (field === "amount" && !("amount" in signed)) {
      if (file.amount !== null) found.push({ field, stated: jsonText(file.amount), signed: "—" });
      continue;
    }
    if (field in signed && jsonText(file[field]) !== jsonText(signed[field])) {
      found.push({ field, stated: jsonText(file[field]), signed: jsonText(signed[field]) });
    }
  }
  return found;
}

async function verifyReceipt(text, kind, options, step, report) {
  let file = null;
  let note = text;
  // Nothing the file says is shown before the signature covers it.
  await step("read_receipt", () => {
    if (kind === "receipt") {
      file = readReceiptFile(text);
      note = file.receipt;
    }
  });
  const keys = await logKeys(options, step);
  let receipt;
  await step("receipt_signature", async () => {
    const opened = await verifyNote(note, keys);
    receipt = parseReceipt(opened.text);
    if (options.origin && receipt.origin !== options.origin) {
      fail(`the receipt is of ledger ${JSON.stringify(receipt.origin)}, not ${JSON.stringify(options.origin)}`,
        "other_ledger", { origin: receipt.origin });
    }
    return {
      signer: opened.signers[0].name, admitted: receipt.admitted, delay: String(receipt.maxMergeDelay),
      body_hash: receipt.bodyHash, ...signedEntry(receipt),
    };
  });
  let signedBody = null;
  if (file) {
    await step("body_hash", async () => {
      const digest = toHex(await sha256(encoder.encode(file.body)));
      if (digest !== receipt.bodyHash) {
        fail(`the entry hashes to ${digest}, not to the signed receipt's ${receipt.bodyHash}`, "body_hash_other");
      }
      signedBody = JSON.parse(file.body);
      if (signedBody.at !== receipt.admitted) {
        fail("the signed receipt names a different admission time", "body_hash_other");
      }
      return { body_hash: digest };
    });
    await step("unsigned_fields", () => {
      const found = unsignedDisagreements(file, receipt, signedBody);
      if (found.length) {
        const fields = found.map((d) => `${d.field}: ${d.stated} ≠ ${d.signed}`).join("; ");
        fail(`the receipt file's unsigned fields disagree with the signed receipt: ${fields}`, "unsigned_fields", { fields });
      }
    });
  }
  let proof;
  await step("fetch_proof", async () => {
    proof = parseTlogProof(await options.fetchProof(receipt.bodyHash));
    return { index: String(proof.index) };
  });
  const checkpoint = await checkCheckpoint(proof, keys, options, step, report);
  const leaf = await fetchLeaf(proof.index, options, step);
  let integratedAt;
  let entry;
  await step("entry_matches", async () => {
    const { body, leaf: parsed } = bodyOfLeaf(leaf, proof.index);
    if (file && body !== file.body) fail("the ledger's entry is not the receipt's entry", "entry_other");
    const digest = toHex(await sha256(encoder.encode(body)));
    if (digest !== receipt.bodyHash) fail(`the ledger's entry hashes to ${digest}, not ${receipt.bodyHash}`, "entry_other");
    entry = JSON.parse(body);
    checkNamedEntry(receipt, entry, proof.index);
    integratedAt = parsed.integrated_at;
    return { index: String(proof.index), ...entryWords(entry) };
  });
  await checkInclusion(proof, checkpoint, leaf, step);
  await step("merge_delay", () => {
    const late = parseTime(integratedAt) - parseTime(receipt.admitted);
    const allowed = receipt.maxMergeDelay * 1000000n;
    const seconds = (Number(late) / 1e6).toFixed(3);
    if (late > allowed) {
      fail(`added ${seconds} s after admission; the receipt promised ${receipt.maxMergeDelay} s`, "late",
        { seconds, delay: String(receipt.maxMergeDelay) });
    }
    return { seconds, delay: String(receipt.maxMergeDelay) };
  });
  report.signed = { index: String(proof.index), body_hash: receipt.bodyHash, ...entryWords(entry) };
  return { checkpoint, note: proof.checkpointNote };
}

/** The words a ledger body (signed: found by its hash in the signed tree) gives for the page. */
function entryWords(body) {
  return { kind: String(body.kind), lot: String(body.lot ?? "—"), seq: String(body.lot_seq) };
}

/** The signed receipt note a proof's extra line carries (unverified), or null (as TlogProof.receipt_note). */
export function boundReceiptNote(proof) {
  if (proof.extra === null) return null;
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(proof.extra);
  } catch {
    return null;
  }
  return RECEIPT_HEADERS.some((header) => text.startsWith(header + "\n")) ? text : null;
}

async function verifyProofFile(text, options, step, report) {
  let proof;
  await step("read_proof", () => {
    proof = parseTlogProof(text);
    return { index: String(proof.index) };
  });
  const keys = await logKeys(options, step);
  // A receipt in the extra line binds the proof to the entry it names: another entry's proof is refused.
  const note = boundReceiptNote(proof);
  let receipt = null;
  if (note !== null) {
    await step("receipt_signature", async () => {
      const opened = await verifyNote(note, keys);
      receipt = parseReceipt(opened.text);
      if (options.origin && receipt.origin !== options.origin) {
        fail(`the receipt is of ledger ${JSON.stringify(receipt.origin)}, not ${JSON.stringify(options.origin)}`,
          "other_ledger", { origin: receipt.origin });
      }
      return {
        signer: opened.signers[0].name, admitted: receipt.admitted, delay: String(receipt.maxMergeDelay),
        body_hash: receipt.bodyHash, ...signedEntry(receipt),
      };
    });
  }
  const checkpoint = await checkCheckpoint(proof, keys, options, step, report);
  const leaf = await fetchLeaf(proof.index, options, step);
  let digest;
  let signed;
  await step("entry_read", async () => {
    const { body } = bodyOfLeaf(leaf, proof.index);
    const parsed = JSON.parse(body);
    digest = toHex(await sha256(encoder.encode(body)));
    signed = { index: String(proof.index), body_hash: digest, ...entryWords(parsed) };
    return { index: String(proof.index), body_hash: digest, ...entryWords(parsed) };
  });
  if (receipt !== null) {
    await step("receipt_binding", () => {
      if (digest !== receipt.bodyHash) {
        fail(
          `the proof is for entry ${proof.index} (body ${digest}), but the receipt names body ${receipt.bodyHash}: ` +
            "this proof is not a proof of the receipt's entry",
          "proof_other_entry",
          { index: String(proof.index) },
        );
      }
      checkNamedEntry(receipt, JSON.parse(bodyOfLeaf(leaf, proof.index).body), proof.index);
      return { index: String(proof.index), body_hash: digest };
    });
  }
  await checkInclusion(proof, checkpoint, leaf, step);
  report.signed = signed;
  return { checkpoint, note: proof.checkpointNote };
}
