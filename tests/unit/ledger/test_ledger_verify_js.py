"""The inspector's ledger-verify.js, run in Node's WebCrypto, accepts what the Python ledger signs and proves,
and rejects every tampered variant, in the same cases as the Python verifier; it trusts evidence only under the
inspector's trust policy (its log keys, a quorum of its witnesses' cosignatures) and only if the checkpoint extends
the one the browser remembered."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.entry import body_hash
from auction.ledger.verifier.merkle import consistency_proof, hash_leaf, inclusion_proof
from auction.ledger.verifier.note import (
    Checkpoint,
    NoteError,
    ReceiptEntry,
    format_vkey,
    parse_vkey,
    sign_checkpoint,
    split_note,
)
from auction.ledger.verifier.proof_file import ProofFileError, build_proof, parse_proof, verify_proof
from auction.ledger.verifier.witnessing import (
    PolicyWitness,
    TrustPolicy,
    WitnessKey,
    cosign,
    parse_policy,
    parse_witness_vkey,
    timed_checkpoint,
    verify_cosignatures,
)
from tests.kit.node import needs_node, run_module
from tests.unit.ledger.factory import ORIGIN, Log, honest_log
from tests.unit.ledger.reference_tree import list_subtree_hasher
from tests.unit.ledger.reference_tree import root as reference_root

VECTORS = Path(__file__).resolve().parents[2] / "data" / "rfc6962" / "inclusion"
CONSISTENCY_VECTORS = VECTORS.parent / "consistency"

pytestmark = needs_node

# Reads jobs as JSON on stdin and answers one result per job: a whole verification (the evidence with what
# the platform would serve for it, the job's policy text and what the browser remembered), a trust policy to parse,
# or a bare RFC 6962 inclusion or consistency check. A verification's answer carries what the browser remembers
# after it and which consistency proofs it fetched.
RUNNER = """
const lib = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const b64 = (text) => Uint8Array.from(Buffer.from(text, "base64"));
const failure = (error) => ({ ok: false, error: String(error.message), typed: error instanceof lib.VerifyError });
const results = [];
for (const job of JSON.parse(input)) {
  if (job.inclusion) {
    const c = job.inclusion;
    try {
      const proof = (c.proof || []).map(b64);
      await lib.verifyInclusion(BigInt(c.leafIdx), BigInt(c.treeSize), b64(c.leafHash), proof, b64(c.root));
      results.push({ ok: true });
    } catch (error) {
      results.push(failure(error));
    }
    continue;
  }
  if (job.consistencyVector) {
    const c = job.consistencyVector;
    try {
      const proof = (c.proof || []).map(b64);
      await lib.verifyConsistency(BigInt(c.size1), BigInt(c.size2), proof, b64(c.root1), b64(c.root2));
      results.push({ ok: true });
    } catch (error) {
      results.push(failure(error));
    }
    continue;
  }
  let policy;
  if (typeof job.policy === "string") {
    try {
      policy = await lib.parsePolicy(job.policy);
    } catch (error) {
      results.push(failure(error));
      continue;
    }
    if (job.parseOnly) {
      const logs = policy.logs.map((k) => k.vkey);
      const witnesses = policy.witnesses.map((w) => [w.key.vkey, w.url]);
      results.push({ ok: true, logs, witnesses, quorum: policy.quorum, grace: String(policy.graceSeconds) });
      continue;
    }
  }
  const memory = new Map(Object.entries(job.remembered || {}));
  const storage = {
    getItem: (k) => (memory.has(k) ? memory.get(k) : null),
    setItem: (k, v) => memory.set(k, String(v)),
  };
  const fetched = [];
  const report = await lib.verifyEvidence(job.evidence, {
    policy,
    vkey: job.vkey,
    origin: job.origin,
    storage,
    fetchProof: async (hash) => {
      if (!(hash in job.proofs)) throw new Error("no such receipt in the ledger (404)");
      return job.proofs[hash];
    },
    fetchEntry: async (index) => job.leaves[String(index)],
    fetchConsistency: async (size1, size2) => {
      const slot = `${size1}:${size2}`;
      fetched.push(slot);
      const path = (job.consistency || {})[slot];
      if (!path) throw new Error("no consistency proof between these sizes (400)");
      return { size1: Number(size1), size2: Number(size2), path };
    },
  });
  results.push({ ...report, remembered: Object.fromEntries(memory), fetched });
}
process.stdout.write(JSON.stringify(results));
"""


def run_js(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return run_module(RUNNER, "ledger-verify.js", jobs)


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


def sound(report: dict[str, Any]) -> bool:
    """Every check passed, under no trust policy: the answer is still not trust."""
    return report["outcome"] == "not_trusted" and not report["ok"] and all(s["ok"] for s in report["steps"])


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
    assert sound(receipt_json), receipt_json
    assert receipt_json["summary"] == "NOT TRUSTED: no trust policy"
    assert receipt_json["remembered"] == {}  # an untrusted checkpoint is not remembered
    assert receipt_json["kind"] == "receipt"
    # The signature first: the file's body and its unsigned copies are then checked against what it signed.
    assert step_ids(receipt_json) == [
        "read_receipt",
        "key",
        "receipt_signature",
        "body_hash",
        "unsigned_fields",
        "fetch_proof",
        "checkpoint",
        "fetch_entry",
        "entry_matches",
        "inclusion",
        "merge_delay",
    ]
    checkpoint = receipt_json["steps"][6]["values"]
    assert checkpoint["size"] == str(len(honest.log.leaves))
    assert checkpoint["root"] == base64.b64encode(honest.log.tree.root()).decode()
    assert receipt_json["steps"][9]["values"]["index"] == str(honest.index)
    assert sound(bare_note), bare_note
    assert "body_hash" not in step_ids(bare_note)
    assert sound(proof_file), proof_file
    assert step_ids(proof_file) == ["read_proof", "key", "checkpoint", "fetch_entry", "entry_read", "inclusion"]
    assert proof_file["steps"][4]["values"] == {
        "index": str(honest.index),
        "kind": "bid.placed",
        "lot": "2",
        "seq": str(json.loads(honest.body)["lot_seq"]),
        "body_hash": body_hash(honest.body),
    }


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
    verdicts = {name: sound(report) for name, report in zip(variants, results, strict=True)}
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
    [report] = run_js([honest.job(proof, policy=policy_for([log.vkey], [], 0))])
    assert report["ok"], report
    assert report["outcome"] == "unwitnessed"


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
    assert sound(own_report), own_report
    assert "receipt_binding" in step_ids(own_report)
    assert failed_step(theirs_report) == "receipt_binding"
    error = theirs_report["steps"][-1]["error"]
    assert f"the proof is for entry {honest.index - 1}" in error
    assert f"the receipt names body {body_hash(honest.body)}" in error
    assert failed_step(forged_report) == "receipt_signature"
    assert sound(unbound), unbound
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
    assert sound(old_report), old_report


def test_rfc6962_consistency_vectors() -> None:
    """transparency-dev's vectors, as tests/unit/ledger/test_merkle.py runs them against merkle.py."""
    paths = sorted(CONSISTENCY_VECTORS.rglob("*.json"))
    cases = [json.loads(path.read_text()) for path in paths]
    results = run_js([{"consistencyVector": case} for case in cases])
    for path, case, result in zip(paths, cases, results, strict=True):
        assert result["ok"] is not case["wantErr"], (path.parent.name, path.name, result)
        if not result["ok"]:
            assert result["typed"], (path.name, result)


