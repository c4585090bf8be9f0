"""Issue 13's journey: a newcomer on a phone, in Kyrgyz, from registration to a signed award, told by e-mail of
every step.

The site runs as deployed (``auction serve``, the real clock, its own scheduler) and sends its notices through a
real SMTP server the test starts (tests/kit/mail.py), named to it in its environment. The newcomer is the one under
test, in a phone-sized touch browser with a passkey on its virtual authenticator; the officer and a rival bidder act
through the API, as their own clients would.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.conftest import Site
from tests.e2e.passkeys import authenticator
from tests.e2e.test_site import PHONE, shot
from tests.kit.mail import Arrived, LocalSmtp, Mailbox
from tests.kit.site import ROOT, SiteAuction

pytestmark = pytest.mark.browser

NBSP = "\u00a0"
BISHKEK = ZoneInfo("Asia/Bishkek")
EMAIL = "aigerim@example.kg"
TITLE_KY = "Жибек Жолу көчөсүндөгү жер тилкеси"
TITLE_RU = "Земельный участок на улице Жибек Жолу"
# Seconds from the lot's publication to the close of applications (the newcomer finds the lot and applies), and
# how long bidding runs (two bids of hers, one of the rival's, each told by mail).
APPLY_WITHIN = 14
BIDDING_FOR = 16
# Time for the scheduler (twice a second) and the notice sender (five times a second here) to act, and a page to
# follow; generous, since nothing here is timed, only waited for.
SLACK_MS = 15_000
# Words of the Russian and English notices and pages that must not reach a Kyrgyz reader.
FOREIGN = re.compile(r"Заявка|Задаток|Торги|Ставка|ставк|Поздравляем|Вы |Application|Deposit|Bidding|You |som\b")


@pytest.fixture
def only_postgres(backend: str) -> None:
    """Asked for before the site, so that the other backend skips without starting one."""
    if backend != "postgres":
        pytest.skip("the journey is the same on either database; it runs on PostgreSQL, where notices are queued")


@pytest.fixture
def site_settings(only_postgres: None, smtp: LocalSmtp) -> dict[str, str]:
    """The served site sends its notices to the test's SMTP server, and looks for them often."""
    return {
        "ACHYK_SMTP_HOST": smtp.host,
        "ACHYK_SMTP_PORT": str(smtp.port),
        "ACHYK_SMTP_SECURITY": "none",
        "ACHYK_SMTP_FROM": "Achyk <no-reply@achyk.test>",
        "ACHYK_PUBLIC_URL": "https://achyk.test",
        "ACHYK_NOTIFY_POLL_SECONDS": "0.2",
    }


