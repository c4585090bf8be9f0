"""A sealed lot's commission in real browsers: five members make the lot key together, three open the bids.

Each of five officers runs the key ceremony in a browser context of their own (web/static/js/commission.js):
their browser draws their key, hands it to them as a file, and deals and acknowledges by itself. Bids are sealed in
the bidders' browsers to the joint key. After the close three members release decryption shares from their key
files; a fourth withholds, and a fifth's wrong share is refused and named. Three shares open every bid.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from auction.bidding.commission_member import SoftwareMember, members_from
from auction.ledger.verifier.entry import parse_body, parse_leaf
from tests.e2e.conftest import Site
from tests.e2e.passkeys import apply_with_passkey, approve, bidder_with_passkey
from tests.e2e.test_bidding import SCHEDULER_SLACK_MS, logged_in, scheduled_lot, seal_a_bid, seconds_ahead
from tests.e2e.test_site import shot

pytestmark = pytest.mark.browser

MEMBERS = ("officer_tokmok", "officer2_tokmok", "officer3_tokmok", "officer4_tokmok", "officer5_tokmok")
THRESHOLD = 3
# Five browsers deal and acknowledge in turn, each polling every 2 s, on a small machine.
CEREMONY_MS = 60_000
# The lot is published once the ceremony is complete, then admits bidders (each applies with a passkey in their
# browser) before bidding opens.
BIDDING_OPENS_S = 100


async def api(site: Site, who: str, method: str, path: str, body: object = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url, timeout=30) as client:
        return await client.request(method, path, json=body, headers=site.world.auth(who))


async def payloads(site: Site, lot_id: int, kind: str) -> list[dict[str, Any]]:
    """The payloads of one kind on the lot's chain, integrated or still pending, as the ledger API gives them."""
    chain = (await api(site, "officer_tokmok", "GET", f"/api/v1/ledger/lots/{lot_id}/entries")).json()
    bodies = [parse_leaf(e["leaf"].encode()).body for e in chain["integrated"]]
    bodies += [parse_body(p["body"].encode()) for p in chain["pending"]]
    return [body.payload for body in bodies if body.kind == kind]


async def ceremony_in(browser: Browser, site: Site, who: str, lot_id: int) -> tuple[BrowserContext, Page]:
    context, page = await logged_in(browser, site, who)
    await page.goto(f"{site.url}/commission/lots/{lot_id}/ceremony?lang=en")
    return context, page


async def create_key(page: Page, keys: Path, who: str) -> Path:
    """Click "Create my key" and keep the file the browser offers, as the member would."""
    button = page.locator("[data-role=create-key]")
    await expect(button).to_be_visible()
    async with page.expect_download() as download_info:
        await button.click()
    download = await download_info.value
    path = keys / f"{who}.json"
    await download.save_as(path)
    return path


