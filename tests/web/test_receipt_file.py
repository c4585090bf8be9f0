"""The receipt a bidder downloads from the site is the offline verifier's input as it is (docs/ledger.md, "The
receipt file"): the real command accepts it (exit 0), and an edit of any copy the file shows beside its signed
note, or of the signed note itself, is tampering (exit 1)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auction.ledger.verifier.cli import main
from tests.web.auction_support import Auctioneer, form_signed, idempotency_key
from tests.web.conftest import Client, csrf_token, log_in

HTMX = {"HX-Request": "true"}
ROOT = Path(__file__).resolve().parents[2]


def verifier(bundle: Path, receipt: Path, vkey: str) -> subprocess.CompletedProcess[str]:
    """`python -m auction.ledger.verifier BUNDLE --receipt FILE --key VKEY`, the command docs/ledger.md gives."""
    command = [sys.executable, "-m", "auction.ledger.verifier", str(bundle), "--receipt", str(receipt), "--key", vkey]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def edited(tmp_path: Path, name: str, original: dict[str, Any], **changes: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({**original, **changes}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


async def test_the_downloaded_receipt_verifies_offline_as_it_is_and_an_edited_one_does_not(
    client: Client, auctioneer: Auctioneer, tmp_path: Path, capsys: pytest.CaptureFixture[str], backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the receipt file and the verifier do not depend on the database: one backend is enough")
    lot_id = await auctioneer.lot()
    other_lot = await auctioneer.lot()
    await auctioneer.admit(lot_id, "bidder", "bidder2")
    await auctioneer.open(lot_id)
    await log_in(client, "bidder")
    page = await client.get(f"/lots/{lot_id}?lang=en")
    signed = await form_signed(auctioneer.world, "bidder", lot_id, "bid.placed", {"amount": 100_000_00})
    form = {"_csrf_token": csrf_token(page.text), "idempotency_key": idempotency_key(page.text), "amount": "100000"}
    placed = await client.post(f"/lots/{lot_id}/bids?lang=en", data=form | signed, headers=HTMX)
    assert placed.status_code == 200, placed.text
    mine = await client.get("/me/bids?lang=en")
    [href] = {m for m in mine.text.split('"') if m.startswith("/me/bids/") and m.endswith("/receipt")}
    download = await client.get(href)
    assert download.status_code == 200
    saved = tmp_path / "achyk-receipt.json"
    saved.write_bytes(download.content)  # exactly the bytes the browser saves
    receipt = json.loads(download.content)
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    bundle = await auctioneer.drive.export(tmp_path)

    accepted = await asyncio.to_thread(verifier, bundle, saved, vkey)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "receipt file: every field it states agrees with the signed receipt and body" in accepted.stdout
    assert "not covered by any signature, so not verified: bid_id, closes_at" in accepted.stdout

    # The unsigned lot number edited to another lot's: the signed note still verifies, the file is a lie.
    capsys.readouterr()
    lot_edited = edited(tmp_path, "lot.json", receipt, lot_id=other_lot)
    assert main([str(bundle), "--receipt", str(lot_edited), "--key", vkey]) == 1
    assert f"lot_id says {other_lot}, the signed receipt says {lot_id}" in capsys.readouterr().out
    amount_edited = edited(tmp_path, "amount.json", receipt, amount=10 * receipt["amount"])
    assert main([str(bundle), "--receipt", str(amount_edited), "--key", vkey]) == 1
    assert (
        f"amount says {10 * receipt['amount']}, the signed receipt says {receipt['amount']}" in capsys.readouterr().out
    )
    # The signed note edited: its signature fails.
    note = receipt["receipt"].replace(f"\n{lot_id}\n", f"\n{other_lot}\n", 1)
    note_edited = edited(tmp_path, "note.json", receipt, receipt=note)
    assert main([str(bundle), "--receipt", str(note_edited), "--key", vkey]) == 1
    assert "FAIL in receipt: signature" in capsys.readouterr().out
    # Not a receipt file at all: unusable input.
    assert main([str(bundle), "--receipt", str(edited(tmp_path, "none.json", {}, note="x")), "--key", vkey]) == 2