# --- the trust policy and the witnesses' cosignatures (docs/witnesses.md) ---------------------------------

NOW = 1_764_108_000
CHECKPOINT_SLOT = f"achyk.checkpoint:{ORIGIN}"


@dataclass(frozen=True)
class Witness:
    name: str
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def vkey(self) -> str:
        return WitnessKey.of(self.name, self.key).vkey

    def cosign(self, note: str, timestamp: int) -> str:
        """The note with this witness's cosignature/v1 line added."""
        return note + cosign(split_note(note)[0], self.name, self.key, timestamp)


def policy_for(log_vkeys: list[str], witnesses: list[Witness], quorum: int, grace: int = 10) -> str:
    listed = tuple(PolicyWitness(parse_witness_vkey(w.vkey), f"https://{w.name}") for w in witnesses)
    return TrustPolicy(tuple(parse_vkey(v) for v in log_vkeys), listed, quorum, grace).text()


def timed_note(log: Log, size: int, *, leaves: list[bytes] | None = None, when: int = NOW) -> str:
    """The log's signed checkpoint of its first `size` leaves, with the time line witnesses require."""
    hashes = [hash_leaf(leaf) for leaf in (log.leaves if leaves is None else leaves)[:size]]
    return sign_checkpoint(timed_checkpoint(log.origin, size, reference_root(hashes), when), log.key_name, log.key)


