// Reproduces tests/data/keys/sealed-v2.json with the browser's modules: every signature, proof, share, dealing,
// acknowledgement, joint key, bid and opening, byte for byte. Prints {"mismatches": [...]} (empty when all agree).
// Usage: node tests/js/sealed_v2_vectors.mjs <vector file>
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const js = new URL("../../web/static/js/", import.meta.url);
const g = await import(new URL("group.js", js));
const dkg = await import(new URL("dkg.js", js));
const sealed = await import(new URL("sealed-bid.js", js));

const v = JSON.parse(readFileSync(process.argv[2] || fileURLToPath(new URL("../data/keys/sealed-v2.json", import.meta.url)), "utf8"));
const mismatches = [];
function same(what, got, want) {
  // Compared as canonical JSON: the file's key order is not part of the format.
  const a = new TextDecoder().decode(g.canonical(got));
  const b = new TextDecoder().decode(g.canonical(want));
  if (a !== b) mismatches.push({ what, got: got, want: want });
}
const s = (text) => g.scalarFromB64u(text, "scalar");
const p = (text) => g.pointFromB64u(text, "point");
const enc = (pt) => g.b64uEncode(pt.toBytes());

// 2.1: Hs, Schnorr, DLEQ
same("hs", g.b64uEncode(g.encodeScalar(await g.hs(v.hs.domain, ...v.hs.parts_hex.map(g.hexDecode)))), v.hs.result);
const msg = g.hexDecode(v.schnorr.message_hex);
same("schnorr public_key", enc(g.baseMul(s(v.schnorr.secret))), v.schnorr.public_key);
same("schnorr sig", g.b64uEncode(await g.schnorrSign(s(v.schnorr.secret), msg, s(v.schnorr.nonce))), v.schnorr.sig);
same("schnorr verify", await g.schnorrVerify(p(v.schnorr.public_key), msg, g.b64uDecode(v.schnorr.sig)), true);
const tampered = g.b64uDecode(v.schnorr.sig);
tampered[40] ^= 1;
same("schnorr verify tampered", await g.schnorrVerify(p(v.schnorr.public_key), msg, tampered), false);
const dleq = await g.dleqProve(s(v.dleq.secret), p(v.dleq.R), s(v.dleq.nonce));
same("dleq Y", enc(g.baseMul(s(v.dleq.secret))), v.dleq.Y);
same("dleq D", enc(dleq.d), v.dleq.D);
same("dleq proof", g.b64uEncode(dleq.proof), v.dleq.proof);
same("dleq verify", await g.dleqVerify(p(v.dleq.Y), p(v.dleq.R), p(v.dleq.D), g.b64uDecode(v.dleq.proof)), true);
same("dleq verify wrong D", await g.dleqVerify(p(v.dleq.Y), p(v.dleq.R), p(v.dleq.Y), g.b64uDecode(v.dleq.proof)), false);

// 2.2: one encrypted share
const e = v.share_encryption;
const encrypted = await dkg.encryptShare(e.lot, e.dealer, e.member, p(e.member_public_key), s(e.share), s(e.r));
same("share encryption", g.b64uEncode(encrypted), e.encrypted);
same("share decryption", g.b64uEncode(g.encodeScalar(await dkg.decryptShare(e.lot, e.dealer, e.member, s(e.member_secret), g.b64uDecode(e.encrypted)))), e.share);

// 2.2: the ceremony
const c = v.ceremony;
const keyMessages = [];
for (const m of c.members) {
  const made = await dkg.createMemberKey(c.lot, m.member, { secret: s(m.secret), nonce: s(m.pok_nonce) });
  keyMessages.push(made.message);
}
same("member keys", keyMessages, c.sealed.members.map(({ member, public_key, pok }) => ({ member, public_key, pok })));
const members = await dkg.checkedMembers(c.lot, c.sealed.members);
const dealings = [];
for (const input of c.dealer_inputs) {
  const secret = s(c.members.find((m) => m.member === input.dealer).secret);
  const fixed = {
    coefficients: input.coefficients.map(s),
    ephemerals: Object.fromEntries(Object.entries(input.ephemerals).map(([k, r]) => [k, s(r)])),
    nonce: s(input.sig_nonce),
  };
  dealings.push(await dkg.makeDealing(c.lot, members, c.threshold, input.dealer, secret, { fixed }));
}
same("dealings", dealings, c.sealed.dealings);
const acks = [];
for (const [position, input] of c.dealer_inputs.entries()) {
  const secret = s(c.members.find((m) => m.member === input.dealer).secret);
  acks.push(await dkg.acknowledge(c.lot, members, c.threshold, c.sealed.dealings, members[position], secret, s(input.ack_nonce)));
}
same("acknowledgements", acks, c.sealed.acknowledgements);
same("joint key", enc(dkg.jointKey(c.sealed.dealings)), c.sealed.public_key);
let checkedKey;
try {
  checkedKey = await dkg.checkCeremony(c.lot, c.threshold, c.sealed.members, c.sealed.dealings, c.sealed.acknowledgements, c.sealed.public_key);
} catch (error) {
  checkedKey = `refused: ${error.message}`;
}
same("whole ceremony checks", checkedKey, c.sealed.public_key);
const shares = {};
for (const [position, m] of c.members.entries()) {
  shares[m.member] = g.b64uEncode(g.encodeScalar(await dkg.secretShare(c.lot, members, c.threshold, c.sealed.dealings, members[position], s(m.secret))));
}
same("secret shares", shares, c.secret_shares);

// 2.3: the bid
const b = v.bid;
const ciphertext = await sealed.encryptBid(c.sealed.public_key, b.lot, b.bidder, b.amount, { r: s(b.r), iv: g.hexDecode(b.iv_hex) });
same("bid ciphertext", ciphertext, b.ciphertext);
same("bid ciphertext_hash", await sealed.ciphertextHash(b.ciphertext), b.ciphertext_hash);

// 2.4: the opening
const o = v.opening;
const standing = [{ ciphertext_hash: b.ciphertext_hash, ciphertext: b.ciphertext }];
const shareMessages = [];
const indexed = {};
for (const id of o.released_by) {
  const position = c.members.findIndex((m) => m.member === id);
  const x = s(c.members[position].secret);
  const fixed = { nonces: [s(o.share_nonces[id])], sigNonce: s(o.share_sig_nonces ? o.share_sig_nonces[id] : o.share_nonces[id]) };
  const xhat = s(c.secret_shares[id]);
  shareMessages.push(await dkg.openingShares(c.lot, members[position], xhat, x, standing, { fixed }));
  const checked = await dkg.checkShareMessage(c.lot, members[position], g.baseMul(xhat), standing, o.sealed_shares.find((m) => m.member === id));
  indexed[members[position].index] = checked[b.ciphertext_hash];
}
same("sealed shares", shareMessages, o.sealed_shares);
for (const [index, lambda] of Object.entries(o.lagrange)) {
  same(`lagrange ${index}`, g.b64uEncode(g.encodeScalar(g.lagrangeAtZero(Object.keys(o.lagrange).map(Number), Number(index)))), lambda);
}
const combined = dkg.combine(indexed);
same("combined", enc(combined), o.combined);
same("opened amount", await sealed.decryptBid(combined, c.sealed.public_key, b.lot, b.bidder, b.ciphertext), o.amount);

process.stdout.write(JSON.stringify({ mismatches }, null, 1));
