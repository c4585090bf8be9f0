// The sealing page's own checks, so that the browser trusts the signed ledger rather than the server:
// - the lot's key is read from the lot.published entry, proven under a checkpoint signed by the pinned log key;
// - after submitting, the receipt's body hash must cover exactly the ciphertext this page sealed.
// The log key is pinned in localStorage on first use; a later key is accepted only through logged key.rotated
// entries, each proven under a checkpoint its retiring key signed. docs/threat-model.md says what this stops.
import {
  VerifyError,
  checkNamedEntry,
  hashLeaf,
  parseCheckpoint,
  parseReceipt,
  parseVkey,
  sha256,
  toHex,
  verifyInclusion,
  verifyNote,
} from "./ledger-verify.js";

const PIN_PREFIX = "achyk.ledger-key:";
const LEAF_PREFIX = '{"body":';
const encoder = new TextEncoder();

/**
 * A check that failed. `code` says which, for the page's words in the reader's language:
 * "key_changed" (the log key is not the pinned one and no logged rotation leads to it), "unproven" (the
 * published entry or a rotation does not verify), "unavailable" (the platform gave no evidence),
 * "receipt_mismatch" (the receipt does not cover the sealed ciphertext). `message` has the details.
 */
export class LotKeyError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function refuse(code, message) {
  throw new LotKeyError(code, message);
}

/** What a person compares with the fingerprint the municipality publishes: SHA-256 of the vkey text, 16 bytes. */
export async function ledgerKeyFingerprint(vkey) {
  const hex = toHex((await sha256(encoder.encode(vkey))).slice(0, 16));
  return hex.match(/.{4}/g).join(" ");
}

function pageSettings() {
  const holder = document.querySelector("[data-ledger-vkey]");
  if (!holder) refuse("unavailable", "the page does not say which log key signs the ledger");
  return { vkey: holder.dataset.ledgerVkey, origin: holder.dataset.ledgerOrigin || null };
}

function pinSlot(origin) {
  return PIN_PREFIX + (origin || location.host);
}

/** The log key this browser pinned for the ledger `origin`, or null before the first use. */
export function pinnedKey(origin, storage = globalThis.localStorage) {
  return storage.getItem(pinSlot(origin));
}

async function openCheckpoint(note, vkey, origin, what) {
  let key;
  try {
    key = await parseVkey(vkey);
  } catch (error) {
    refuse("unproven", `the log key ${vkey} is not a valid verifier key: ${error.message}`);
  }
  let text;
  try {
    ({ text } = await verifyNote(note, [key]));
  } catch (error) {
    refuse("unproven", `the checkpoint of ${what} is not signed by the log key ${key.name}+${toHex(key.keyId)}: ${error.message}`);
  }
  const checkpoint = parseCheckpoint(text);
  if (origin && checkpoint.origin !== origin) {
    refuse("unproven", `the checkpoint of ${what} is of ledger ${checkpoint.origin}, not ${origin}`);
  }
  return checkpoint;
}

/** The body of a proven entry, checked to be in the signed tree: throws LotKeyError otherwise. */
async function provenBody(proven, vkey, origin, what) {
  const checkpoint = await openCheckpoint(proven.checkpoint, vkey, origin, what);
  if (BigInt(proven.tree_size) !== checkpoint.size) {
    refuse("unproven", `the proof of ${what} is for a tree of ${proven.tree_size} entries, the checkpoint signs ${checkpoint.size}`);
  }
  try {
    const path = proven.path.map((hash) => Uint8Array.from(atob(hash), (c) => c.charCodeAt(0)));
    await verifyInclusion(BigInt(proven.index), checkpoint.size, await hashLeaf(encoder.encode(proven.leaf)), path, checkpoint.root);
  } catch (error) {
    if (!(error instanceof VerifyError) && !(error instanceof DOMException)) throw error;
    refuse("unproven", `${what} is not in the signed tree: ${error.message}`);
  }
  // The leaf's exact text is {"body":<body>,"index":N,...}: the body is what follows the prefix, up to the index.
  const tail = proven.leaf.lastIndexOf(`,"index":${proven.index},`);
  if (!proven.leaf.startsWith(LEAF_PREFIX) || tail < 0) refuse("unproven", `${what} is not a leaf of this ledger`);
  return proven.leaf.slice(LEAF_PREFIX.length, tail);
}

/** Follow logged key.rotated entries from the pinned key to `given`; each must be signed by its retiring key. */
async function followRotations(pinned, given, rotations, origin) {
  let current = pinned;
  for (const rotation of rotations) {
    if (current === given) break;
    const body = JSON.parse(await provenBody(rotation, current, origin, `key rotation ${rotation.index}`).catch((error) => {
      // A rotation that the current key did not sign cannot move the pin; another one may.
      if (error instanceof LotKeyError && error.code === "unproven") return "null";
      throw error;
    }));
    if (!body || body.kind !== "key.rotated" || body.lot !== null) continue;
    if (body.payload.old_vkey === current) current = body.payload.new_vkey;
  }
  if (current !== given) {
    refuse(
      "key_changed",
      `the platform now signs with ${given}, but this browser pinned ${pinned} and no logged key rotation ` +
        "signed by the pinned key leads to it",
    );
  }
}

