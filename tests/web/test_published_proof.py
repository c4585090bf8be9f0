"""The lot key from the signed ledger: the lot.published entry as logged, proven under a signed checkpoint.

What the sealing page checks in the browser is checked here with the offline verifier's own functions, so that
the endpoint hands over evidence that really verifies (and the browser test can then trust its failures)."""

from __future__ import annotations

import base64
import hashlib
import json

from auction.clock import FrozenClock
from auction.ledger.verifier.entry import parse_leaf
from auction.ledger.verifier.merkle import hash_leaf, verify_inclusion
from auction.ledger.verifier.note import open_checkpoint, parse_vkey
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of
from tests.kit.page import Page
from tests.web.auction_support import Auctioneer
from tests.web.conftest import Client


async def test_the_published_entry_of_a_sealed_lot_is_proven_under_the_signed_checkpoint(
    client: Client, auctioneer: Auctioneer, settings: Settings, clock: FrozenClock
) -> None:
    lot_id = await auctioneer.sealed_lot()
    # Admitted but not yet integrated: nothing signed covers it, so there is nothing to prove yet.
    early = await client.get(f"/api/v1/lots/{lot_id}/published-proof")
    assert early.status_code == 404, early.text
    assert early.json()["code"] == "ledger.lot_not_published"

    await integrate(auctioneer.sessions, keys_of(settings), clock)
    answer = await client.get(f"/api/v1/lots/{lot_id}/published-proof")
    assert answer.status_code == 200, answer.text
    proof = answer.json()
    assert proof["rotations"] == []

    vkey = parse_vkey((await client.get("/api/v1/ledger/key")).text.strip())
    checkpoint, _ = open_checkpoint(proof["entry"]["checkpoint"], [vkey])
    leaf = proof["entry"]["leaf"].encode()
    path = [base64.b64decode(h) for h in proof["entry"]["path"]]
    assert checkpoint.size == proof["entry"]["tree_size"]
    verify_inclusion(proof["entry"]["index"], checkpoint.size, hash_leaf(leaf), path, checkpoint.root)
    # The body is exactly the one inside the proven leaf, byte for byte.
    assert parse_leaf(leaf).body.raw == proof["body"].encode()

    body = json.loads(proof["body"])
    assert (body["kind"], body["lot"], body["lot_seq"]) == ("lot.published", lot_id, 1)
    key = await client.get(f"/api/v1/lots/{lot_id}/sealed/key")
    assert body["payload"]["sealed"]["public_key"] == key.json()["public_key"]


async def test_an_unknown_or_unpublished_lot_has_no_published_proof(
    client: Client, auctioneer: Auctioneer, settings: Settings, clock: FrozenClock
) -> None:
    draft = await auctioneer.lot(publish=False)
    await integrate(auctioneer.sessions, keys_of(settings), clock)
    for lot_id in (draft, 999_999):
        answer = await client.get(f"/api/v1/lots/{lot_id}/published-proof?lang=en")
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "ledger.lot_not_published"
        assert str(lot_id) in answer.json()["message"]


async def test_the_desk_shows_the_key_fingerprint_the_sealing_page_shows(client: Client) -> None:
    vkey = (await client.get("/api/v1/ledger/key")).text.strip()
    digest = hashlib.sha256(vkey.encode()).hexdigest()[:32]
    fingerprint = " ".join(digest[i : i + 4] for i in range(0, 32, 4))
    desk = Page((await client.get("/ledger/?lang=en")).text)
    assert desk.one("code#vkey-fingerprint").get_text() == fingerprint
