"""Auctions in a real browser against ``auction serve`` with the real clock: lots are scheduled seconds ahead
and the server's own scheduler opens and closes them.

An open auction: a new bidder applies, an officer confirms the deposit, two bidders bid from two browsers and
each sees the other's bid arrive live; the receipt is downloaded and verified on the inspector's page.
A sealed auction: the commission's members make the lot key together in their own browsers, bids are sealed in
the browser to it, the members' browsers release decryption shares after the close, and the winner signs.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Request, expect
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.e2e.conftest import Site
from tests.e2e.passkeys import add_passkey, apply_with_passkey, approve, bidder_with_passkey, confirm
from tests.e2e.test_site import DESKTOP, PHONE, shot
from tests.kit.world import PASSWORD, lot_terms

pytestmark = pytest.mark.browser

# Time for the scheduler (twice a second) to act on a deadline, and for a page to follow.
SCHEDULER_SLACK_MS = 15_000
# Lots open tens of seconds after they are made, time for bidders to add passkeys and apply: a page waiting for
# the opening may wait that long, plus the slack.
UNTIL_OPEN_MS = 45_000 + SCHEDULER_SLACK_MS


async def scheduled_lot(site: Site, *, publish: bool = True, **terms: Any) -> int:
    """A lot through the API whose schedule starts seconds from now, by the server's (the real) clock."""
    auth = site.world.auth("officer_tokmok")
    now = datetime.now(UTC)
    body = lot_terms(now, **terms)
    async with httpx.AsyncClient(base_url=site.url) as api:
        created = await api.post("/api/v1/lots", json=body, headers=auth)
        assert created.status_code == 201, created.text
        lot_id: int = created.json()["id"]
        if publish:
            published = await api.post(f"/api/v1/lots/{lot_id}/publish", headers=auth)
            assert published.status_code == 200, published.text
    return lot_id