def consistency_path(log: Log, size1: int, size2: int) -> list[str]:
    hashes = [hash_leaf(leaf) for leaf in log.leaves[:size2]]
    return [base64.b64encode(h).decode() for h in consistency_proof(size1, size2, list_subtree_hasher(hashes))]


@dataclass
class Witnessed:
    """The honest receipt, now proven under a timed checkpoint that the policy's witnesses cosign."""

    honest: Evidence
    witnesses: list[Witness]
    outsider: Witness

    @property
    def size(self) -> int:
        return len(self.honest.log.leaves)

    def note(self, cosigners: list[tuple[Witness, int]], size: int | None = None) -> str:
        note = timed_note(self.honest.log, size or self.size)
        for witness, timestamp in cosigners:
            note = witness.cosign(note, timestamp)
        return note

    def proof(self, note: str) -> str:
        size = Checkpoint.from_note(note).size
        hashes = [hash_leaf(leaf) for leaf in self.honest.log.leaves[:size]]
        return build_proof(
            self.honest.index, inclusion_proof(self.honest.index, size, list_subtree_hasher(hashes)), note
        )

    def policy(self, quorum: int = 2) -> str:
        return policy_for([self.honest.log.vkey], self.witnesses, quorum)

    def job(self, note: str, *, policy: str | None = None, proof_file: bool = False, **changes: Any) -> dict[str, Any]:
        """The receipt (or its proof file) with `note` as the checkpoint the platform serves, under the policy."""
        proof = self.proof(note)
        evidence = proof if proof_file else self.honest.receipt_json
        job = self.honest.job(evidence, proofs={body_hash(self.honest.body): proof})
        job["policy"] = self.policy() if policy is None else policy
        job.update(changes)
        return job


@pytest.fixture(scope="module")
def witnessed(honest: Evidence) -> Witnessed:
    return Witnessed(honest, [Witness(f"witness{n}.test") for n in range(3)], Witness("outsider.test"))


def test_a_quorum_of_the_policys_witnesses_makes_the_evidence_trusted(witnessed: Witnessed) -> None:
    first, second, _ = witnessed.witnesses
    # An outsider's line is ignored even when it does not verify: the policy does not know that witness.
    garbled = witnessed.outsider.cosign(timed_note(witnessed.honest.log, 3), NOW)
    outsider_line = garbled.rsplit("\n", 2)[1]
    note = witnessed.note([(first, NOW + 3), (second, NOW + 1)]) + outsider_line + "\n"
    receipt, proof = run_js([witnessed.job(note), witnessed.job(note, proof_file=True)])
    for report in (receipt, proof):
        assert report["ok"], report
        assert (report["outcome"], report["summary"]) == ("verified", "OK")
        assert report["witnesses"] == [
            {"name": "witness1.test", "timestamp": str(NOW + 1)},
            {"name": "witness0.test", "timestamp": str(NOW + 3)},
        ]
        assert report["quorumTime"] == str(NOW + 3)  # the second of two: by then a quorum had seen it
        assert report["checkpointTime"] == str(NOW)
        assert report["remembered"] == {CHECKPOINT_SLOT: note}
    assert step_ids(receipt)[:8] == [
        "read_receipt",
        "policy",
        "receipt_signature",
        "body_hash",
        "unsigned_fields",
        "fetch_proof",
        "checkpoint",
        "witnesses",
    ]
    assert step_ids(receipt)[-1] == "history_first"
    assert receipt["steps"][1]["values"] == {
        "logs": "+".join(witnessed.honest.log.vkey.split("+", 2)[:2]),
        "witnesses": "3",
        "quorum": "2",
        "grace": "10",
    }
    assert step_ids(proof)[:5] == ["read_proof", "policy", "checkpoint", "witnesses", "fetch_entry"]


def test_too_few_or_forged_cosignatures_are_refused(witnessed: Witnessed) -> None:
    first, second, _ = witnessed.witnesses
    one = witnessed.note([(first, NOW)])
    with_outsider = witnessed.outsider.cosign(one, NOW)
    # The same signature under another timestamp: the timestamp is part of what the witness signed.
    good = witnessed.note([(first, NOW), (second, NOW + 1)])
    line = good.split("\n\n", 1)[1].split("\n")[2]
    prefix, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[4:12] = (NOW + 100).to_bytes(8, "big")
    restamped = good.replace(line, f"{prefix} {base64.b64encode(bytes(raw)).decode()}")
    short, outsider_counted, tampered = run_js(
        [witnessed.job(one), witnessed.job(with_outsider), witnessed.job(restamped)]
    )
    for report in (short, outsider_counted):
        assert failed_step(report) == "witnesses"
        assert report["outcome"] == "failed"
        error = report["steps"][-1]["error"]
        assert error == "only 1 of the policy's 3 witnesses cosigned this checkpoint, and the policy's quorum is 2"
        assert report["remembered"] == {}
    assert failed_step(tampered) == "witnesses"
    assert tampered["steps"][-1]["error"] == "invalid cosignature from witness1.test"
    with pytest.raises(NoteError, match=r"invalid cosignature from witness1\.test"):
        verify_cosignatures(restamped, [parse_witness_vkey(w.vkey) for w in witnessed.witnesses])


