"""The inspector's ledger-verify.js, run in Node's WebCrypto, accepts what the Python ledger signs and proves,
and rejects every tampered variant, in the same cases as the Python verifier."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.entry import body_hash
from auction.ledger.verifier.merkle import hash_leaf, inclusion_proof
from auction.ledger.verifier.note import (
    Checkpoint,
    NoteError,
    ReceiptEntry,
    format_vkey,
    parse_vkey,
    sign_checkpoint,
)
from auction.ledger.verifier.proof_file import ProofFileError, build_proof, parse_proof, verify_proof
from auction.ledger.verifier.witnessing import cosign, timed_checkpoint
from tests.unit.ledger.factory import ORIGIN, Log, honest_log
from tests.unit.ledger.reference_tree import list_subtree_hasher

NODE = Path("/usr/bin/node")
MODULE = Path(__file__).resolve().parents[3] / "web" / "static" / "js" / "ledger-verify.js"
VECTORS = Path(__file__).resolve().parents[2] / "data" / "rfc6962" / "inclusion"

pytestmark = pytest.mark.skipif(not NODE.exists(), reason="/usr/bin/node is not installed; cannot run the JS")

# Reads jobs as JSON on stdin and answers one result per job: a whole verification (the evidence with what
# the platform would serve for it) or a bare RFC 6962 inclusion check.
RUNNER = """
const lib = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const b64 = (text) => Uint8Array.from(Buffer.from(text, "base64"));
const results = [];
for (const job of JSON.parse(input)) {
  if (job.inclusion) {
    const c = job.inclusion;
    try {
      const proof = (c.proof || []).map(b64);
      await lib.verifyInclusion(BigInt(c.leafIdx), BigInt(c.treeSize), b64(c.leafHash), proof, b64(c.root));
      results.push({ ok: true });
    } catch (error) {
      results.push({ ok: false, error: String(error.message), typed: error instanceof lib.VerifyError });
    }
    continue;
  }
  const report = await lib.verifyEvidence(job.evidence, {
    vkey: job.vkey,
    origin: job.origin,
    fetchProof: async (hash) => {
      if (!(hash in job.proofs)) throw new Error("no such receipt in the ledger (404)");
      return job.proofs[hash];
    },
    fetchEntry: async (index) => job.leaves[String(index)],
  });
  results.push(report);
}
process.stdout.write(JSON.stringify(results));
"""


def run_js(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [str(NODE), "--input-type=module", "-e", RUNNER, MODULE.as_uri()],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    results: list[dict[str, Any]] = json.loads(completed.stdout)
    assert len(results) == len(jobs)
    return results


@dataclass
class Evidence:
    """A bid's receipt as the site stores it, and what the platform serves to verify it."""

    log: Log
    body: bytes
    index: int
    receipt_file: dict[str, Any]
    proof: str

    def job(self, evidence: str, **changes: Any) -> dict[str, Any]:
        job = {
            "evidence": evidence,
            "vkey": self.log.vkey,
            "origin": ORIGIN,
            "proofs": {body_hash(self.body): self.proof},
            "leaves": {str(i): leaf.decode() for i, leaf in enumerate(self.log.leaves)},
        }
        job.update(changes)
        return job

    @property
    def receipt_json(self) -> str:
        return json.dumps(self.receipt_file, ensure_ascii=False, indent=2)


def proof_for(log: Log, index: int, key: Ed25519PrivateKey | None = None, root: bytes | None = None) -> str:
    hashes = [hash_leaf(leaf) for leaf in log.leaves]
    path = inclusion_proof(index, len(hashes), list_subtree_hasher(hashes))
    checkpoint = Checkpoint(log.origin, len(hashes), root or log.tree.root())
    note = sign_checkpoint(checkpoint, log.key_name, key or log.key)
    return build_proof(index, path, note)


