// The commission's joint key in a member's browser (docs/keys.md 2.2 and 2.4): the member key and its key file,
// the dealing, the acknowledgement, and the decryption shares of the opening. The browser twin of
// auction/ledger/verifier/dkg.py and auction/bidding/commission_member.py; no DOM here, so Node runs it too.
//
// Messages are the JSON objects the API takes. Members are [{member, public_key, ...}] ordered by user id; a
// member's index is its position + 1. Every message from someone else is checked before it is used.
import {
  GroupError,
  aesGcmDecrypt,
  aesGcmEncrypt,
  b64uDecode,
  b64uEncode,
  baseMul,
  canonical,
  commitmentEval,
  concat,
  decodePoint,
  decodeScalar,
  dleqProve,
  dleqVerify,
  encodeScalar,
  hexEncode,
  hkdfAesKey,
  lagrangeAtZero,
  mod,
  mul,
  pointFromB64u,
  pointSum,
  polyEval,
  randomScalar,
  scalarFromB64u,
  schnorrSign,
  schnorrVerify,
  sha256,
} from "./group.js";
import { ciphertextHash, ephemeralOf } from "./sealed-bid.js";

export const KEY_FILE_FORMAT = "achyk-commission-key/v1";
const KEY_STATEMENT = "achyk-commission-key/v1";
const DEALING_STATEMENT = "achyk-commission-dealing/v1";
const ACK_STATEMENT = "achyk-commission-ack/v1";
const SHARE_STATEMENT = "achyk-commission-share/v1";
const ENCRYPTED_SHARE_LENGTH = 80;
const ZERO_NONCE = new Uint8Array(12);

/** A message that does not hold; `member` names who sent it, when known. */
export class CeremonyError extends Error {
  constructor(message, member = null) {
    super(message);
    this.member = member;
  }
}

function point(text, what, member = null) {
  try {
    return pointFromB64u(text, what);
  } catch (error) {
    throw new CeremonyError(error instanceof GroupError ? error.message : `${what} is not a point`, member);
  }
}

function bytesOf(text, what, length, member = null) {
  let raw;
  try {
    raw = b64uDecode(text, what);
  } catch (error) {
    throw new CeremonyError(error.message, member);
  }
  if (raw.length !== length) throw new CeremonyError(`${what} must be ${length} bytes, got ${raw.length}`, member);
  return raw;
}

function withoutSig(message) {
  const { sig: _sig, ...rest } = message;
  return rest;
}

async function sign(secret, statement, nonce) {
  return b64uEncode(await schnorrSign(secret, canonical(statement), nonce));
}

async function checkSig(publicKey, statement, sig, what, member) {
  if (!(await schnorrVerify(publicKey, canonical(statement), bytesOf(sig, `${what} sig`, 64, member)))) {
    throw new CeremonyError(`${what} is not signed by member ${member}'s key`, member);
  }
}

// --- 1. the member key --------------------------------------------------------------------------------------------

function keyStatement(lot, member, publicKey) {
  return canonical({ statement: KEY_STATEMENT, lot, member, public_key: publicKey });
}

/** A fresh member secret: the key file to keep and the {member, public_key, pok} message to post. */
export async function createMemberKey(lot, member, { secret = null, nonce = null } = {}) {
  const x = secret === null ? randomScalar() : secret;
  const publicKey = b64uEncode(baseMul(x).toBytes());
  const pok = b64uEncode(await schnorrSign(x, keyStatement(lot, member, publicKey), nonce));
  return {
    secret: x,
    file: { format: KEY_FILE_FORMAT, lot, member, secret: b64uEncode(encodeScalar(x)), public_key: publicKey },
    message: { member, public_key: publicKey, pok },
  };
}