async def test_a_three_of_five_commission_keys_and_opens_a_sealed_lot_in_five_browsers(
    site: Site, browser: Browser, artifacts: Path, tmp_path: Path
) -> None:
    for name in MEMBERS[2:]:
        await site.world.officer(name)
    ids = [site.world.user_ids[name] for name in MEMBERS]
    lot_id = await scheduled_lot(
        site,
        publish=False,
        format="sealed_bid",
        title_en="Old cinema hall",
        applications_close_at=seconds_ahead(BIDDING_OPENS_S - 1),
        bidding_opens_at=seconds_ahead(BIDDING_OPENS_S),
        bidding_closes_at=seconds_ahead(BIDDING_OPENS_S + 20),
    )
    started = await api(
        site,
        "officer_tokmok",
        "PUT",
        f"/api/officer/lots/{lot_id}/commission",
        {"members": ids, "threshold": THRESHOLD},
    )
    assert started.status_code == 200, started.text

    # Each member's own browser: the key is made there and handed to the member as a file.
    keys = tmp_path / "keys"
    keys.mkdir()
    pages: dict[str, tuple[BrowserContext, Page]] = {}
    key_files: dict[str, Path] = {}
    for name in MEMBERS:
        pages[name] = await ceremony_in(browser, site, name, lot_id)
    for name in MEMBERS[:4]:
        key_files[name] = await create_key(pages[name][1], keys, name)
    # A page reloaded mid-ceremony has forgotten the secret; it takes back only this member's own key file.
    reloaded = pages[MEMBERS[1]][1]
    await reloaded.reload()
    await expect(reloaded.locator("[data-role=load-key]")).to_be_visible()
    await reloaded.locator("[data-role=key-file]").set_input_files(str(key_files[MEMBERS[0]]))
    await expect(reloaded.locator("[data-role=problem]")).to_contain_text(f"member {ids[0]}'s, not yours")
    await reloaded.locator("[data-role=key-file]").set_input_files(str(key_files[MEMBERS[1]]))
    await expect(reloaded.locator("#commission")).to_have_attribute("data-key-loaded", "true")
    await expect(reloaded.locator("[data-role=problem]")).to_be_hidden()
    key_files[MEMBERS[4]] = await create_key(pages[MEMBERS[4]][1], keys, MEMBERS[4])
    for name, path in key_files.items():
        held = json.loads(path.read_text())
        assert held["format"] == "achyk-commission-key/v1"
        assert (held["lot"], held["member"]) == (lot_id, site.world.user_ids[name])
        assert len(held["secret"]) == 43

    # The browsers deal and acknowledge by themselves; each checks the others' messages and the joint key.
    for _, page in pages.values():
        await expect(page.locator("#commission")).to_have_attribute("data-stage", "complete", timeout=CEREMONY_MS)
        await expect(page.locator("[data-role=status]")).to_contain_text("The lot key is ready and checked")
    await shot(pages[MEMBERS[0]][1], artifacts, "commission-ceremony-complete", site)
    ceremony = (await api(site, "officer_tokmok", "GET", f"/api/lots/{lot_id}/ceremony")).json()
    assert ceremony["stage"] == "complete"
    assert all(a["complaints"] == [] for a in ceremony["acknowledgements"])
    for _, page in pages.values():
        await expect(page.locator("#commission")).to_have_attribute("data-public-key", ceremony["public_key"])
    # The server only relayed: no member's secret is in what it holds or logged.
    server_log = (tmp_path / "server.log").read_text(errors="replace")
    secrets = [json.loads(path.read_text())["secret"] for path in key_files.values()]
    assert not any(secret in server_log or secret in json.dumps(ceremony) for secret in secrets)

    published = await api(site, "officer_tokmok", "POST", f"/api/v1/lots/{lot_id}/sealed/publish")
    assert published.status_code == 200, published.text
    assert published.json()["public_key"] == ceremony["public_key"]

    # Bids are sealed in the bidders' browsers to the joint key; each bidder signs with their passkey.
    first, aidana = await bidder_with_passkey(browser, site, "bidder")
    second, nurlan = await bidder_with_passkey(browser, site, "bidder2")
    for who, page in (("bidder", aidana), ("bidder2", nurlan)):
        await apply_with_passkey(page, site, lot_id)
        await approve(site, lot_id, who)
    await aidana.goto(f"{site.url}/lots/{lot_id}")
    await expect(aidana.locator("#sealed-form")).to_be_visible(timeout=BIDDING_OPENS_S * 1000)
    # The key the page seals to is the joint key, read from the signed ledger: the page encrypts to it and to
    # nothing else (the form names no key of its own).
    await expect(aidana.locator("#sealed-form")).not_to_have_attribute("data-public-key", re.compile(".*"))
    assert await aidana.evaluate(SEALING_KEY, lot_id) == ceremony["public_key"]
    sent = await seal_a_bid(aidana, site, lot_id, "150000")
    sent += await seal_a_bid(nurlan, site, lot_id, "140 000,50")
    assert len(sent) == 2

    # After the close: member 5 posts a wrong share, which is refused and names them; member 4 never comes.
    opening_url = f"/api/lots/{lot_id}/opening"
    for _ in range(60):
        opening = (await api(site, "officer_tokmok", "GET", opening_url)).json()
        if opening["stage"] != "not_closed":
            break
        await pages[MEMBERS[0]][1].wait_for_timeout(1000)
    assert opening["stage"] == "collecting", opening
    assert len(opening["standing"]) == 2
    cheat = pages[MEMBERS[4]][1]
    await cheat.goto(f"{site.url}/commission/lots/{lot_id}/opening?lang=en")
    refused = await cheat.evaluate(WRONG_SHARE, {"file": key_files[MEMBERS[4]].read_text(), "lot": lot_id})
    assert refused["status"] == 422, refused
    assert refused["body"]["code"] == "commission.bad_share"
    assert str(ids[4]) in refused["body"]["message"]

    # Exactly three members load their key files; their browsers release proven shares.
    for name in MEMBERS[:3]:
        page = pages[name][1]
        await page.goto(f"{site.url}/commission/lots/{lot_id}/opening?lang=en")
        await expect(page.locator("[data-role=status]")).to_contain_text("Load your key file")
        await page.locator("[data-role=key-file]").set_input_files(str(key_files[name]))
        await expect(page.locator("[data-role=status]")).to_contain_text("released", timeout=30_000)
    await expect(pages[MEMBERS[2]][1].locator("[data-role=status]")).to_contain_text("the bids can be opened")
    await shot(pages[MEMBERS[2]][1], artifacts, "commission-opening-released", site)

    outcome = await api(site, "officer_tokmok", "POST", f"/api/v1/lots/{lot_id}/sealed/open")
    if outcome.status_code != 200:  # the scheduler may have opened it first, from the same three shares
        assert (await api(site, "officer_tokmok", "GET", opening_url)).json()["stage"] == "opened", outcome.text
    (opened,) = await payloads(site, lot_id, "sealed.opened")
    assert opened["released_by"] == ids[:3]
    assert sorted(b["amount"] for b in opened["opened"]) == [14_000_050, 15_000_000]
    assert sorted(share["member"] for share in await payloads(site, lot_id, "sealed.share")) == ids[:3]
    # Every member's page now says the bids are opened; the withholding member was never needed.
    await expect(pages[MEMBERS[0]][1].locator("[data-role=status]")).to_contain_text(
        "The bids are opened", timeout=SCHEDULER_SLACK_MS
    )
    for context, _ in [*pages.values(), (first, None), (second, None)]:
        await context.close()