def test_only_the_policys_log_keys_sign(witnessed: Witnessed) -> None:
    first, second, third = witnessed.witnesses
    note = witnessed.note([(first, NOW), (second, NOW), (third, NOW)])
    stranger = Log().vkey
    rotated = policy_for([stranger, witnessed.honest.log.vkey], witnessed.witnesses, 3)
    elsewhere = policy_for([stranger], witnessed.witnesses, 1)
    kept, receipt, proof = run_js(
        [
            witnessed.job(note, policy=rotated),
            witnessed.job(note, policy=elsewhere),
            witnessed.job(note, policy=elsewhere, proof_file=True),
        ]
    )
    assert kept["ok"], kept
    assert kept["quorumTime"] == str(NOW)
    assert failed_step(receipt) == "receipt_signature"
    assert failed_step(proof) == "checkpoint"
    assert "no valid signature from a known key" in proof["steps"][-1]["error"]


def test_without_a_policy_nothing_is_trusted_and_quorum_zero_is_unwitnessed(witnessed: Witnessed) -> None:
    first, second, _ = witnessed.witnesses
    note = witnessed.note([(first, NOW), (second, NOW)])
    no_policy = witnessed.job(note)
    del no_policy["policy"]
    untrusted, unwitnessed = run_js([no_policy, witnessed.job(note, policy=witnessed.policy(quorum=0))])
    assert sound(untrusted), untrusted
    assert untrusted["summary"] == "NOT TRUSTED: no trust policy"
    assert "witnesses" not in step_ids(untrusted)
    assert (untrusted["witnesses"], untrusted["remembered"]) == ([], {})
    assert unwitnessed["ok"], unwitnessed
    assert unwitnessed["outcome"] == "unwitnessed"
    assert "unwitnessed" in step_ids(unwitnessed)
    assert unwitnessed["quorumTime"] is None
    assert len(unwitnessed["witnesses"]) == 2  # still checked and listed, but the policy counts on none


def test_the_checkpoint_must_extend_the_one_this_browser_remembered(witnessed: Witnessed) -> None:
    log = witnessed.honest.log
    cosigners = [(w, NOW) for w in witnessed.witnesses]
    size, older_size = witnessed.size, witnessed.honest.index + 1
    note = witnessed.note(cosigners)
    older = witnessed.note(cosigners, size=older_size)
    # The same size under another root: the log showed someone else another history.
    forked_leaves = [*log.leaves[:-1], log.leaves[-2]]
    fork = timed_note(log, size, leaves=forked_leaves)
    fork_older = timed_note(log, older_size, leaves=[*log.leaves[: older_size - 1], log.leaves[0]])
    path = {f"{older_size}:{size}": consistency_path(log, older_size, size)}
    cases = {
        "first": witnessed.job(note),
        "same": witnessed.job(note, remembered={CHECKPOINT_SLOT: note}),
        "grew": witnessed.job(note, remembered={CHECKPOINT_SLOT: older}, consistency=path),
        "old proof": witnessed.job(older, remembered={CHECKPOINT_SLOT: note}, consistency=path),
        "same size, other root": witnessed.job(note, remembered={CHECKPOINT_SLOT: fork}),
        "grew from a fork": witnessed.job(note, remembered={CHECKPOINT_SLOT: fork_older}, consistency=path),
        "no proof served": witnessed.job(note, remembered={CHECKPOINT_SLOT: older}),
    }
    reports = dict(zip(cases, run_js(list(cases.values())), strict=True))
    for name in ("first", "same", "grew", "old proof"):
        assert reports[name]["ok"], (name, reports[name])
    assert step_ids(reports["first"])[-1] == "history_first"
    assert reports["same"]["steps"][-1] == {
        "id": "history_same",
        "ok": True,
        "values": {"size": str(size), "remembered": str(size)},
    }
    assert reports["same"]["fetched"] == []
    assert step_ids(reports["grew"])[-1] == "history_extends"
    assert reports["grew"]["fetched"] == [f"{older_size}:{size}"]
    assert reports["grew"]["remembered"] == {CHECKPOINT_SLOT: note}
    # An older proof passes, and the browser keeps the newer checkpoint it had.
    assert reports["old proof"]["steps"][-1]["values"] == {"size": str(older_size), "remembered": str(size)}
    assert step_ids(reports["old proof"])[-1] == "history_older"
    assert reports["old proof"]["remembered"] == {CHECKPOINT_SLOT: note}
    for name, step in (("same size, other root", "history_same"), ("grew from a fork", "history_extends")):
        report = reports[name]
        assert failed_step(report) == step, name
        assert report["outcome"] == "split_view", name
        assert report["summary"].startswith("SPLIT VIEW"), name
        assert report["remembered"] == cases[name]["remembered"], name  # the history seen first is kept
    assert failed_step(reports["no proof served"]) == "history_extends"
    assert reports["no proof served"]["outcome"] == "failed"
    assert reports["no proof served"]["remembered"] == {CHECKPOINT_SLOT: older}


