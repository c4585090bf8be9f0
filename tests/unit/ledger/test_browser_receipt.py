"""The browser's verifier (web/static/js/ledger-verify.js, run in Node) shows only what the signatures cover: a
receipt file whose unsigned lot, number, kind, time or amount was edited is reported, never shown as verified."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from auction.ledger.verifier.canonical import parse_time
from auction.ledger.verifier.entry import ZERO_HASH, body_hash, make_body, make_leaf
from auction.ledger.verifier.merkle import hash_leaf
from auction.ledger.verifier.note import Checkpoint, Receipt, ReceiptEntry, format_vkey, sign_checkpoint, sign_receipt
from auction.ledger.verifier.proof_file import build_proof

ROOT = Path(__file__).resolve().parents[3]
NODE = Path("/usr/bin/node")
ORIGIN = "test.achyk.kg/ledger"
AT = "2026-06-01T06:00:00.000000Z"

pytestmark = pytest.mark.skipif(not NODE.exists(), reason="/usr/bin/node is not installed; cannot run the JS")


def ledger_of_one_bid() -> tuple[dict[str, Any], dict[str, str]]:
    """A one-entry ledger holding a bid on lot 49: the site's receipt file for it, and what the platform serves."""
    key = Ed25519PrivateKey.generate()
    body = make_body(
        kind="bid.placed",
        lot=49,
        lot_seq=7,
        prev_body=ZERO_HASH,
        at=AT,
        actor="b-0123456789abcdef",
        payload={"amount": 2_800_000},
    )
    digest = body_hash(body)
    receipt = Receipt(ORIGIN, digest, parse_time(AT), 60, ReceiptEntry(49, 7, "bid.placed"))
    leaf = make_leaf(0, ZERO_HASH, body, "2026-06-01T06:00:01.000000Z")
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, hash_leaf(leaf)), ORIGIN, key)
    file = {
        "bid_id": 3,
        "lot_id": 49,
        "amount": 2_800_000,
        "placed_at": AT,
        "closes_at": "2026-06-01T07:00:00.000000Z",
        "body": body.decode(),
        "body_hash": digest,
        "receipt": sign_receipt(receipt, ORIGIN, key),
    }
    served = {
        "vkey": format_vkey(ORIGIN, key.public_key()),
        "origin": ORIGIN,
        "proof": build_proof(0, [], note),
        "leaf": leaf.decode(),
    }
    return file, served


def browser_reports(served: dict[str, str], *files: dict[str, Any]) -> list[dict[str, Any]]:
    jobs = [{**served, "evidence": json.dumps(file, indent=2)} for file in files]
    completed = subprocess.run(
        [str(NODE), str(ROOT / "tests" / "js" / "ledger_verify.mjs")],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    reports: list[dict[str, Any]] = json.loads(completed.stdout)
    return reports


def test_the_browser_shows_the_signed_entry_and_reports_edited_unsigned_fields() -> None:
    file, served = ledger_of_one_bid()
    intact, lot_edited, amount_edited = browser_reports(
        served, file, {**file, "lot_id": 47}, {**file, "amount": 28_000_000}
    )
    assert intact["outcome"] == "not_trusted", intact  # every check passed; no policy was given
    assert intact["signed"] == {
        "index": "0",
        "body_hash": file["body_hash"],
        "kind": "bid.placed",
        "lot": "49",
        "seq": "7",
    }
    # What a step shows comes from the signed note, never from the file's own copy.
    [read] = [s for s in intact["steps"] if s["id"] == "read_receipt"]
    assert read["values"] == {}
    [signed] = [s for s in intact["steps"] if s["id"] == "receipt_signature"]
    assert (signed["values"]["lot"], signed["values"]["seq"], signed["values"]["kind"]) == ("49", "7", "bid.placed")

    for edited, field, stated, truth in (
        (lot_edited, "lot_id", "47", "49"),
        (amount_edited, "amount", "28000000", "2800000"),
    ):
        assert edited["outcome"] == "failed"
        assert edited["signed"] is None  # nothing is shown as verified
        failed = edited["steps"][-1]
        assert failed["id"] == "unsigned_fields"
        assert failed["why"]["code"] == "unsigned_fields"
        assert failed["why"]["values"]["fields"] == f"{field}: {stated} \u2260 {truth}"
        assert all(step["values"].get("lot") in (None, "49") for step in edited["steps"])