def evidence(*, late: bool = False) -> Evidence:
    """A log of a few dozen entries in which one bid, in the middle, has a receipt."""
    log = honest_log(37, lots=4, checkpoint_every=0)
    body = log.admit("bid.placed", 2, {"bidder": "b-00000000000000aa", "amount": 125_000_00}, actor="bidder:x")
    integrated_at = log.clock + (timedelta(seconds=61) if late else timedelta(milliseconds=300))
    log.clock = integrated_at
    log.integrate(body, integrated_at)
    index = len(log.leaves) - 1
    for n in range(6):
        log.add("bid.placed", 3, {"bidder": f"b-{n:016x}", "amount": 10 * n})
    receipt = log.receipt(body)
    at = json.loads(body)["at"]
    receipt_file = {
        "bid_id": 7,
        "lot_id": 2,
        "amount": 125_000_00,
        "placed_at": at,
        "closes_at": at,
        "body": body.decode(),
        "body_hash": body_hash(body),
        "receipt": receipt,
    }
    return Evidence(log, body, index, receipt_file, proof_for(log, index))


def step_ids(report: dict[str, Any]) -> list[str]:
    return [s["id"] for s in report["steps"]]


def failed_step(report: dict[str, Any]) -> str:
    assert not report["ok"], report
    last = report["steps"][-1]
    assert not last["ok"], report
    return str(last["id"])


@pytest.fixture(scope="module")
def honest() -> Evidence:
    return evidence()


def test_an_honest_receipt_verifies_step_by_step(honest: Evidence) -> None:
    note = honest.receipt_file["receipt"]
    receipt_json, bare_note, proof_file = run_js(
        [honest.job(honest.receipt_json), honest.job(note), honest.job(honest.proof)]
    )
    assert receipt_json["ok"], receipt_json
    assert receipt_json["kind"] == "receipt"
    assert step_ids(receipt_json) == [
        "read_receipt",
        "key",
        "body_hash",
        "receipt_signature",
        "fetch_proof",
        "checkpoint",
        "fetch_entry",
        "entry_matches",
        "inclusion",
        "merge_delay",
    ]
    checkpoint = receipt_json["steps"][5]["values"]
    assert checkpoint["size"] == str(len(honest.log.leaves))
    assert checkpoint["root"] == base64.b64encode(honest.log.tree.root()).decode()
    assert receipt_json["steps"][8]["values"]["index"] == str(honest.index)
    assert bare_note["ok"], bare_note
    assert "body_hash" not in step_ids(bare_note)
    assert proof_file["ok"], proof_file
    assert step_ids(proof_file) == ["read_proof", "key", "checkpoint", "fetch_entry", "entry_read", "inclusion"]
    assert proof_file["steps"][4]["values"] == {"kind": "bid.placed", "lot": "2", "body_hash": body_hash(honest.body)}


def test_every_tampered_receipt_is_refused_at_the_right_step(honest: Evidence) -> None:
    file = honest.receipt_file
    note: str = file["receipt"]
    text, signature_line = note.rsplit("\n\n", 1)
    name, signature = signature_line.rstrip("\n").rsplit(" ", 1)
    raw = bytearray(base64.b64decode(signature))
    raw[-1] ^= 1
    bad_signature = f"{text}\n\n{name} {base64.b64encode(bytes(raw)).decode()}\n"
    other_key = Log(key=Ed25519PrivateKey.generate())
    richer = file["body"].replace("12500000", "99900000")
    index_leaves = {str(i): leaf.decode() for i, leaf in enumerate(honest.log.leaves)}
    swapped_leaves = {**index_leaves, str(honest.index): honest.log.leaves[honest.index - 1].decode()}
    restamped = honest.log.leaves[honest.index].decode().replace('"integrated_at":"2026', '"integrated_at":"2027')
    vkey = honest.log.vkey
    wrong_hash_vkey = vkey.split("+")[0] + "+00000000+" + vkey.split("+", 2)[2]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("read", honest.job("just some text")),
        ("read_receipt", honest.job("{not json")),
        ("read_receipt", honest.job(json.dumps({**file, "body_hash": "ABC"}))),
        ("key", honest.job(honest.receipt_json, vkey=wrong_hash_vkey)),
        ("key", honest.job(honest.receipt_json, vkey="not a key")),
        ("body_hash", honest.job(json.dumps({**file, "body": richer}))),
        ("receipt_signature", honest.job(json.dumps({**file, "receipt": bad_signature}))),
        ("receipt_signature", honest.job(honest.receipt_json, vkey=other_key.vkey)),
        ("receipt_signature", honest.job(honest.receipt_json, origin="another.example/ledger")),
        ("fetch_proof", honest.job(honest.receipt_json, proofs={})),
        ("fetch_proof", honest.job(honest.receipt_json, proofs={body_hash(honest.body): "garbage"})),
        ("entry_matches", honest.job(honest.receipt_json, leaves=swapped_leaves)),
        ("inclusion", honest.job(honest.receipt_json, leaves={**index_leaves, str(honest.index): restamped})),
    ]
    results = run_js([job for _, job in cases])
    for (expected, job), report in zip(cases, results, strict=True):
        assert failed_step(report) == expected, (job["evidence"][:60], report)
        assert report["steps"][-1]["error"]