async def test_a_browser_complains_about_a_bad_share_and_the_ceremony_stops(
    site: Site, browser: Browser, artifacts: Path
) -> None:
    """Two members in browsers, a third in software who deals the first a wrong share: that browser complains."""
    await site.world.officer("officer3_tokmok")
    names = ("officer_tokmok", "officer2_tokmok", "officer3_tokmok")
    ids = [site.world.user_ids[name] for name in names]
    lot_id = await scheduled_lot(site, publish=False, format="sealed_bid", title_en="Bus depot")
    body = {"members": ids, "threshold": 2}
    started = await api(site, "officer_tokmok", "PUT", f"/api/officer/lots/{lot_id}/commission", body)
    assert started.status_code == 200, started.text
    cheat = SoftwareMember(lot_id, ids[2])
    posted = await api(site, names[2], "POST", f"/api/lots/{lot_id}/ceremony/key", cheat.key_message())
    assert posted.status_code == 200, posted.text
    victim = await ceremony_in(browser, site, names[0], lot_id)
    other = await ceremony_in(browser, site, names[1], lot_id)
    for _, page in (victim, other):
        async with page.expect_download():
            await page.locator("[data-role=create-key]").click()

    for _ in range(60):
        ceremony = (await api(site, names[2], "GET", f"/api/lots/{lot_id}/ceremony")).json()
        if ceremony["stage"] == "dealing":
            break
        await victim[1].wait_for_timeout(500)
    dealing = cheat.deal(members_from(ceremony["members"]), 2, wrong_share_for=ids[0])
    posted = await api(site, names[2], "POST", f"/api/lots/{lot_id}/ceremony/dealing", dealing)
    assert posted.status_code == 200, posted.text

    await expect(victim[1].locator("[data-role=problem]")).to_contain_text(
        f"The share dealt to you by member {ids[2]} does not hold", timeout=CEREMONY_MS
    )
    for _, page in (victim, other):
        await expect(page.locator("#commission")).to_have_attribute("data-stage", "failed", timeout=CEREMONY_MS)
        await expect(page.locator("[data-role=status]")).to_contain_text(
            f"member {ids[0]} found a bad share from member {ids[2]}"
        )
    await shot(victim[1], artifacts, "commission-ceremony-complaint", site)
    ceremony = (await api(site, names[2], "GET", f"/api/lots/{lot_id}/ceremony")).json()
    assert {a["member"]: a["complaints"] for a in ceremony["acknowledgements"]}[ids[0]] == [ids[2]]
    assert ceremony["public_key"] is None
    # The officer restarts it; the open pages ask their members for new keys by themselves.
    restarted = await api(site, "officer_tokmok", "PUT", f"/api/officer/lots/{lot_id}/commission", body)
    assert restarted.status_code == 200, restarted.text
    for _, page in (victim, other):
        await expect(page.locator("[data-role=create-key]")).to_be_visible(timeout=CEREMONY_MS)
        await expect(page.locator("#commission")).to_have_attribute("data-stage", "keys")
    await expect(victim[1].locator("[data-role=problem]")).to_be_hidden()
    for context, _ in (victim, other):
        await context.close()


# What the sealing page's script encrypts to: the lot key proven in the signed ledger (web/static/js/bidding.js).
SEALING_KEY = """
async (lot) => (await import("/static/js/lot-key.js")).verifiedLotKey(lot)
"""

# In the member's own page: recompute the share from the key file, then post D + G with the proof made for D.
WRONG_SHARE = """
async ({ file, lot }) => {
  const dkg = await import("/static/js/dkg.js");
  const root = document.querySelector("#commission");
  const get = async (url) => (await fetch(url)).json();
  const c = await get(root.dataset.ceremonyUrl);
  const o = await get(root.dataset.openingUrl);
  const members = await dkg.checkedMembers(lot, c.members);
  const me = members.find((m) => m.member === Number(root.dataset.member));
  const secret = dkg.readKeyFile(file, lot, me.member, me.public_key);
  const share = await dkg.secretShare(lot, members, c.threshold, c.dealings, me, secret);
  const wrongFor = o.standing[0].ciphertext_hash;
  const message = await dkg.openingShares(lot, me, share, secret, o.standing, { wrongFor });
  const response = await fetch(root.dataset.sharesUrl, {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrftoken": root.dataset.csrf },
    body: JSON.stringify(message),
  });
  return { status: response.status, body: await response.json() };
}
"""
