"""The sealing page checks what it is given, in a real browser against ``auction serve``.

It seals only to the key of the lot.published entry proven under a checkpoint signed by the pinned log key, and
after submitting checks that the signed receipt covers exactly the ciphertext it sealed. Here the network plays a
dishonest server: a publication that is not the proven one, a checkpoint signed by another key, a log key that
changed without a logged rotation, a receipt for some other ciphertext (signed with the log key the operator
holds). Each time the page says so and, before sealing, sends nothing. And the honest case stays quiet: a rival's
bid arriving on the live panel while the bidder confirms with their passkey raises no false alarm, and the new
receipt is still checked.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from markupsafe import escape
from playwright.async_api import Browser, BrowserContext, Page, Request, Route, expect

from auction.bidding.signer import sign
from auction.ledger.verifier import statements as st
from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.note import Receipt, format_vkey, sign_note, sign_receipt, split_note
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from tests.e2e.conftest import Site
from tests.e2e.passkeys import apply_with_passkey, approve, bidder_with_passkey, confirm
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, logged_in, scheduled_lot, seconds_ahead
from tests.e2e.test_site import shot
from tests.kit.commission import ApiCommission
from tests.kit.site import LEDGER_SIGNING_SEED

pytestmark = pytest.mark.browser

PIN_PREFIX = "achyk.ledger-key:"
OTHER_KEY = "AzVFh1T_wzjmaCB3sgY0PjI3b6dY_ztx6BoeDyUgCLmQW_jCB5XMpbngGqi4J7SYltIv-HgNHvX4m1LWP5f0Oi0"

Tamper = Callable[[dict[str, Any]], None]
SEAL_CONFIRMATION = re.compile(
    r"^Confirm with your fingerprint or screen lock: seal your bid of 150,000\u00a0som on lot \d+$"
)


# Time to hold the commission's ceremony, add the bidder's passkey and apply before bidding opens.
OPENS_IN_S = 30


@dataclass(frozen=True)
class SealedLot:
    id: int
    joint_key: bytes
    bidder: BrowserContext
    page: Page


async def sealed_lot_bidding(site: Site, browser: Browser, *, rivals: tuple[str, ...] = ()) -> SealedLot:
    """A sealed lot keyed by its commission, the bidder admitted with a passkey on the page returned and `rivals`
    admitted as API clients: bidding is open when this returns."""
    lot_id = await scheduled_lot(
        site,
        publish=False,
        format="sealed_bid",
        applications_close_at=seconds_ahead(OPENS_IN_S - 1),
        bidding_opens_at=seconds_ahead(OPENS_IN_S),
        bidding_closes_at=seconds_ahead(600),
    )
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as api:
        # The commission's members hold the ceremony in software (their browsers are test_commission's subject).
        joint_key = await ApiCommission(api, site.world, lot_id, ("officer_tokmok", "officer2_tokmok")).publish()
        for rival in rivals:
            keys = site.world.key_list(rival)
            body = {
                "keys": keys,
                "signed": await api_signed(api, site, rival, lot_id, "application.submitted", {"keys": keys}),
            }
            applied = await api.post(f"/api/v1/lots/{lot_id}/applications", json=body, headers=site.world.auth(rival))
            assert applied.status_code == 201, applied.text
            await approve(site, lot_id, rival)
    context, page = await bidder_with_passkey(browser, site, "bidder")
    await apply_with_passkey(page, site, lot_id)
    await approve(site, lot_id, "bidder")
    async with httpx.AsyncClient(base_url=site.url) as api:
        for _ in range(OPENS_IN_S * 5):
            live = (await api.get(f"/api/v1/lots/{lot_id}/auction")).json()
            if live["state"] == "bidding":
                break
            await page.wait_for_timeout(200)
        assert live["state"] == "bidding", live
    return SealedLot(lot_id, joint_key, context, page)


async def api_signed(
    api: httpx.AsyncClient, site: Site, who: str, lot_id: int, action: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """`who`'s signature on their next action, made as an API client does with its Ed25519 key (the kit's, on the
    account), at the time the server keeps."""
    context = await api.get(f"/api/lots/{lot_id}/me/statement", headers=site.world.auth(who))
    assert context.status_code == 200, context.text
    mine = context.json()
    seen_at = format_time(datetime.now(UTC))
    return sign(
        site.world.signers[who], st.statement(lot_id, mine["bidder"], action, mine["next_seq"], seen_at, fields)
    )


async def seal_by_api(site: Site, lot: SealedLot, who: str, amount: int) -> None:
    """`who` seals a bid as an API client: encrypted to the joint key, signed over the ciphertext's hash."""
    async with httpx.AsyncClient(base_url=site.url) as api:
        context = await api.get(f"/api/lots/{lot.id}/me/statement", headers=site.world.auth(who))
        ciphertext = encrypt_bid(lot.joint_key, lot.id, context.json()["bidder"], amount)
        signed = await api_signed(
            api, site, who, lot.id, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)}
        )
        sealed = await api.post(
            f"/api/v1/lots/{lot.id}/sealed-bids",
            json={"ciphertext": ciphertext, "signed": signed},
            headers={**site.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert sealed.status_code == 201, sealed.text


async def tamper_proof(page: Page, lot_id: int, tamper: Tamper) -> None:
    """Answer the page's published-proof request with the real answer, changed by ``tamper``."""

    async def handle(route: Route) -> None:
        response = await route.fetch()
        evidence = await response.json()
        tamper(evidence)
        await route.fulfill(response=response, json=evidence)

    await page.route(f"**/api/v1/lots/{lot_id}/published-proof", handle)


def sent_bids(page: Page, lot_id: int) -> list[str]:
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.url.endswith(f"/lots/{lot_id}/sealed-bids") and request.method == "POST":
            sent.append(request.post_data or "")

    page.on("request", record)
    return sent


async def try_to_seal(page: Page, site: Site, lot_id: int, amount: str = "150000") -> None:
    await page.goto(f"{site.url}/lots/{lot_id}")
    await expect(page.locator("#sealed-form")).to_be_visible(timeout=SCHEDULER_SLACK_MS)
    await page.fill("#f-sealed-amount", amount)
    await page.click("#sealed-form button[type=submit]")


def with_public_key(evidence: dict[str, Any], key: str, *, in_leaf: bool) -> None:
    """Swap the lot key in the publication shown (and, if asked, in the leaf the proof is about)."""
    body = json.loads(evidence["body"])
    old = body["payload"]["sealed"]["public_key"]
    evidence["body"] = evidence["body"].replace(old, key)
    if in_leaf:
        evidence["entry"]["leaf"] = evidence["entry"]["leaf"].replace(old, key)


async def test_the_page_seals_only_to_a_key_the_signed_ledger_holds(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    lot = await sealed_lot_bidding(site, browser)
    lot_id, bidder, page = lot.id, lot.bidder, lot.page
    async with httpx.AsyncClient(base_url=site.url) as api:
        vkey = (await api.get("/api/v1/ledger/key")).text.strip()
        origin = (await api.get("/api/v1/ledger/checkpoint")).text.split("\n")[0]

    async def refused(tamper: Tamper | None, words: str, *, pin: str | None = None, name: str = "") -> None:
        context, page = await logged_in(browser, site, "bidder")
        if pin is not None:
            await context.add_init_script(f"localStorage.setItem({json.dumps(PIN_PREFIX + origin)}, {json.dumps(pin)})")
        if tamper is not None:
            await tamper_proof(page, lot_id, tamper)
        sent = sent_bids(page, lot_id)
        await try_to_seal(page, site, lot_id)
        problem = page.locator("#f-sealed-amount-error")
        await expect(problem).to_be_visible()
        await expect(problem).to_contain_text(words)
        if name:
            await shot(page, artifacts, name, site)
        assert sent == [], "the page sent a bid sealed to a key it could not verify"
        await context.close()

    # The publication shown is not the one in the ledger: the server swapped the lot key in the body only,
    unproven = "The lot key the platform sent is not the one in its signed ledger. Nothing was sealed"
    await refused(lambda e: with_public_key(e, OTHER_KEY, in_leaf=False), unproven, name="lot-key-unproven")
    # or in the leaf too, which then is no longer the leaf the signed tree holds.
    await refused(lambda e: with_public_key(e, OTHER_KEY, in_leaf=True), unproven)

    # A checkpoint signed by another key (under the log's name) proves nothing.
    impostor = Ed25519PrivateKey.generate()

    def resign(evidence: dict[str, Any]) -> None:
        text, _ = split_note(evidence["entry"]["checkpoint"])
        evidence["entry"]["checkpoint"] = sign_note(text, origin, impostor)

    await refused(resign, unproven)

    # A browser that pinned another log key refuses the key the page names, since no logged rotation leads to it,
    earlier = format_vkey(origin, Ed25519PrivateKey.generate().public_key())
    changed = "The platform now signs its ledger with a different key than the one this browser remembers"
    await refused(None, changed, pin=earlier, name="lot-key-changed")

    # and the honest page (the bidder's own, with their passkey) seals, pins the key on first use and shows its
    # fingerprint.
    sent = sent_bids(page, lot_id)
    await try_to_seal(page, site, lot_id)
    await confirm(page, SEAL_CONFIRMATION)
    receipt = page.locator(".receipt-fresh")
    await expect(receipt.locator("h3")).to_have_text("Your bid is accepted")
    await expect(receipt.locator(".receipt-check")).to_have_text(
        "Checked by this browser: the signed receipt covers exactly the bid it sealed."
    )
    assert len(sent) == 1
    assert await page.evaluate(f"localStorage.getItem({json.dumps(PIN_PREFIX + origin)})") == vkey
    fingerprint = await page.locator("#ledger-key-fingerprint").text_content()
    assert fingerprint == await page.locator("#ledger-key-fingerprint").get_attribute("data-server-fingerprint")
    await shot(page, artifacts, "lot-key-verified", site)
    await bidder.close()


def receipt_for(html: str, ciphertext: str, origin: str) -> str:
    """The answer to a sealed bid with its receipt made over for `ciphertext`: the entry shown logs that ciphertext
    (and its hash), and the receipt note names that entry's hash, signed by the log key as the platform signs."""
    found = re.search(r'data-body="([^"]*)"[^>]*data-receipt-note="([^"]*)"', html)
    assert found is not None, html
    body, note = unescape(found[1]), unescape(found[2])
    logged = json.loads(body)["payload"]
    forged_body = body.replace(logged["ciphertext"], ciphertext).replace(
        logged["ciphertext_hash"], hashlib.sha256(b64url_decode(ciphertext)).hexdigest()
    )
    text, _ = split_note(note)
    receipt = Receipt.parse(text)
    forged_hash = hashlib.sha256(forged_body.encode()).hexdigest()
    log_key = Ed25519PrivateKey.from_private_bytes(LEDGER_SIGNING_SEED)
    forged_note = sign_receipt(replace(receipt, body_hash=forged_hash), origin_key_name(origin), log_key)
    for old, new in ((body, forged_body), (note, forged_note), (receipt.body_hash, forged_hash)):
        html = html.replace(str(escape(old)), str(escape(new)))
    return html


def origin_key_name(vkey_or_origin: str) -> str:
    return vkey_or_origin.split("+", 1)[0]


async def test_a_receipt_for_another_ciphertext_is_named(site: Site, browser: Browser, artifacts: Path) -> None:
    lot = await sealed_lot_bidding(site, browser)
    lot_id, context, page = lot.id, lot.bidder, lot.page
    async with httpx.AsyncClient(base_url=site.url) as api:
        vkey = (await api.get("/api/v1/ledger/key")).text.strip()
    # The operator holds the log key: what it signs, the browser's check of the signature alone would accept.
    assert vkey == format_vkey(
        origin_key_name(vkey), Ed25519PrivateKey.from_private_bytes(LEDGER_SIGNING_SEED).public_key()
    )
    sealed: list[str] = []

    async def swap_ciphertext(route: Route) -> None:
        # The server logs, and signs a receipt for, another ciphertext than the one the page sealed. (It cannot
        # take the other one in the bidder's name: the bidder's signature covers the sealed ciphertext's hash, so
        # here the operator signs with the log key a receipt it made up.)
        form = parse_qs(route.request.post_data or "")
        sealed.append(form["ciphertext"][0])
        other = sealed[0][:-8] + ("AAAAAAAA" if not sealed[0].endswith("AAAAAAAA") else "BBBBBBBB")
        response = await route.fetch()
        assert response.status == 200, await response.text()
        await route.fulfill(response=response, body=receipt_for(await response.text(), other, vkey))

    await page.route(f"**/lots/{lot_id}/sealed-bids", swap_ciphertext)
    await try_to_seal(page, site, lot_id)
    await confirm(page, SEAL_CONFIRMATION)
    receipt = page.locator(".receipt-fresh")
    await expect(receipt.locator("h3")).to_have_text("Your bid is accepted")
    check = receipt.locator(".receipt-check")
    await expect(check).to_contain_text("This receipt does not cover the sealed bid this browser made")
    await expect(check).to_contain_text("the logged sealed bid is not the one this browser sealed")
    await expect(check).to_have_attribute("role", "alert")
    assert len(sealed) == 1
    assert len(sealed[0]) > 100
    await shot(page, artifacts, "lot-key-receipt-mismatch", site)
    await context.close()


CHECKED = "Checked by this browser: the signed receipt covers exactly the bid it sealed."


async def test_a_rival_bid_arriving_while_the_bidder_confirms_leaves_the_receipt_check_to_the_bidders_own_answer(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    lot = await sealed_lot_bidding(site, browser, rivals=("bidder2",))
    page = lot.page
    await try_to_seal(page, site, lot.id)
    await confirm(page, SEAL_CONFIRMATION)
    await expect(page.locator(".receipt-fresh .receipt-check")).to_have_text(CHECKED)
    first_receipt = await page.locator(".receipt-fresh .body-hash").inner_text()

    # The bidder replaces the bid; while they read the confirmation, a rival's sealed bid arrives on the live panel.
    await page.fill("#f-sealed-amount", "160000")
    await page.click("#sealed-form button[type=submit]")
    await expect(page.locator("#passkey-confirm")).to_be_visible()
    await seal_by_api(site, lot, "bidder2", 155_000_00)  # accepted (201) while the confirmation is open
    # How many sealed bids there are stays confidential while bidding runs: the rival's bid shows on no page.
    await expect(page.locator("#live-bid-count")).to_have_count(0)
    # The receipt already on the page is still the last bid's, checked against that bid: no false alarm,
    await expect(page.locator(".receipt-fresh .receipt-check")).to_have_text(CHECKED)
    # and the new bid's receipt, once it comes, is checked against the new ciphertext.
    await confirm(page, re.compile(r"seal your bid of 160,000\u00a0som"))
    receipt = page.locator(".receipt-fresh")
    await expect(receipt.locator(".body-hash")).not_to_have_text(first_receipt)
    await expect(receipt.locator(".receipt-check")).to_have_text(CHECKED)
    await shot(page, artifacts, "lot-key-replaced-while-rival-bids", site)
    await lot.bidder.close()