def test_a_late_integration_breaks_the_receipts_promise() -> None:
    late = evidence(late=True)
    (report,) = run_js([late.job(late.receipt_json)])
    assert failed_step(report) == "merge_delay"
    assert "promised 60 s" in report["steps"][-1]["error"]


def proof_variants(honest: Evidence) -> dict[str, str]:
    """Tampered tlog-proof files: each must be refused by the browser exactly when Python refuses it."""
    header, rest = honest.proof.split("\nindex ", 1)
    index_line, after = rest.split("\n", 1)
    path_text, checkpoint = after.split("\n\n", 1)
    path = path_text.split("\n")
    flipped = bytearray(base64.b64decode(path[0]))
    flipped[0] ^= 0x80
    attacker = Ed25519PrivateKey.generate()
    log = honest.log
    forged_root = proof_for(log, honest.index, key=attacker)
    wrong_root = proof_for(log, honest.index, root=bytes(32))

    def assemble(index: str, hashes: list[str], note: str) -> str:
        return f"{header}\nindex {index}\n" + "".join(h + "\n" for h in hashes) + "\n" + note

    return {
        "honest": honest.proof,
        "flipped path hash": assemble(index_line, [base64.b64encode(bytes(flipped)).decode(), *path[1:]], checkpoint),
        "dropped path hash": assemble(index_line, path[:-1], checkpoint),
        "extra path hash": assemble(index_line, [*path, path[0]], checkpoint),
        "other index": assemble(str(int(index_line) + 1), path, checkpoint),
        "leading zero index": assemble("0" + index_line, path, checkpoint),
        "wrong root, signed": wrong_root,
        "signed by another key": forged_root,
        "checkpoint size changed": assemble(
            index_line, path, checkpoint.replace(f"\n{len(log.leaves)}\n", f"\n{len(log.leaves) + 1}\n", 1)
        ),
        "no empty line": honest.proof.replace("\n\n", "\n", 1),
        "bad header": honest.proof.replace("tlog-proof@v1", "tlog-proof@v2", 1),
        "padding dropped": assemble(index_line, [path[0].rstrip("="), *path[1:]], checkpoint),
        "extra line": honest.proof.replace("\nindex", "\nextra aGk=\nindex", 1),
    }


def python_accepts(proof_text: str, honest: Evidence) -> bool:
    """The Python verifier's verdict on the same file, with the leaf the platform serves at its index."""
    try:
        proof = parse_proof(proof_text)
        leaves = honest.log.leaves
        if proof.index >= len(leaves):
            return False
        verify_proof(proof, hash_leaf(leaves[proof.index]), ORIGIN, [parse_vkey(honest.log.vkey)])
    except (ProofFileError, NoteError):
        return False
    return True


def test_proof_files_are_judged_as_the_python_verifier_judges_them(honest: Evidence) -> None:
    variants = proof_variants(honest)
    results = run_js([honest.job(text) for text in variants.values()])
    verdicts = {name: report["ok"] for name, report in zip(variants, results, strict=True)}
    assert verdicts == {name: python_accepts(text, honest) for name, text in variants.items()}
    assert verdicts["honest"]
    assert verdicts["extra line"]  # the optional, unauthenticated extra data changes nothing
    assert sum(verdicts.values()) == 2