def test_trust_policies_parse_as_in_python(witnessed: Witnessed) -> None:
    log_vkey = witnessed.honest.log.vkey
    first, second, _ = (w.vkey for w in witnessed.witnesses)
    renamed = "someone.else+" + first.split("+", 1)[1]
    good = policy_for([log_vkey], witnessed.witnesses[:2], 2)
    header = "achyk-trust-policy/v1\n"
    texts = {
        "good": good,
        "comments, blank lines, any order, CRLF": (
            "achyk-trust-policy/v1  \r\n# ours\r\n\r\ngrace 0\r\nquorum 1\r\n"
            f"witness {first}\r\nlog {log_vkey}\r\n  # indented comment\r\n"
        ),
        "no header": good.split("\n", 1)[1],
        "other header": good.replace("/v1", "/v2", 1),
        "no log": f"{header}witness {first}\nquorum 0\ngrace 1\n",
        "no grace": f"{header}log {log_vkey}\nquorum 0\n",
        "quorum twice": f"{header}log {log_vkey}\nquorum 0\nquorum 0\ngrace 1\n",
        "leading zero": f"{header}log {log_vkey}\nquorum 00\ngrace 1\n",
        "signed quorum": f"{header}log {log_vkey}\nquorum +0\ngrace 1\n",
        "quorum above witnesses": f"{header}log {log_vkey}\nwitness {first}\nquorum 2\ngrace 1\n",
        "witness twice": f"{header}log {log_vkey}\nwitness {first}\nwitness {first} https://x\nquorum 1\ngrace 1\n",
        "log key as witness": f"{header}log {log_vkey}\nwitness {log_vkey}\nquorum 0\ngrace 1\n",
        "witness key as log": f"{header}log {second}\nquorum 0\ngrace 1\n",
        "renamed witness": f"{header}log {log_vkey}\nwitness {renamed}\nquorum 0\ngrace 1\n",
        "log with a url": f"{header}log {log_vkey} https://x\nquorum 0\ngrace 1\n",
        "witness with two urls": f"{header}log {log_vkey}\nwitness {first} https://x https://y\nquorum 0\ngrace 1\n",
        "unknown word": f"{header}log {log_vkey}\nquorum 0\ngrace 1\nmirror https://x\n",
    }
    results = dict(zip(texts, run_js([{"policy": t, "parseOnly": True} for t in texts.values()]), strict=True))
    for name, text in texts.items():
        try:
            expected: TrustPolicy | None = parse_policy(text)
        except NoteError:
            expected = None
        result = results[name]
        assert result["ok"] is (expected is not None), (name, result)
        if expected is not None:
            assert result["logs"] == [k.vkey for k in expected.logs], name
            assert result["witnesses"] == [[w.key.vkey, w.url] for w in expected.witnesses], name
            assert (result["quorum"], result["grace"]) == (expected.quorum, str(expected.grace_seconds)), name
        else:
            assert result["typed"], (name, result)
    assert results["good"]["witnesses"][0] == [first, "https://witness0.test"]
    assert results["quorum above witnesses"]["error"] == "quorum 2 is more than the 1 witnesses listed"
    assert results["unknown word"]["error"] == (
        "policy line 5: expected 'log VKEY', 'witness VKEY [URL]', 'quorum K', 'grace S'"
    )
    assert results["no header"]["error"] == "a trust policy starts with the line 'achyk-trust-policy/v1'"
    assert results["renamed witness"]["error"] == "policy line 3: vkey hash does not match its name and key"