/** The member secret from a key file's text, refused unless it is this lot's and this member's and it matches. */
export function readKeyFile(text, lot, member, expectedPublicKey = null) {
  let file;
  try {
    file = typeof text === "string" ? JSON.parse(text) : text;
  } catch {
    throw new CeremonyError("the file is not a commission key file (it is not JSON)");
  }
  if (!file || file.format !== KEY_FILE_FORMAT) throw new CeremonyError("the file is not a commission key file");
  if (file.lot !== lot) throw new CeremonyError(`the key file is for lot ${file.lot}, not lot ${lot}`);
  if (file.member !== member) throw new CeremonyError(`the key file is member ${file.member}'s, not yours`);
  let secret;
  try {
    secret = scalarFromB64u(file.secret, "the key file's secret");
  } catch (error) {
    throw new CeremonyError(error.message);
  }
  const publicKey = b64uEncode(baseMul(secret).toBytes());
  if (secret === 0n || publicKey !== file.public_key) throw new CeremonyError("the key file's secret does not match its public key");
  if (expectedPublicKey !== null && publicKey !== expectedPublicKey) {
    throw new CeremonyError("this key file is not the key you posted for this lot (an older or other key)");
  }
  return secret;
}

/** A posted {member, public_key, pok}: the member key P, or CeremonyError naming the member. */
export async function checkMemberKey(lot, message) {
  const member = message.member;
  const publicKey = point(message.public_key, `member ${member}'s public_key`, member);
  const pok = bytesOf(message.pok, `member ${member}'s pok`, 64, member);
  if (!(await schnorrVerify(publicKey, keyStatement(lot, member, message.public_key), pok))) {
    throw new CeremonyError(`member ${member}'s pok does not prove they hold their key`, member);
  }
  return publicKey;
}

/** The ordered members with their checked keys: [{member, index, publicKey (Point), public_key (text)}]. */
export async function checkedMembers(lot, members) {
  const ids = members.map((m) => m.member);
  if (ids.some((id, i) => !Number.isSafeInteger(id) || (i > 0 && id <= ids[i - 1]))) {
    throw new CeremonyError("the commission's members are not distinct and ordered by user id");
  }
  const out = [];
  for (const [position, m] of members.entries()) {
    if (m.index !== undefined && m.index !== position + 1) {
      throw new CeremonyError(`member ${m.member}'s index must be ${position + 1}`, m.member);
    }
    const publicKey = await checkMemberKey(lot, m);
    out.push({ member: m.member, index: position + 1, publicKey, public_key: m.public_key });
  }
  return out;
}

function membersList(members) {
  return members.map((m) => ({ member: m.member, public_key: m.public_key }));
}

// --- 2. the dealing -----------------------------------------------------------------------------------------------

function dealingStatement(lot, members, dealing) {
  return { ...withoutSig(dealing), statement: DEALING_STATEMENT, lot, members: membersList(members) };
}

function shareInfo(lot, dealer, member) {
  return `achyk-dkg-share/v1|lot=${lot}|dealer=${dealer}|member=${member}`;
}

async function shareKey(shared, bigR, publicKey, info, usage) {
  return hkdfAesKey(shared.toBytes(), concat(bigR.toBytes(), publicKey.toBytes()), info, usage);
}

/** E_ij = R ‖ AES-256-GCM(K, zero nonce, s_ij) to member j's key P_j (a Point). */
export async function encryptShare(lot, dealer, member, publicKey, share, r = null) {
  const ephemeral = r === null ? randomScalar() : r;
  const bigR = baseMul(ephemeral);
  const key = await shareKey(mul(ephemeral, publicKey), bigR, publicKey, shareInfo(lot, dealer, member), "encrypt");
  return concat(bigR.toBytes(), await aesGcmEncrypt(key, ZERO_NONCE, encodeScalar(share)));
}