def test_a_timed_checkpoint_with_cosignatures_is_read_as_python_reads_it(honest: Evidence) -> None:
    """The platform signs a time line and publishes witnesses' cosignature lines: extensions and unknown signers
    are ignored, as in Python, so the log's own signature is what the browser checks."""
    log = honest.log
    hashes = [hash_leaf(leaf) for leaf in log.leaves]
    path = inclusion_proof(honest.index, len(hashes), list_subtree_hasher(hashes))
    timed = timed_checkpoint(log.origin, len(hashes), log.tree.root(), 1_764_108_000)
    note = sign_checkpoint(timed, log.key_name, log.key)
    witness = Ed25519PrivateKey.from_private_bytes(b"w" * 32)
    cosigned = note + cosign(timed.text(), "witness.audit.gov.kg", witness, 1_764_108_001)
    proof = build_proof(honest.index, path, cosigned)
    assert python_accepts(proof, honest)
    [report] = run_js([honest.job(proof)])
    assert report["ok"], report


def test_rfc6962_inclusion_vectors() -> None:
    """transparency-dev's vectors, as tests/unit/ledger/test_merkle.py runs them against merkle.py."""
    paths = sorted(VECTORS.rglob("*.json"))
    cases = [json.loads(path.read_text()) for path in paths]
    results = run_js([{"inclusion": case} for case in cases])
    for path, case, result in zip(paths, cases, results, strict=True):
        assert result["ok"] is not case["wantErr"], (path.name, result)
        if not result["ok"]:
            assert result["typed"], (path.name, result)


def test_vkeys_parse_as_in_python(honest: Evidence) -> None:
    key = Ed25519PrivateKey.generate()
    good = format_vkey("achyk.test/ledger", key.public_key())
    # The key hash binds the name: renaming the key without recomputing the hash must fail.
    renamed = "other.test/ledger+" + good.split("+", 1)[1]
    jobs = [honest.job(honest.proof, vkey=v) for v in (good, renamed, good + "=", " " + good.replace("+", " ", 1))]
    results = run_js(jobs)
    assert failed_step(results[0]) == "checkpoint"  # a valid key, but not the one that signed
    assert [failed_step(r) for r in results[1:]] == ["key", "key", "key"]


def test_a_proof_carrying_its_receipt_is_refused_for_another_entry(honest: Evidence) -> None:
    """A proof bound to a bidder's receipt must prove that bidder's entry, in the browser as in Python."""
    log, receipt = honest.log, honest.receipt_file["receipt"]
    own = build_proof_with(log, honest.index, receipt)
    theirs = build_proof_with(log, honest.index - 1, receipt)
    forged = build_proof_with(log, honest.index, Log().receipt(honest.body))
    own_report, theirs_report, forged_report, unbound = run_js(
        [honest.job(own), honest.job(theirs), honest.job(forged), honest.job(honest.proof)]
    )
    assert own_report["ok"], own_report
    assert "receipt_binding" in step_ids(own_report)
    assert failed_step(theirs_report) == "receipt_binding"
    error = theirs_report["steps"][-1]["error"]
    assert f"the proof is for entry {honest.index - 1}" in error
    assert f"the receipt names body {body_hash(honest.body)}" in error
    assert failed_step(forged_report) == "receipt_signature"
    assert unbound["ok"], unbound
    assert "receipt_binding" not in step_ids(unbound)
    assert parse_proof(theirs).receipt_note == receipt


def build_proof_with(log: Log, index: int, receipt: str) -> str:
    """proof_for, with the signed receipt note in the proof's extra line."""
    plain = parse_proof(proof_for(log, index))
    return build_proof(plain.index, plain.hashes, plain.checkpoint_note, receipt.encode())


def test_receipts_name_their_entry_and_old_receipts_still_verify(honest: Evidence) -> None:
    """A v2 receipt whose words contradict its entry is refused in the browser, as receipts.check_receipt does."""
    log, body = honest.log, honest.body
    misleading = log.receipt(body, entry=ReceiptEntry(2, 999, "bid.withdrawn"))
    old = log.receipt(body, v1=True)
    misleading_report, old_report = run_js([honest.job(misleading), honest.job(old)])
    assert failed_step(misleading_report) == "entry_matches"
    assert "but the receipt names bid.withdrawn #999 of lot 2" in misleading_report["steps"][-1]["error"]
    assert old_report["ok"], old_report
