"""The site speaks Kyrgyz, Russian and English: switching, remembering, and writing money and times per locale."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, log_in


def html_lang(html: str) -> str:
    return Page(html).value("html", "lang")


def heading(html: str) -> str:
    return Page(html).text("main h1")


async def test_russian_by_default(client: Client, world: World) -> None:
    page = await client.get("/")
    assert html_lang(page.text) == "ru"
    assert heading(page.text) == "Муниципальное имущество: продажа и аренда"
    current = Page(page.text).one("nav#language-switch a[aria-current=true]")
    assert (current.get("lang"), current.get_text()) == ("ru", "Русский")


async def test_switching_language_changes_the_text_and_is_remembered(client: Client, world: World) -> None:
    switched = await client.get("/?lang=ky")
    assert html_lang(switched.text) == "ky"
    assert heading(switched.text) == "Муниципалдык мүлк: сатуу жана ижара"
    cookie = switched.headers["set-cookie"]
    assert "achyk_lang=ky" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()

    later = await client.get("/login")
    assert html_lang(later.text) == "ky"
    assert heading(later.text) == "Кирүү"

    english = await client.get("/register?lang=en")
    assert heading(english.text) == "Register as a bidder"
    assert html_lang((await client.get("/")).text) == "en"


async def test_unknown_language_falls_back_to_the_remembered_one(client: Client, world: World) -> None:
    await client.get("/?lang=en")
    page = await client.get("/?lang=fr")
    assert html_lang(page.text) == "en"


async def preferred_language(sessions: async_sessionmaker[AsyncSession], email: str = "bidder@test.kg") -> str:
    async with sessions() as session:
        preferred = await session.scalar(select(User.preferred_language).where(User.email == email))
    assert preferred is not None
    return preferred


async def test_a_get_with_lang_changes_the_page_and_the_cookie_but_never_the_account(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "bidder")
    before = await preferred_language(sessions)
    switched = await client.get("/?lang=en")
    assert html_lang(switched.text) == "en"
    assert "achyk_lang=en" in switched.headers["set-cookie"]
    # A link (or an <img> on another site) must not write: the account keeps its language.
    assert await preferred_language(sessions) == before == "ru"
    # This browser keeps the choice all the same, over the account's.
    assert html_lang((await client.get("/login")).text) == "en"


async def test_a_logged_in_users_choice_made_with_the_form_follows_them_to_another_device(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "bidder")
    page = Page((await client.get("/?q=shop")).text)
    form = page.one("nav#language-switch form[method=post][action='/language']")
    assert form.select_one("input[name=next]").get("value") == "/?q=shop"  # type: ignore[union-attr]
    chosen = await client.post(
        "/language",
        data={"language": "en", "next": "/?q=shop", "_csrf_token": page.csrf_token()},
        follow_redirects=False,
    )
    assert (chosen.status_code, chosen.headers["location"]) == (303, "/?q=shop")
    assert "achyk_lang=en" in chosen.headers["set-cookie"]
    assert await preferred_language(sessions) == "en"

    client.cookies.clear()  # another device: no session, no language cookie
    assert html_lang((await client.get("/")).text) == "ru"
    await log_in(client, "bidder")
    assert html_lang((await client.get("/")).text) == "en"


async def test_the_language_form_refuses_an_unknown_language_and_a_foreign_next(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await log_in(client, "bidder")
    token = Page((await client.get("/?lang=en")).text).csrf_token()
    refused = await client.post("/language", data={"language": "fr", "_csrf_token": token}, follow_redirects=False)
    assert refused.status_code == 422
    assert "Choose one of: ky, ru, en." in refused.text
    assert await preferred_language(sessions) == "ru"
    away = await client.post(
        "/language", data={"language": "ky", "next": "//evil.example", "_csrf_token": token}, follow_redirects=False
    )
    assert (away.status_code, away.headers["location"]) == (303, "/")


async def test_a_language_picked_before_logging_in_is_kept(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await client.get("/login?lang=ky")
    await log_in(client, "bidder")
    assert html_lang((await client.get("/")).text) == "ky"
    # Logging in is a form: the language picked on this device before it becomes the account's.
    assert await preferred_language(sessions) == "ky"


async def test_money_and_times_are_written_the_locales_way(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world, starting_price=1_250_000_50, bid_step=5_000_00, deposit=10_000_00)
    # The applications deadline is 2026-06-22 06:00 UTC: noon in Bishkek (UTC+6).
    expected = {
        "ru": ("1\u00a0250\u00a0000,50\u00a0сом", "22 июня 2026\u202fг., 12:00"),
        "ky": ("1\u00a0250\u00a0000,50\u00a0сом", "2026-ж., 22-июнь 12:00"),
        "en": ("1,250,000.50\u00a0som", "June 22, 2026, 12:00\u202fPM"),
    }
    for language, (price, deadline) in expected.items():
        page = Page((await client.get(f"/lots/{lot_id}?lang={language}")).text)
        assert page.text("dl.terms dd[data-term=starting_price]") == price, language
        closes = page.one('dl.terms dd[data-term=applications_close_at] time[datetime="2026-06-22T06:00:00Z"]')
        assert closes.get_text() == deadline, language
        # The narrow no-break space of "12:00\u202fPM" is whitespace to a squeezed text: read the element raw.
        assert page.one('p.deadline time[datetime="2026-06-22T06:00:00Z"]').get_text() == deadline, language


async def test_whole_som_amounts_have_no_tyiyn(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world)
    page = Page((await client.get(f"/lots/{lot_id}?lang=ru")).text)
    assert page.text("dl.terms dd[data-term=starting_price]") == "100\u00a0000\u00a0сом"
    assert page.text("dl.terms dd[data-term=bid_step]") == "5\u00a0000\u00a0сом"


def lot_title(html: str) -> tuple[str, str | None]:
    """The lot's heading and the language it is marked as, if other than the page's."""
    title = Page(html).one("article.lot h1")
    language = title.get("lang")
    return title.get_text(), language if isinstance(language, str) else None


async def test_titles_fall_back_to_another_language_marked_as_such(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world, title_en=None, title_ru="Только по-русски")
    kyrgyz = await client.get(f"/lots/{lot_id}?lang=ky")
    assert lot_title(kyrgyz.text) == ("Только по-русски", "ru")
    both = await create_lot(client, world, title_en=None, title_ky="Кыргызча аталыш", title_ru="Русское название")
    assert lot_title((await client.get(f"/lots/{both}?lang=ky")).text) == ("Кыргызча аталыш", None)
    assert lot_title((await client.get(f"/lots/{both}?lang=ru")).text) == ("Русское название", None)
    # No English title: the Russian one stands in.
    assert lot_title((await client.get(f"/lots/{both}?lang=en")).text) == ("Русское название", "ru")


async def test_enum_words_are_translated(client: Client, world: World) -> None:
    lot_id = await create_lot(
        client, world, format="descending", floor_price=50_000_00, price_drop_interval_seconds=300
    )
    words = {
        "ru": ["Приём заявок", "Продажа", "Земельный участок", "Аукцион на понижение"],
        "ky": ["Арыздар кабыл алынууда", "Сатуу", "Жер тилкеси", "Төмөндөөчү аукцион"],
        "en": ["Accepting applications", "Sale", "Land plot", "Descending auction"],
    }
    for language, expected in words.items():
        page = Page((await client.get(f"/lots/{lot_id}?lang={language}")).text)
        # State, deal, kind and format, in the lot's badges.
        assert page.texts("article.lot p.badges > span") == expected, language


def error_message(html: str) -> str:
    return Page(html).text("section.error-page[role=alert] > p:first-of-type")


async def test_error_pages_speak_the_visitors_language(client: Client, world: World) -> None:
    missing = await client.get("/lots/999?lang=ky")
    assert missing.status_code == 404
    assert html_lang(missing.text) == "ky"
    assert error_message(missing.text) == "№ 999 лот жок."
    nowhere = await client.get("/no/such/page")
    assert nowhere.status_code == 404
    assert error_message(nowhere.text) == "Бул даректе эч нерсе жок."  # still Kyrgyz: the choice was remembered
