"""A visitor who has not chosen a language gets the one their browser asks for; a choice made here still wins."""

from __future__ import annotations

from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, log_in

KYRGYZ_FIRST = {"Accept-Language": "ky-KG,ky;q=0.9,ru;q=0.8,en;q=0.5"}


def html_lang(html: str) -> str:
    return Page(html).value("html", "lang")


async def test_accept_language_chooses_until_the_visitor_picks_one(client: Client, world: World) -> None:
    first = await client.get("/", headers=KYRGYZ_FIRST)
    assert html_lang(first.text) == "ky"
    assert Page(first.text).text("main h1") == "Муниципалдык мүлк: сатуу жана ижара"
    assert "Accept-Language" in first.headers["vary"]
    assert "HX-Request" in first.headers["vary"]  # the catalog's own Vary is kept
    assert html_lang((await client.get("/login", headers={"Accept-Language": "en-GB,en"})).text) == "en"
    assert html_lang((await client.get("/login", headers={"Accept-Language": "de-DE"})).text) == "ru"

    await client.get("/?lang=ru")  # the switcher's choice, kept in a cookie, outranks the browser
    assert html_lang((await client.get("/", headers=KYRGYZ_FIRST)).text) == "ru"


async def test_an_accounts_language_outranks_the_browsers(client: Client, world: World) -> None:
    await client.get("/?lang=en")
    await log_in(client, "bidder")  # the language picked before logging in goes onto the account
    client.cookies.delete("achyk_lang")
    assert html_lang((await client.get("/", headers=KYRGYZ_FIRST)).text) == "en"