def seconds_ahead(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def in_bishkek(moment: datetime | str) -> str:
    """A moment as the notices write it to a Kyrgyz reader."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{moment.astimezone(BISHKEK):%d.%m.%Y %H:%M} (Бишкек убактысы)"


async def mail(mailbox: Mailbox, kind: str, to: str = EMAIL, *, not_before: datetime | None = None) -> Arrived:
    """The one notice of `kind` that arrived for `to`, once it has; fails if none comes or it came twice.

    A notice of something due at `not_before` (the close) is waited for from then on, not from the call: the bids
    before it may take any time under load."""
    ahead = 0.0 if not_before is None else max(0.0, (not_before - datetime.now(UTC)).total_seconds())
    deadline = time.monotonic() + ahead + SLACK_MS / 1000
    while not (arrived := [m for m in mailbox.to(to) if m.kind == kind]):
        assert time.monotonic() < deadline, f"no {kind} notice for {to}; arrived: {mailbox.kinds(to)}"
        await asyncio.sleep(0.1)
    [notice] = arrived
    return notice


def in_kyrgyz(notice: Arrived, lot_id: int, *phrases: str) -> None:
    """The notice is to the newcomer alone, in Kyrgyz, names the lot by its Kyrgyz title and says `phrases`."""
    assert notice.to == [EMAIL]
    assert notice.language == "ky"
    assert TITLE_KY in notice.subject, notice.subject
    assert TITLE_KY in notice.body
    assert TITLE_RU not in notice.body
    assert f"https://achyk.test/lots/{lot_id}" in notice.body
    for phrase in phrases:
        assert phrase in notice.body, (phrase, notice.body)
    for text in (notice.subject, notice.body):
        assert not FOREIGN.search(text), text
        assert re.search("[үөң]", text), text  # Kyrgyz letters, which Russian has not


# Every visible text node of a page outside code and outside anything marked in another language (the language
# menu names English in English), as words in Latin letters: a Kyrgyz page shows none but these names.
PAYMENT_DETAILS_KY = {
    "payment_recipient": "Токмок шаардык мэриясы",
    "payment_bank": "Кыргыз Республикасынын Финансы министрлигинин Борбордук казыналыгы",
    "payment_account": "4402011101000001",
    "payment_bank_code": "440001",
    "payment_purpose": "Аукциондун кепилдик акысы, Токмоктун лоту",
}
LATIN_WORDS = """() => {
  const words = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    if (!element || element.closest('pre, code, script, style, template, [lang]:not([lang="ky"])')) continue;
    if (!element.checkVisibility()) continue;
    for (const word of node.textContent.match(/[A-Za-z]{2,}/g) || []) words.add(word);
  }
  return [...words].sort();
}"""
LATIN_ALLOWED = {"Achyk", "API"}


async def in_kyrgyz_page(page: Page) -> None:
    """The page is in Kyrgyz: so it says, and no Russian or English interface text shows on it."""
    await expect(page.locator("html")).to_have_attribute("lang", "ky")
    latin = set(await page.evaluate(LATIN_WORDS))
    assert latin <= LATIN_ALLOWED, (page.url, latin - LATIN_ALLOWED)
    text = await page.locator("body").inner_text()
    assert not FOREIGN.search(text), (page.url, FOREIGN.search(text))


async def test_a_newcomer_on_a_phone_in_kyrgyz_from_registration_to_a_signed_award_told_at_each_step(
    site: Site, browser: Browser, smtp: LocalSmtp, tmp_path: Path, artifacts: Path
) -> None:
    mailbox = smtp.mailbox
    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="ky-KG")
    page = await context.new_page()

    # She registers in Kyrgyz.
    await page.goto(f"{site.url}/register?lang=ky")
    await in_kyrgyz_page(page)
    await page.fill("#f-email", EMAIL)
    await page.fill("#f-password", "узун жана жашыруун сырсөз")
    await page.fill("#f-full_name", "Айгерим Асанова")
    await page.fill("#f-identity_number", "21506198500077")
    await page.click("#register-form button[type=submit]")
    await page.wait_for_url(f"{site.url}/")

    # Every binding step is signed with a passkey: her phone makes one.
    device = await authenticator(page)
    await page.goto(f"{site.url}/account/keys")
    await in_kyrgyz_page(page)
    await page.click("#add-passkey")
    await expect(page.locator("#passkey-status")).to_contain_text("Кирүү ачкычы кошулду")
    assert len(await device.credentials()) == 1

    # Tokmok publishes a land plot whose applications close, and whose bidding opens and closes, within seconds.
    opens = seconds_ahead(APPLY_WITHIN + 1)
    closes = opens + timedelta(seconds=BIDDING_FOR)
    async with httpx.AsyncClient(base_url=site.url) as api:
        rival = SiteAuction(api, site.world)
        lot_id = await rival.create(
            title_ky=TITLE_KY,
            title_ru=TITLE_RU,
            title_en="Land plot on Jibek Jolu street",
            description_ky="Үй куруу үчүн 0,08 га жер.",
            address="Токмок ш., Жибек Жолу көч., 12",
            applications_close_at=(opens - timedelta(seconds=1)).isoformat(),
            bidding_opens_at=opens.isoformat(),
            bidding_closes_at=closes.isoformat(),
            soft_close_minutes=1,
            max_extension_minutes=0,
            **PAYMENT_DETAILS_KY,
        )
        await rival.admit("bidder")  # a rival, admitted through the API

        # She finds it in the catalog and opens it.
        await page.goto(f"{site.url}/")
        await in_kyrgyz_page(page)
        card = page.locator("#results .card", has_text=TITLE_KY)
        await card.locator(".card-title a").click()
        await page.wait_for_url(f"{site.url}/lots/{lot_id}")
        await in_kyrgyz_page(page)

        # She applies: the dialog repeats the deposit in figures and in Kyrgyz words before her fingerprint.
        await page.click(".apply-form button[type=submit]")
        await confirm(page, "10 000", "он миң сом")
        await expect(page.locator("#participation .status")).to_have_text("Кепилдик акы күтүлүүдө")
        in_kyrgyz(await mail(mailbox, "application.received"), lot_id, "Кепилдик акы")

        # The officer confirms her deposit (the console's API).
        officer = site.world.auth("officer_tokmok")
        listed = await api.get(f"/api/v1/lots/{lot_id}/applications", headers=officer)
        assert listed.status_code == 200, listed.text
        [hers] = [a for a in listed.json() if a["status"] != "approved"]
        confirmed = await api.post(
            f"/api/v1/applications/{hers['id']}/confirm-deposit",
            json={"bank_reference": "KICB 2026-1126-07"},
            headers=officer,
        )
        assert confirmed.status_code == 200, confirmed.text
        in_kyrgyz(await mail(mailbox, "deposit.confirmed"), lot_id, f"Соода {in_bishkek(opens)} башталат")

        # Bidding opens on the server's schedule; her page follows, and a notice says so.
        await expect(page.locator("#bid-form")).to_be_visible(timeout=(APPLY_WITHIN + 2) * 1000 + SLACK_MS)
        in_kyrgyz(await mail(mailbox, "bidding.opened"), lot_id, f"Соода {in_bishkek(closes)} жабылат")

        # She bids the starting price, confirmed in figures and words.
        await expect(page.locator("#f-amount")).to_have_value("100000")
        await page.click("#bid-form button[type=submit]")
        await confirm(page, "100 000", "жүз миң сом")
        await expect(page.locator(".receipt-fresh h3")).to_contain_text(f"100{NBSP}000{NBSP}сом")

        # The rival outbids her; she is told.
        outbid = await rival.bid("bidder")
        assert outbid.status_code == 201, outbid.text
        in_kyrgyz(await mail(mailbox, "bid.outbid"), lot_id, f"105{NBSP}000{NBSP}сом сунуш түштү", in_bishkek(closes))

        # She bids again, and keeps the receipt.
        await expect(page.locator("#f-amount")).to_have_value("110000")
        await page.click("#bid-form button[type=submit]")
        await confirm(page, "110 000", "жүз он миң сом")
        await expect(page.locator(".receipt-fresh h3")).to_contain_text(f"110{NBSP}000{NBSP}сом")
        async with page.expect_download() as downloading:
            await page.locator(".receipt-fresh").get_by_text("Квитанцияны жүктөп алуу").click()
        receipt = tmp_path / "receipt.json"
        await (await downloading.value).save_as(receipt)

        # The server closes the auction on time and offers her the lot: two notices, the second with the deadline.
        in_kyrgyz(await mail(mailbox, "auction.closed", not_before=closes), lot_id)
        won = await mail(mailbox, "award.won")
        awards = await api.get(f"/api/v1/lots/{lot_id}/awards")
        assert awards.status_code == 200, awards.text
        [award, runner_up] = awards.json()
        assert (award["rank"], award["price"], runner_up["price"]) == (1, 110_000_00, 105_000_00)
        signing_by = f"{in_bishkek(award['sign_deadline'])} чейин кол коюңуз"
        in_kyrgyz(won, lot_id, f"аукционунда 110{NBSP}000{NBSP}сом баа менен жеңдиңиз", signing_by)

        # She opens the link in the mail on her phone and signs there: the price repeated in words.
        [link] = re.findall(r"https://achyk\.test(/lots/\d+)", won.body)
        await page.goto(f"{site.url}{link}")
        await in_kyrgyz_page(page)
        offer = page.locator("#results .offer")
        await expect(offer).to_contain_text(f"110{NBSP}000{NBSP}сом")
        await shot(page, artifacts, "journey-offer-phone", site)
        sign = offer.locator("form[data-statement-action='award.signed'] button[type=submit]")
        await expect(sign).to_be_in_viewport(ratio=1)  # on the first screen, with no scrolling
        await sign.tap()
        await confirm(page, "110 000", "жүз он миң сом")
        await expect(page.locator("#results .awards")).to_contain_text("Кол коюлду")
        await in_kyrgyz_page(page)
        await shot(page, artifacts, "journey-signed-phone", site)

        # Her receipt verifies offline, as it is, against the site's ledger.
        vkey = (await api.get("/api/v1/ledger/key")).text.strip()
        bundle = tmp_path / "achyk-ledger.zip"
        bundle.write_bytes((await api.get("/api/v1/ledger/export")).content)
    command = [sys.executable, "-m", "auction.ledger.verifier", str(bundle), "--receipt", str(receipt), "--key", vkey]
    verified = await asyncio.to_thread(subprocess.run, command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(receipt.read_text())["amount"] == 110_000_00

    # One notice of each step, in order, and nothing else.
    assert mailbox.kinds(EMAIL) == [
        "application.received",
        "deposit.confirmed",
        "bidding.opened",
        "bid.outbid",
        "auction.closed",
        "award.won",
    ]
    await context.close()


async def confirm(page: Page, figures: str, words: str) -> None:
    """The confirmation dialog says the amount in figures and in Kyrgyz words; she goes on to her fingerprint."""
    await expect(page.locator("#passkey-confirm")).to_be_visible()
    await expect(page.locator("#passkey-confirm-amount .confirm-figures")).to_have_text(
        f"{figures} сом".replace(" ", NBSP)
    )
    await expect(page.locator("#passkey-confirm-amount .confirm-words")).to_have_text(words)
    said = await page.locator("#passkey-confirm").inner_text()
    assert not re.search("[A-Za-z]{2,}", said), said
    assert not FOREIGN.search(said), said
    await page.locator("#passkey-continue").tap()
