// web/static/js/ledger-verify.js as a command-line peer for the Python tests: reads jobs as JSON on stdin, each
// {evidence, vkey, origin, proof, leaf}, verifies the evidence with the platform's answers fixed to `proof` (the
// tlog-proof) and `leaf` (the entry's exact text), and prints each report as JSON (BigInts as text).
const verify = await import(new URL("../../web/static/js/ledger-verify.js", import.meta.url));

let input = "";
for await (const chunk of process.stdin) input += chunk;
const reports = [];
for (const job of JSON.parse(input)) {
  const report = await verify.verifyEvidence(job.evidence, {
    vkey: job.vkey,
    origin: job.origin,
    fetchProof: async () => job.proof,
    fetchEntry: async () => job.leaf,
  });
  reports.push(report);
}
process.stdout.write(JSON.stringify(reports, (key, value) => (typeof value === "bigint" ? String(value) : value)));