/** s_ij from E_ij with member j's secret; CeremonyError naming the dealer when it does not open. */
export async function decryptShare(lot, dealer, member, secret, encrypted) {
  if (encrypted.length !== ENCRYPTED_SHARE_LENGTH) {
    throw new CeremonyError(`the share dealt by ${dealer} is not ${ENCRYPTED_SHARE_LENGTH} bytes`, dealer);
  }
  let bigR;
  try {
    bigR = decodePoint(encrypted.subarray(0, 32), "share R");
  } catch (error) {
    throw new CeremonyError(`the share dealt by ${dealer}: ${error.message}`, dealer);
  }
  const publicKey = baseMul(secret);
  const key = await shareKey(mul(secret, bigR), bigR, publicKey, shareInfo(lot, dealer, member), "decrypt");
  const plain = await aesGcmDecrypt(key, ZERO_NONCE, encrypted.subarray(32));
  try {
    if (plain === null) throw new GroupError("no");
    return decodeScalar(plain);
  } catch {
    throw new CeremonyError(`the share dealt by ${dealer} to ${member} does not decrypt`, dealer);
  }
}

/**
 * Dealer `dealer`'s dealing to the checked `members`: k commitments and one encrypted share per member, signed.
 * `fixed` ({coefficients, ephemerals: {member: r}, nonce}) is for the test vectors; `wrongShareFor` deals that
 * member a share off by one (only to test that members complain).
 */
export async function makeDealing(lot, members, threshold, dealer, secret, { fixed = null, wrongShareFor = null } = {}) {
  const coefficients = fixed ? fixed.coefficients : Array.from({ length: threshold }, randomScalar);
  const shares = {};
  for (const m of members) {
    const value = mod(polyEval(coefficients, m.index) + (m.member === wrongShareFor ? 1n : 0n));
    const r = fixed ? fixed.ephemerals[String(m.member)] : null;
    shares[String(m.member)] = b64uEncode(await encryptShare(lot, dealer, m.member, m.publicKey, value, r));
  }
  const dealing = {
    dealer,
    commitments: coefficients.map((a) => b64uEncode(baseMul(a).toBytes())),
    shares,
  };
  dealing.sig = await sign(secret, dealingStatement(lot, members, dealing), fixed ? fixed.nonce : null);
  return dealing;
}

/** A relayed dealing's shape and signature; its commitments as Points. CeremonyError names the dealer. */
export async function checkDealing(lot, members, threshold, dealing) {
  const dealer = dealing && dealing.dealer;
  const by = members.find((m) => m.member === dealer);
  if (!by) throw new CeremonyError(`dealer ${dealer} is not a member of this commission`, dealer);
  const keys = Object.keys(dealing).sort().join(",");
  if (keys !== "commitments,dealer,shares,sig") throw new CeremonyError(`dealer ${dealer}'s dealing has fields ${keys}`, dealer);
  if (!Array.isArray(dealing.commitments) || dealing.commitments.length !== threshold) {
    throw new CeremonyError(`dealer ${dealer}'s dealing does not have exactly ${threshold} commitments`, dealer);
  }
  const commitments = dealing.commitments.map((c, t) => point(c, `dealer ${dealer}'s commitment ${t}`, dealer));
  const wanted = members.map((m) => String(m.member)).sort().join(",");
  if (!dealing.shares || typeof dealing.shares !== "object" || Object.keys(dealing.shares).sort().join(",") !== wanted) {
    throw new CeremonyError(`dealer ${dealer}'s dealing does not have one share per member`, dealer);
  }
  for (const [member, text] of Object.entries(dealing.shares)) {
    bytesOf(text, `dealer ${dealer}'s share for ${member}`, ENCRYPTED_SHARE_LENGTH, dealer);
  }
  await checkSig(by.publicKey, dealingStatement(lot, members, dealing), dealing.sig, `dealer ${dealer}'s dealing`, dealer);
  return commitments;
}

function ordered(dealings) {
  return [...dealings].sort((a, b) => a.dealer - b.dealer);
}

/** hex SHA-256 of the canonical JSON of the dealings ordered by dealer, each exactly as posted. */
export async function transcriptHash(dealings) {
  return hexEncode(await sha256(canonical(ordered(dealings))));
}

function commitmentsOf(dealing) {
  return dealing.commitments.map((c) => point(c, "commitment", dealing.dealer));
}

/** Y_j = Σ_i Σ_t x_j^t · C_it. */
export function verificationKey(dealings, index) {
  return pointSum(dealings.map((d) => commitmentEval(commitmentsOf(d), index)));
}

