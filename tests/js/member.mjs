// The browser's modules as a command-line peer for the Python tests: reads a list of jobs as JSON on stdin, runs
// each with web/static/js/{group,dkg,sealed-bid}.js, prints one {ok} or {error} per job. Scalars are b64u.
//   {op: "encrypt", key, lot, bidder, amount}                 -> ciphertext
//   {op: "decrypt", shared, key, lot, bidder, ciphertext}     -> amount or null (shared = S, a point)
//   {op: "key", lot, member, secret?}                         -> {secret, file, message}
//   {op: "deal", lot, members, threshold, member, secret}     -> dealing
//   {op: "ack", lot, members, threshold, dealings, member, secret}             -> acknowledgement
//   {op: "check", lot, threshold, members, dealings, acknowledgements, public_key} -> joint key
//   {op: "shares", lot, members, threshold, dealings, member, secret, standing} -> sealed.share message
//   {op: "open", lot, members, dealings, key, standing, messages}           -> [{bidder, amount}] from k shares
const js = new URL("../../web/static/js/", import.meta.url);
const g = await import(new URL("group.js", js));
const dkg = await import(new URL("dkg.js", js));
const sealed = await import(new URL("sealed-bid.js", js));

const scalar = (text) => g.scalarFromB64u(text, "secret");
const scalarText = (value) => g.b64uEncode(g.encodeScalar(value));

async function me(job) {
  const members = await dkg.checkedMembers(job.lot, job.members);
  return { members, me: members.find((m) => m.member === job.member) };
}

const ops = {
  encrypt: (job) => sealed.encryptBid(job.key, job.lot, job.bidder, job.amount),
  decrypt: (job) => sealed.decryptBid(g.pointFromB64u(job.shared, "S"), job.key, job.lot, job.bidder, job.ciphertext),
  key: async (job) => {
    const made = await dkg.createMemberKey(job.lot, job.member, job.secret ? { secret: scalar(job.secret) } : {});
    return { secret: scalarText(made.secret), file: made.file, message: made.message };
  },
  deal: async (job) => {
    const { members } = await me(job);
    return dkg.makeDealing(job.lot, members, job.threshold, job.member, scalar(job.secret), { wrongShareFor: job.wrong_share_for ?? null });
  },
  ack: async (job) => {
    const { members, me: m } = await me(job);
    return dkg.acknowledge(job.lot, members, job.threshold, job.dealings, m, scalar(job.secret));
  },
  check: (job) => dkg.checkCeremony(job.lot, job.threshold, job.members, job.dealings, job.acknowledgements, job.public_key),
  shares: async (job) => {
    const { members, me: m } = await me(job);
    const secret = scalar(job.secret);
    const share = await dkg.secretShare(job.lot, members, job.threshold, job.dealings, m, secret);
    return dkg.openingShares(job.lot, m, share, secret, job.standing, { wrongFor: job.wrong_for ?? null });
  },
  open: async (job) => {
    const members = await dkg.checkedMembers(job.lot, job.members);
    const perBid = {};
    for (const message of job.messages) {
      const m = members.find((x) => x.member === message.member);
      const checked = await dkg.checkShareMessage(job.lot, m, dkg.verificationKey(job.dealings, m.index), job.standing, message);
      for (const [digest, d] of Object.entries(checked)) (perBid[digest] ||= {})[m.index] = d;
    }
    const out = [];
    for (const bid of job.standing) {
      const shared = dkg.combine(perBid[bid.ciphertext_hash]);
      out.push({ bidder: bid.bidder, amount: await sealed.decryptBid(shared, job.key, job.lot, bid.bidder, bid.ciphertext) });
    }
    return out;
  },
};

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const job of JSON.parse(input)) {
  try {
    const value = await ops[job.op](job);
    results.push({ ok: value === undefined ? null : value });
  } catch (error) {
    results.push({ error: String(error && error.message), member: error && error.member !== undefined ? error.member : null });
  }
}
process.stdout.write(JSON.stringify(results));