def seconds_ahead(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


async def logged_in(browser: Browser, site: Site, who: str, *, language: str = "en") -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(f"{site.url}/login?lang={language}")
    await page.fill("#f-email", f"{who}@test.kg")
    await page.fill("#f-password", PASSWORD)
    await page.click("form.form button[type=submit]")
    await page.wait_for_load_state()
    return context, page


async def test_an_open_auction_live_in_two_browsers_with_a_receipt_verified_by_the_inspector(
    site: Site, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    # A newcomer registers.
    first = await browser.new_context(viewport=DESKTOP)
    aigul = await first.new_page()
    await aigul.goto(f"{site.url}/register?lang=en")
    await aigul.fill("#f-email", "aigul@example.kg")
    await aigul.fill("#f-password", "a long enough secret")
    await aigul.fill("#f-full_name", "Aigul Asanova")
    await aigul.fill("#f-identity_number", "21506198500077")
    await aigul.click("#register-form button[type=submit]")
    await aigul.wait_for_url(f"{site.url}/")
    # Her phone makes her passkey: from now on she confirms each binding step with her fingerprint.
    await add_passkey(aigul, site)
    await shot(aigul, artifacts, "account-keys", site)

    lot_id = await scheduled_lot(
        site,
        title_en="Land plot on Jibek Jolu street",
        applications_close_at=seconds_ahead(24),
        bidding_opens_at=seconds_ahead(25),
        bidding_closes_at=seconds_ahead(50),
        soft_close_minutes=1,
        max_extension_minutes=0,
    )
    second, rival = await bidder_with_passkey(browser, site, "bidder")
    await apply_with_passkey(rival, site, lot_id)
    await approve(site, lot_id, "bidder")
    officer_context, officer = await logged_in(browser, site, "officer_tokmok")

    await aigul.goto(f"{site.url}/lots/{lot_id}")
    await aigul.evaluate("window.sameDocument = true")
    await aigul.click("text=Apply to take part")
    await confirm(aigul, f"Confirm with your fingerprint or screen lock: apply to take part in lot {lot_id}")
    await expect(aigul.locator("#participation .status")).to_have_text("Awaiting the deposit")

    # The officer confirms her deposit in the console.
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/auction")
    application = officer.locator("li.application", has_text="Aigul Asanova")
    await application.locator("input[name=bank_reference]").fill("KICB 2026-0611-77")
    await application.locator("text=Confirm the deposit and approve").click()
    await expect(officer.locator("li.application", has_text="Aigul Asanova").locator(".status")).to_have_text(
        "Approved"
    )
    await shot(officer, artifacts, "officer-applications", site)

    # Bidding opens on the server's schedule; her page follows by itself, with no reload.
    bid_form = aigul.locator("#bid-form")
    await expect(bid_form).to_be_visible(timeout=UNTIL_OPEN_MS)
    await expect(aigul.locator("#f-amount")).to_have_value("100000")
    await aigul.click("#bid-form button[type=submit]")
    await expect(aigul.locator("#passkey-confirm")).to_be_visible()
    await shot(aigul, artifacts, "passkey-confirm", site)
    await confirm(aigul, f"Confirm with your fingerprint or screen lock: bid 100,000\u00a0som on lot {lot_id}")
    await expect(aigul.locator(".receipt-fresh h3")).to_have_text("Your bid is accepted: 100,000\u00a0som")
    await expect(aigul.locator("#live-price")).to_have_text("100,000\u00a0som")
    await expect(aigul.locator("#live-leader")).to_contain_text("(you)")

    # The rival bids from another browser; her panel shows it live.
    await rival.goto(f"{site.url}/lots/{lot_id}")
    await expect(rival.locator("#f-amount")).to_have_value("105000")
    await rival.fill("#f-amount", "105 000,50")
    await rival.click("#bid-form button[type=submit]")
    await confirm(rival, f"Confirm with your fingerprint or screen lock: bid 105,000.50\u00a0som on lot {lot_id}")
    await expect(rival.locator(".receipt-fresh h3")).to_have_text("Your bid is accepted: 105,000.50\u00a0som")
    await expect(aigul.locator("#live-price")).to_have_text("105,000.50\u00a0som")
    await expect(aigul.locator("#live-bid-count")).to_have_text("2")
    await expect(aigul.locator("#live-leader")).not_to_contain_text("(you)")
    await expect(aigul.locator("#f-amount")).to_have_value("110000.50")  # the suggestion follows the minimum
    assert await aigul.evaluate("window.sameDocument") is True
    countdown = aigul.locator("#live .countdown")
    await expect(countdown).to_have_text(re.compile(r"^00:00:\d\d$"))
    await shot(aigul, artifacts, "lot-bidding", site)
    await aigul.set_viewport_size(PHONE)
    await shot(aigul, artifacts, "lot-bidding-phone", site)
    await aigul.set_viewport_size(DESKTOP)

    # Her receipt, downloaded, is verified by the inspector's page in the browser.
    await expect(aigul.locator(".receipt-fresh .proof-link")).to_be_visible()
    async with aigul.expect_download() as downloading:
        await aigul.locator(".receipt-fresh").get_by_text("Download receipt").click()
    receipt = tmp_path / "receipt.json"
    await (await downloading.value).save_as(receipt)
    inspector = await first.new_page()
    await inspector.goto(f"{site.url}/ledger/verify?lang=en")
    await inspector.set_input_files("#f-evidence-file", receipt)
    await expect(inspector.locator("#f-evidence")).to_have_value(re.compile("achyk-receipt/v2"))
    await inspector.click("text=Verify in this browser")
    verdict = inspector.locator("#verify-verdict")
    # Every check passes, but with no trust policy pasted the page trusts nothing (tests/e2e/test_ledger_verify.py).
    await expect(verdict).to_have_attribute("data-outcome", "not_trusted")
    # Eleven checks: the last, that the receipt's unsigned copies agree with the signed bytes.
    await expect(inspector.locator("#verify-steps li.step-ok")).to_have_count(11)
    await shot(inspector, artifacts, "ledger-verify", site)
    # The same receipt against a key from elsewhere is refused.
    await inspector.fill("#f-vkey", "someone.else/ledger+01234567+AT3g2QGFRXaXT0vxUGB6l+VUz8MpHlGqkrZp2FZNbbJs")
    await inspector.click("text=Verify in this browser")
    await expect(verdict).to_have_text("Not verified.")
    await inspector.goto(f"{site.url}/ledger/?lang=en")
    await expect(inspector.locator("#offline-command")).to_contain_text("python -m auction.ledger.verifier")
    await shot(inspector, artifacts, "ledger-desk", site)

    # The server closes the auction on time and awards it; both pages follow.
    results = aigul.locator("#results")
    await expect(results).to_be_visible(timeout=30_000)
    await expect(results.locator(".awards")).to_contain_text("105,000.50\u00a0som")
    await expect(rival.locator("#results .offer")).to_contain_text("The lot is offered to you", timeout=10_000)
    await shot(aigul, artifacts, "lot-awarded", site)
    await aigul.goto(f"{site.url}/me/bids")
    await expect(aigul.locator(".receipt")).to_have_count(1)
    await expect(aigul.locator(".proof-link")).to_be_visible()
    await shot(aigul, artifacts, "my-bids", site)
    await aigul.goto(f"{site.url}/ledger/lots/{lot_id}")
    await expect(aigul.locator(".entries-table tbody tr").last).to_contain_text("award.made")
    await shot(aigul, artifacts, "ledger-lot", site)
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/protocol")
    await expect(officer.locator("h1")).to_contain_text(f"lot No. {lot_id}")
    await shot(officer, artifacts, "protocol", site)
    await officer.emulate_media(media="print")
    await shot(officer, artifacts, "protocol-print", site)
    for context in (first, second, officer_context):
        await context.close()


async def seal_a_bid(page: Page, site: Site, lot_id: int, amount: str) -> list[str]:
    """Bid through the sealed form; returns what the browser actually sent."""
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.url.endswith(f"/lots/{lot_id}/sealed-bids") and request.method == "POST":
            sent.append(request.post_data or "")

    page.on("request", record)
    await page.goto(f"{site.url}/lots/{lot_id}")
    await expect(page.locator("#sealed-form")).to_be_visible(timeout=SCHEDULER_SLACK_MS)
    await page.fill("#f-sealed-amount", amount)
    await page.click("#sealed-form button[type=submit]")
    await confirm(
        page, re.compile(rf"^Confirm with your fingerprint or screen lock: seal your bid of .* on lot {lot_id}$")
    )
    await expect(page.locator(".receipt-fresh h3")).to_have_text("Your bid is accepted")
    return sent


async def test_a_sealed_auction_with_its_commission(
    site: Site, browser: Browser, artifacts: Path, sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    lot_id = await scheduled_lot(
        site,
        publish=False,
        format="sealed_bid",
        title_en="Former bakery building",
        applications_close_at=seconds_ahead(60),
        bidding_opens_at=seconds_ahead(61),
        bidding_closes_at=seconds_ahead(76),
    )
    officer_context, officer = await logged_in(browser, site, "officer_tokmok")
    await officer.goto(f"{site.url}/officer/lots/{lot_id}")
    await officer.click("text=Choose the commission and publish")
    await officer.wait_for_url(f"{site.url}/officer/lots/{lot_id}/commission")
    for name in ("Officer Tokmok", "Bakyt Toktogulov"):
        await officer.locator(".member", has_text=name).locator("input[type=checkbox]").check()
    await officer.select_option("#f-threshold", "2")
    await shot(officer, artifacts, "officer-commission", site)
    await officer.click("#commission-form button[type=submit]")
    await expect(officer.locator("#ceremony")).to_contain_text("members make their keys")

    # Each member makes their own key in their own browser and keeps it as a file; the pages do the rest.
    member_context, member = await logged_in(browser, site, "officer2_tokmok")
    key_files: dict[str, Path] = {}
    for who, page in (("officer_tokmok", officer), ("officer2_tokmok", member)):
        await page.goto(f"{site.url}/commission/lots/{lot_id}/ceremony")
        async with page.expect_download() as download:
            await page.locator("[data-role=create-key]").click()
        key_files[who] = tmp_path / f"{who}.json"
        await (await download.value).save_as(key_files[who])
    for page in (officer, member):
        await expect(page.locator("[data-role=status]")).to_contain_text("The lot key is ready", timeout=30_000)
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/commission")
    await officer.click("text=Publish the lot with this commission's key")
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/auction")
    await expect(officer.locator("#commission")).to_contain_text("Any 2 of the 2 members")

    first, aidana = await bidder_with_passkey(browser, site, "bidder")
    second, nurlan = await bidder_with_passkey(browser, site, "bidder2")
    for who, page in (("bidder", aidana), ("bidder2", nurlan)):
        await apply_with_passkey(page, site, lot_id)
        await approve(site, lot_id, who)
    # Below the starting price the browser refuses to seal: nobody could refuse it before the opening.
    await aidana.goto(f"{site.url}/lots/{lot_id}")
    await expect(aidana.locator("#sealed-form")).to_be_visible(timeout=UNTIL_OPEN_MS + 20_000)
    await aidana.fill("#f-sealed-amount", "2")
    await aidana.click("#sealed-form button[type=submit]")
    await expect(aidana.locator("#f-sealed-amount-error")).to_contain_text("below the starting price of 100,000")
    sent = await seal_a_bid(aidana, site, lot_id, "150000")
    sent += await seal_a_bid(nurlan, site, lot_id, "140 000,50")
    assert len(sent) == 2
    # Each bidder, and only they, sees their own sealed amount back: from what their browser kept for exactly the
    # ciphertext the platform holds, since the platform cannot read it. It stays after a reload.
    await expect(aidana.locator("#own-sealed")).to_have_text(
        "Your sealed bid: 150,000\u00a0som — one hundred fifty thousand som"
    )
    await nurlan.reload()
    await expect(nurlan.locator("#own-sealed")).to_have_text(
        "Your sealed bid: 140,000.50\u00a0som — one hundred forty thousand som and fifty tyiyn"
    )
    assert "140,000.50" not in await aidana.content()
    for body in sent:
        # Only the ciphertext and the form's own tokens leave the page (the amount field has no name),
        fields = parse_qs(body)
        # and the bidder's signature over the ciphertext's hash.
        assert set(fields) == {"_csrf_token", "idempotency_key", "ciphertext", "signed"}
        assert len(fields["ciphertext"][0]) == 124  # a v2 sealed bid to the commission's joint key
    # While bidding runs, how many sealed bids there are stays confidential: the page shows no count.
    await expect(aidana.locator(".live-state")).to_contain_text("stays confidential until the commission opens them")
    await expect(aidana.locator("#live-bid-count")).to_have_count(0)
    await shot(aidana, artifacts, "lot-sealed", site)

    # After the close both members open their page and choose their key file; their shares open the bids.
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/auction")
    await expect(officer.locator(".opening-form")).to_be_visible(timeout=30_000)
    for who, page in (("officer_tokmok", officer), ("officer2_tokmok", member)):
        await page.goto(f"{site.url}/commission/lots/{lot_id}/opening")
        await page.locator("[data-role=key-file]").set_input_files(str(key_files[who]))
        await expect(page.locator("[data-role=status]")).to_contain_text("released", timeout=30_000)
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/auction")
    decide = officer.locator(".opening-form button[type=submit]")
    if await decide.count():  # unless the scheduler has opened them already, from the same shares
        try:
            await decide.click(timeout=SCHEDULER_SLACK_MS)
        except PlaywrightTimeoutError:
            # The scheduler opened them as the officer reached for the button: the page followed and the form went.
            await expect(officer.locator(".opening-form")).to_have_count(0)
    await officer.goto(f"{site.url}/officer/lots/{lot_id}/auction#result")
    await expect(officer.locator("#result")).to_contain_text("150,000\u00a0som", timeout=SCHEDULER_SLACK_MS)
    await expect(officer.locator("#result")).to_contain_text("140,000.50\u00a0som")
    await shot(officer, artifacts, "officer-sealed-opened", site)

    # The winner's page follows the award, shows every bid, and takes the signature.
    offer = aidana.locator("#results .offer")
    await expect(offer).to_be_visible(timeout=10_000)
    await expect(aidana.locator(".bids-table")).to_contain_text("140,000.50\u00a0som")
    await expect(aidana.locator(".bids-table tbody tr")).to_have_count(2)  # the bid below the floor was never sent
    await offer.locator("text=Sign for the lot").click()
    await confirm(aidana, f"Confirm with your fingerprint or screen lock: sign for lot {lot_id} at 150,000\u00a0som")
    await expect(aidana.locator("#results .awards")).to_contain_text("Signed")
    await shot(aidana, artifacts, "lot-sealed-signed", site)

    # The members' secrets never reached the server's log.
    server_log = (tmp_path / "server.log").read_text(errors="replace")
    for path in key_files.values():
        assert json.loads(path.read_text())["secret"] not in server_log
    for context in (officer_context, member_context, first, second):
        await context.close()