/** Y = Σ_i C_i0: the lot's joint key. */
export function jointKey(dealings) {
  return pointSum(dealings.map((d) => commitmentsOf(d)[0]));
}

// --- 3. the acknowledgement ---------------------------------------------------------------------------------------

function ackStatement(lot, ack) {
  return { ...withoutSig(ack), statement: ACK_STATEMENT, lot };
}

/**
 * Decrypt and check every share dealt to `me`: {complaints (dealer ids, sorted), shares: {dealer: s_ij}}.
 * A dealing that is not signed by its dealer, or whose share does not open or does not match the dealer's
 * commitments, is complained about; nothing from it is used.
 */
export async function checkMyShares(lot, members, threshold, dealings, me, secret) {
  const complaints = [];
  const shares = {};
  for (const dealing of ordered(dealings)) {
    let value;
    try {
      const commitments = await checkDealing(lot, members, threshold, dealing);
      const encrypted = bytesOf(dealing.shares[String(me.member)], "share", ENCRYPTED_SHARE_LENGTH, dealing.dealer);
      value = await decryptShare(lot, dealing.dealer, me.member, secret, encrypted);
      if (!baseMul(value).equals(commitmentEval(commitments, me.index))) {
        throw new CeremonyError(`the share dealt by ${dealing.dealer} does not match their commitments`, dealing.dealer);
      }
    } catch (error) {
      if (!(error instanceof CeremonyError)) throw error;
      complaints.push(dealing.dealer);
      continue;
    }
    shares[dealing.dealer] = value;
  }
  return { complaints, shares };
}

/** Member `me`'s acknowledgement of all n dealings; complains instead of acknowledging a bad share. */
export async function acknowledge(lot, members, threshold, dealings, me, secret, nonce = null) {
  if (dealings.length !== members.length) throw new CeremonyError("not every member has dealt yet");
  const { complaints } = await checkMyShares(lot, members, threshold, dealings, me, secret);
  const ack = {
    member: me.member,
    transcript_hash: await transcriptHash(dealings),
    verification_key: b64uEncode(verificationKey(dealings, me.index).toBytes()),
    complaints,
  };
  ack.sig = await sign(secret, ackStatement(lot, ack), nonce);
  return ack;
}

/** Another member's acknowledgement: same transcript, their Y_j, signed by them. Returns their complaints. */
export async function checkAcknowledgement(lot, members, dealings, ack) {
  const member = members.find((m) => m.member === ack.member);
  if (!member) throw new CeremonyError(`${ack.member} is not a member of this commission`, ack.member);
  if (ack.transcript_hash !== (await transcriptHash(dealings))) {
    throw new CeremonyError(`member ${ack.member} acknowledged other dealings than the ones posted`, ack.member);
  }
  if (!point(ack.verification_key, "verification_key", ack.member).equals(verificationKey(dealings, member.index))) {
    throw new CeremonyError(`member ${ack.member}'s verification key is not the one the commitments give`, ack.member);
  }
  await checkSig(member.publicKey, ackStatement(lot, ack), ack.sig, `member ${ack.member}'s acknowledgement`, ack.member);
  return ack.complaints;
}

/**
 * Check a whole ceremony as the page has it (members, n dealings, n acknowledgements, the announced key):
 * resolves to the joint key Y as base64url. CeremonyError names the member at fault.
 */
export async function checkCeremony(lot, threshold, members, dealings, acknowledgements, publicKey) {
  const checked = await checkedMembers(lot, members);
  if (dealings.length !== checked.length || acknowledgements.length !== checked.length) {
    throw new CeremonyError("the ceremony is not complete");
  }
  for (const dealing of dealings) await checkDealing(lot, checked, threshold, dealing);
  for (const ack of acknowledgements) {
    const complaints = await checkAcknowledgement(lot, checked, dealings, ack);
    if (complaints.length) throw new CeremonyError(`member ${ack.member} complained about ${complaints.join(", ")}`, ack.member);
  }
  const joint = b64uEncode(jointKey(dealings).toBytes());
  if (publicKey !== joint) throw new CeremonyError("the announced public key is not the sum of the dealers' first commitments");
  return joint;
}

