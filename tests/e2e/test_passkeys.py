"""Passkeys in a real browser: a bidder adds one, applies and bids with it, and the ledger's offline verifier checks
the signatures; a bid altered in flight, a cancelled prompt and a removed passkey all end with nothing logged.

chromium's virtual authenticator (CDP) stands in for the phone's fingerprint reader; everything else, the page's
scripts, the browser's WebAuthn, the server's checks and the verifier, is the real thing.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from playwright.async_api import Browser, Page, Request, Route, expect

from auction.ledger.verifier import statements
from tests.e2e.conftest import Site
from tests.e2e.passkeys import add_passkey, apply_with_passkey, approve, bidder_with_passkey, confirm, lot_bodies
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, logged_in, scheduled_lot, seconds_ahead
from tests.e2e.test_site import DESKTOP, shot
from tests.kit.site import ROOT

pytestmark = pytest.mark.browser

NBSP = "\u00a0"
# Seconds from a lot's creation to its opening: time enough to add a passkey, apply and be approved.
OPENS_IN = 18


def posts_to(page: Page, path: str) -> list[str]:
    """Every POST the page sends to `path`, as sent."""
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(path):
            sent.append(request.post_data or "")

    page.on("request", record)
    return sent


async def test_a_passkey_signs_the_application_and_bids_and_the_verifier_checks_them(
    site: Site, browser: Browser, tmp_path: Path
) -> None:
    lot_id = await scheduled_lot(
        site,
        applications_close_at=seconds_ahead(OPENS_IN - 1),
        bidding_opens_at=seconds_ahead(OPENS_IN),
        bidding_closes_at=seconds_ahead(600),
    )
    context, page = await logged_in(browser, site, "bidder")
    await add_passkey(page, site)
    await expect(page.locator("#passkey-status")).to_have_text(re.compile("^Passkey added"))

    pseudonym = await apply_with_passkey(page, site, lot_id)
    await approve(site, lot_id, "bidder")

    # The bid: the bidder reads what they sign before the fingerprint prompt.
    sent = posts_to(page, f"/lots/{lot_id}/bids")
    await expect(page.locator("#bid-form")).to_be_visible(timeout=(OPENS_IN + 5) * 1000 + SCHEDULER_SLACK_MS)
    await page.fill("#f-amount", "100000")
    await page.click("#bid-form button[type=submit]")
    await confirm(page, f"Confirm with your fingerprint or screen lock: bid 100,000{NBSP}som on lot {lot_id}")
    await expect(page.locator(".receipt-fresh h3")).to_have_text(f"Your bid is accepted: 100,000{NBSP}som")
    [posted] = sent
    signed = json.loads(parse_qs(posted)["signed"][0])
    assert set(signed) == {"key_id", "seq", "seen_at", "sig", "authenticator_data", "client_data_json"}
    assert signed["seq"] == 2  # the application was 1

    # A bid changed between the signature and the server (amount raised in flight) is refused, and logs nothing.
    async def raise_amount(route: Route) -> None:
        fields = parse_qs(route.request.post_data or "")
        fields["amount"] = ["999999"]
        await route.continue_(post_data=urlencode(fields, doseq=True))

    await page.route(f"**/lots/{lot_id}/bids", raise_amount)
    await page.fill("#f-amount", "105000")
    await page.click("#bid-form button[type=submit]")
    await confirm(page, f"Confirm with your fingerprint or screen lock: bid 105,000{NBSP}som on lot {lot_id}")
    refusal = page.locator("#bid-area .error-summary")
    await expect(refusal).to_contain_text("The signature on this action does not verify")
    await page.unroute(f"**/lots/{lot_id}/bids")

    # The bidder cancels at the confirmation: nothing is sent.
    before = len(sent)
    await page.fill("#f-amount", "110000")
    await page.click("#bid-form button[type=submit]")
    await expect(page.locator("#passkey-confirm")).to_be_visible()
    await page.click("#passkey-cancel")
    await expect(page.locator("#bid-form .passkey-status")).to_contain_text("You cancelled the confirmation")
    assert len(sent) == before

    # A refused action took no number: the honest bid after it goes through with the next one.
    await page.click("#bid-form button[type=submit]")
    await confirm(page, f"Confirm with your fingerprint or screen lock: bid 110,000{NBSP}som on lot {lot_id}")
    await expect(page.locator(".receipt-fresh h3")).to_have_text(f"Your bid is accepted: 110,000{NBSP}som")
    assert json.loads(parse_qs(sent[-1])["signed"][0])["seq"] == 3

    # Each signed entry verifies with the verifier's own statement checks, against the key the application put on
    # the lot; the tampered amount is nowhere.
    bodies = await lot_bodies(site, lot_id)
    [application] = [b for b in bodies if b["kind"] == "application.submitted"]
    keys = {statements.key_id(key): key for key in application["payload"]["keys"]}
    bids = [b for b in bodies if b["kind"] == "bid.placed"]
    assert [b["payload"]["amount"] for b in bids] == [100_000_00, 110_000_00]
    for body in [application, *bids]:
        check_signed_entry(body, keys, pseudonym)

    # And the whole ledger passes the offline verifier, which replays every signature itself.
    async with httpx.AsyncClient(base_url=site.url) as api:
        export = await api.get("/api/v1/ledger/export")
        assert export.status_code == 200
        vkey = (await api.get("/api/v1/ledger/key")).text.strip()
    bundle = tmp_path / "ledger.zip"
    bundle.write_bytes(export.content)
    verified = subprocess.run(  # noqa: ASYNC221 - the verifier is a separate program, as an inspector runs it
        [sys.executable, "-m", "auction.ledger.verifier", str(bundle), "--key", vkey],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    await context.close()


def check_signed_entry(body: dict[str, Any], keys: dict[str, dict[str, Any]], pseudonym: str) -> None:
    """The entry's `signed` is a passkey signature, by a key of the application, over the statement the verifier
    rebuilds from the entry (docs/keys.md 1.2)."""
    payload = body["payload"]
    assert payload["bidder"] == pseudonym
    signed = statements.parse_signed(payload["signed"])
    key = keys[signed["key_id"]]
    assert key["alg"] == "webauthn-es256"
    assert key["rp_id"] == "localhost"
    statement = statements.statement(
        body["lot"],
        payload["bidder"],
        body["kind"],
        signed["seq"],
        signed["seen_at"],
        statements.action_fields(body["kind"], payload),
    )
    statements.verify_signature(key, statement, signed)


async def test_a_removed_passkey_signs_nothing_more(site: Site, browser: Browser, artifacts: Path) -> None:
    lot_id = await scheduled_lot(
        site,
        applications_close_at=seconds_ahead(OPENS_IN - 1),
        bidding_opens_at=seconds_ahead(OPENS_IN),
        bidding_closes_at=seconds_ahead(600),
    )
    context, page = await logged_in(browser, site, "bidder")
    await add_passkey(page, site)
    await apply_with_passkey(page, site, lot_id)
    await approve(site, lot_id, "bidder")

    # The bidder removes their passkey (a lost phone, say) on the keys page.
    await page.goto(f"{site.url}/account/keys")
    await remove_every_passkey(page)
    await shot(page, artifacts, "account-keys-removed", site)

    sent = posts_to(page, f"/lots/{lot_id}/bids")
    await page.goto(f"{site.url}/lots/{lot_id}")
    await expect(page.locator("#bid-form")).to_be_visible(timeout=(OPENS_IN + 5) * 1000 + SCHEDULER_SLACK_MS)
    await page.fill("#f-amount", "100000")
    await page.click("#bid-form button[type=submit]")
    await expect(page.locator("#bid-form .passkey-status")).to_contain_text(
        "None of your passkeys is registered for this lot"
    )
    assert sent == []

    # A page that does not know the key is gone (here: told it is still active) signs with it: the server refuses.
    async def still_active(route: Route) -> None:
        response = await route.fetch()
        rows = await response.json()
        for row in rows:
            row["revoked_at"] = None
        await route.fulfill(response=response, json=rows)

    await page.route("**/api/me/keys", still_active)
    await page.click("#bid-form button[type=submit]")
    await confirm(page)
    refusal = page.locator("#bid-area .error-summary")
    await expect(refusal).to_contain_text("signed with a key that may not sign it here")
    assert len(sent) == 1
    bodies = await lot_bodies(site, lot_id)
    assert [b for b in bodies if b["kind"] == "bid.placed"] == []
    await context.close()


async def remove_every_passkey(page: Page) -> None:
    """Revoke each passkey listed on /account/keys with its own button, as the bidder would."""
    revokers = page.locator("#key-list li[data-alg=webauthn-es256] [data-revoke-key]")
    revoked = page.locator("#key-list li.key-revoked")
    while count := await revokers.count():
        before = await revoked.count()
        await revokers.first.click()
        await confirm(page)
        await expect(page.locator("#passkey-status")).to_contain_text("is revoked")
        await expect(revokers).to_have_count(count - 1)
        await expect(revoked).to_have_count(before + 1)


async def test_a_browser_without_passkeys_is_told_so(site: Site, browser: Browser) -> None:
    context = await browser.new_context(viewport=DESKTOP)
    await context.add_init_script("delete window.PublicKeyCredential;")
    page = await context.new_page()
    await page.goto(f"{site.url}/login?lang=en")
    await page.fill("#f-email", "bidder@test.kg")
    await page.fill("#f-password", "correct horse battery")
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()
    await page.goto(f"{site.url}/account/keys")
    await expect(page.locator("#passkey-status")).to_contain_text("This browser cannot use passkeys")
    await context.close()


async def test_a_dutch_acceptance_and_the_award_signature_are_signed_with_the_passkey(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    lot_id = await scheduled_lot(
        site,
        format="descending",
        floor_price=50_000_00,
        price_drop_interval_seconds=60,
        applications_close_at=seconds_ahead(OPENS_IN + 4),
        bidding_opens_at=seconds_ahead(OPENS_IN + 5),
        bidding_closes_at=seconds_ahead(600),
    )
    first, winner = await bidder_with_passkey(browser, site, "bidder")
    second, other = await bidder_with_passkey(browser, site, "bidder2")
    pseudonym = await apply_with_passkey(winner, site, lot_id)
    await apply_with_passkey(other, site, lot_id)
    await approve(site, lot_id, "bidder")
    await approve(site, lot_id, "bidder2")

    accept = winner.locator("#accept-form")
    await expect(accept).to_be_visible(timeout=(OPENS_IN + 10) * 1000 + SCHEDULER_SLACK_MS)
    await accept.locator("button[type=submit]").click()
    await confirm(
        winner, f"Confirm with your fingerprint or screen lock: accept the price of 100,000{NBSP}som on lot {lot_id}"
    )
    await expect(winner.locator(".receipt-fresh h3")).to_have_text(f"Your bid is accepted: 100,000{NBSP}som")

    # The published tie rule: the price stops at the acceptance, every other bidder may accept it too until the
    # tick (60 s here) ends, and only then is the lot decided.
    offer = winner.locator("#results .offer")
    await expect(offer).to_be_visible(timeout=60_000 + SCHEDULER_SLACK_MS)
    await offer.locator("text=Sign for the lot").click()
    await confirm(winner, f"Confirm with your fingerprint or screen lock: sign for lot {lot_id} at 100,000{NBSP}som")
    await expect(winner.locator("#results .awards")).to_contain_text("Signed")
    await shot(winner, artifacts, "dutch-signed", site)

    bodies = await lot_bodies(site, lot_id)
    keys = {
        statements.key_id(key): key
        for body in bodies
        if body["kind"] == "application.submitted"
        for key in body["payload"]["keys"]
    }
    signed = [b for b in bodies if b["kind"] in {"bid.accepted", "award.signed"}]
    assert [b["kind"] for b in signed] == ["bid.accepted", "award.signed"]
    assert signed[0]["payload"]["limit"] == 100_000_00
    assert signed[1]["payload"]["price"] == 100_000_00
    for body in signed:
        check_signed_entry(body, keys, pseudonym)
    for context in (first, second):
        await context.close()