async function fetchEvidence(lotId, fetcher) {
  let response;
  try {
    response = await fetcher(`/api/v1/lots/${encodeURIComponent(lotId)}/published-proof`, {
      headers: { Accept: "application/json" },
    });
  } catch (error) {
    refuse("unavailable", `the lot's ledger proof could not be fetched: ${error.message}`);
  }
  if (!response.ok) refuse("unavailable", `the lot's ledger proof is not available (HTTP ${response.status})`);
  return response.json();
}

/**
 * The lot's sealed-bid public key, as the signed ledger holds it, never as a table holds it: the
 * lot.published entry must be in a tree whose checkpoint the pinned log key signed. Resolves to
 * body.payload.sealed.public_key; rejects with LotKeyError.
 *
 * options (for tests and other pages): vkey and origin (default: the page's data-ledger-vkey and
 * data-ledger-origin), fetch, storage (default localStorage).
 */
export async function verifiedLotKey(lotId, options = {}) {
  const settings = options.vkey ? { vkey: options.vkey, origin: options.origin || null } : pageSettings();
  const storage = options.storage || globalThis.localStorage;
  const fetcher = options.fetch || globalThis.fetch.bind(globalThis);
  const evidence = await fetchEvidence(lotId, fetcher);
  const pinned = pinnedKey(settings.origin, storage);
  if (pinned !== null && pinned !== settings.vkey) {
    await followRotations(pinned, settings.vkey, evidence.rotations || [], settings.origin);
  }
  const body = await provenBody(evidence.entry, settings.vkey, settings.origin, "the lot's publication");
  if (body !== evidence.body) refuse("unproven", "the lot's publication the platform shows is not the one in the signed ledger");
  const published = JSON.parse(body);
  if (published.kind !== "lot.published" || published.lot_seq !== 1 || String(published.lot) !== String(lotId)) {
    refuse("unproven", `the proven entry is ${published.kind} #${published.lot_seq} of lot ${published.lot}, not lot ${lotId}'s publication`);
  }
  const key = published.payload && published.payload.sealed && published.payload.sealed.public_key;
  if (typeof key !== "string" || !key) refuse("unproven", `lot ${lotId} was published without a sealed-bid key`);
  // Pinned only once a checkpoint it signed has verified: a key that signs nothing is never trusted.
  storage.setItem(pinSlot(settings.origin), settings.vkey);
  return key;
}

function b64urlBytes(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) refuse("receipt_mismatch", "the sealed bid is not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/**
 * After submitting: the receipt (the signed note, or an object with its `receipt` field) must be signed by the
 * pinned log key and name the hash of `body`, a bid.sealed entry whose payload.ciphertext is exactly
 * `ciphertext`, the base64url text this page sealed. Resolves to the body hash; rejects with LotKeyError.
 * options: vkey, origin (default: the page's), lotId (checked when given).
 */
export async function checkSealedReceipt(receipt, body, ciphertext, options = {}) {
  const settings = options.vkey ? { vkey: options.vkey, origin: options.origin || null } : pageSettings();
  const note = typeof receipt === "string" ? receipt : receipt && receipt.receipt;
  let signed;
  try {
    signed = parseReceipt((await verifyNote(note, [await parseVkey(settings.vkey)])).text);
  } catch (error) {
    refuse("receipt_mismatch", `the receipt is not signed by the log key: ${error.message}`);
  }
  const bodyHash = toHex(await sha256(encoder.encode(body)));
  if (signed.bodyHash !== bodyHash) {
    refuse("receipt_mismatch", `the receipt names body ${signed.bodyHash}, but the entry shown hashes to ${bodyHash}`);
  }
  let entry;
  try {
    entry = JSON.parse(body);
    checkNamedEntry(signed, entry, "received");
  } catch (error) {
    refuse("receipt_mismatch", `the receipt does not name the entry shown: ${error.message}`);
  }
  if (settings.origin && signed.origin !== settings.origin) refuse("receipt_mismatch", `the receipt is of ledger ${signed.origin}`);
  if (entry.kind !== "bid.sealed") refuse("receipt_mismatch", `the receipt is for a ${entry.kind} entry, not a sealed bid`);
  if (options.lotId !== undefined && String(entry.lot) !== String(options.lotId)) {
    refuse("receipt_mismatch", `the receipt is for lot ${entry.lot}, not lot ${options.lotId}`);
  }
  if (entry.payload.ciphertext !== ciphertext) {
    refuse("receipt_mismatch", "the logged sealed bid is not the one this browser sealed");
  }
  if (entry.payload.ciphertext_hash !== toHex(await sha256(b64urlBytes(ciphertext)))) {
    refuse("receipt_mismatch", "the logged hash of the sealed bid is not the hash of what this browser sealed");
  }
  return bodyHash;
}