// --- 4. the opening -----------------------------------------------------------------------------------------------

/** x̂_j = Σ_i s_ij from the key and the published dealings, checked against Y_j. */
export async function secretShare(lot, members, threshold, dealings, me, secret) {
  const { complaints, shares } = await checkMyShares(lot, members, threshold, dealings, me, secret);
  if (complaints.length) {
    throw new CeremonyError(`the shares dealt to you by ${complaints.join(", ")} do not hold`, complaints[0]);
  }
  const share = mod(Object.values(shares).reduce((a, b) => a + b, 0n));
  if (!baseMul(share).equals(verificationKey(dealings, me.index))) {
    throw new CeremonyError("your share does not match your verification key");
  }
  return share;
}

function shareStatement(lot, message) {
  return { ...withoutSig(message), statement: SHARE_STATEMENT, lot };
}

/**
 * The sealed.share message: one decryption share D = x̂_j·R_b with its DLEQ proof per standing bid (ordered by
 * ciphertext_hash), signed by the member key. `standing` is [{ciphertext_hash, ciphertext}]; each hash is
 * checked against its ciphertext so nothing else is decrypted. `fixed` ({nonces: [..], sigNonce}) for vectors.
 */
export async function openingShares(lot, me, share, secret, standing, { fixed = null, wrongFor = null } = {}) {
  const bids = [...standing].sort((a, b) => (a.ciphertext_hash < b.ciphertext_hash ? -1 : a.ciphertext_hash > b.ciphertext_hash ? 1 : 0));
  const shares = [];
  for (const [n, bid] of bids.entries()) {
    if ((await ciphertextHash(bid.ciphertext)) !== bid.ciphertext_hash) {
      throw new CeremonyError(`the standing bid ${bid.ciphertext_hash} is not the ciphertext it names`);
    }
    const r = ephemeralOf(bid.ciphertext);
    const { d, proof } = await dleqProve(share, r, fixed ? fixed.nonces[n] : null);
    // Only for the test of a wrong share: D off by G, with the proof made for the true D.
    const published = wrongFor === bid.ciphertext_hash ? d.add(baseMul(1n)) : d;
    shares.push({ ciphertext_hash: bid.ciphertext_hash, share: b64uEncode(published.toBytes()), proof: b64uEncode(proof) });
  }
  const message = { member: me.member, shares };
  message.sig = await sign(secret, shareStatement(lot, message), fixed ? fixed.sigNonce : null);
  return message;
}

/** A posted sealed.share: {ciphertext_hash: D (Point)}, or CeremonyError naming the member whose share fails. */
export async function checkShareMessage(lot, member, verificationKeyPoint, standing, message) {
  const byHash = new Map(standing.map((b) => [b.ciphertext_hash, b]));
  const out = {};
  for (const item of message.shares) {
    const bid = byHash.get(item.ciphertext_hash);
    if (!bid) throw new CeremonyError(`member ${member.member} shared for a bid that is not standing`, member.member);
    const d = point(item.share, `member ${member.member}'s share`, member.member);
    const proof = bytesOf(item.proof, "proof", 64, member.member);
    if (!(await dleqVerify(verificationKeyPoint, ephemeralOf(bid.ciphertext), d, proof))) {
      throw new CeremonyError(`member ${member.member}'s share for the bid ${item.ciphertext_hash} fails its proof`, member.member);
    }
    out[item.ciphertext_hash] = d;
  }
  await checkSig(member.publicKey, shareStatement(lot, message), message.sig, `member ${member.member}'s shares`, member.member);
  return out;
}

/** S = Σ λ_j · D_j over {index: D_j}, at least k valid shares. */
export function combine(indexed) {
  const indices = Object.keys(indexed).map(Number).sort((a, b) => a - b);
  return pointSum(indices.map((j) => mul(lagrangeAtZero(indices, j), indexed[j])));
}
