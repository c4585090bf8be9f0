"""Password reset by e-mail through the site, and the profile where each person picks their notices."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.clock import FrozenClock
from auction.notifications.preferences import PreferenceService
from tests.kit.mail import LocalSmtp
from tests.kit.page import Page
from tests.kit.world import PASSWORD, World
from tests.web.conftest import Client, csrf_of, log_in
from tests.web.test_sessions import SESSION, who_with

WATCHING_KINDS = (
    "search.match",
    "watch.bidding_opened",
    "watch.extended",
    "watch.closed",
    "watch.awarded",
    "watch.failed",
    "watch.cancelled",
)

NEW_PASSWORD = "four words I remember"


async def test_a_forgotten_password_is_reset_once_by_the_link_in_the_mail(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, smtp: LocalSmtp
) -> None:
    await log_in(client, "bidder")
    old_cookie = client.cookies[SESSION]
    client.cookies.clear()
    login = Page((await client.get("/login?lang=en")).text)
    assert login.has("a#forgot-password")

    answers = []
    for email in ("bidder@test.kg", "nobody@test.kg"):
        token = await csrf_of(client, "/account/password-reset")
        asked = await client.post("/account/password-reset?lang=en", data={"email": email, "_csrf_token": token})
        assert asked.status_code == 200
        answers.append(Page(asked.text).text("#reset-sent"))
    assert answers[0] == answers[1]  # the answer never tells whether the address has an account

    assert await smtp.sender(sessions, clock).send_due() == 1
    [mail] = smtp.mailbox.arrived
    assert mail.to == ["bidder@test.kg"]
    assert mail.subject == "Achyk: восстановление пароля"  # the account's language
    link = re.search(r"/account/password-reset/[A-Za-z0-9_-]+", mail.body)
    assert link is not None

    form = await client.get(f"{link.group(0)}?lang=en")
    token = Page(form.text).csrf_token()
    done = await client.post(f"{link.group(0)}?lang=en", data={"password": NEW_PASSWORD, "_csrf_token": token})
    assert done.status_code == 200
    assert Page(done.text).has("#reset-done")
    assert await who_with(client, old_cookie) == ""  # the browser signed in before the reset is out
    client.cookies.clear()

    again = Page((await client.get(f"{link.group(0)}?lang=en")).text)
    assert again.has("#reset-invalid")
    token = await csrf_of(client)
    old = await client.post("/login", data={"email": "bidder@test.kg", "password": PASSWORD, "_csrf_token": token})
    assert old.status_code == 401
    new = await client.post(
        "/login",
        data={"email": "bidder@test.kg", "password": NEW_PASSWORD, "_csrf_token": token},
        follow_redirects=False,
    )
    assert new.status_code == 303


async def test_the_profile_keeps_language_contacts_and_notice_choices(
    client: Client, world: World, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    await log_in(client, "bidder")
    page = Page((await client.get("/account/sessions?lang=en")).text)
    assert page.has('a[href="/account/profile"]')
    profile = Page((await client.get("/account/profile?lang=en")).text)
    token = profile.csrf_token()
    # A bidder also chooses the alerts of watching, each on until switched off.
    for kind in WATCHING_KINDS:
        assert profile.has(f'input[name="kind.{kind}"][checked]'), kind
    assert profile.text('label[for="f-kind.search.match"]') == "A new lot matches one of my saved searches"
    choice = {"language": "ky", "channel.sms": "on", "kind.award.won": "on", "_csrf_token": token}
    refused = await client.post("/account/profile?lang=en", data=choice)
    assert refused.status_code == 422
    assert "To get SMS, give a phone number." in refused.text
    saved = await client.post(
        "/account/profile?lang=en", data={**choice, "phone": "+996 555 010203"}, follow_redirects=False
    )
    assert saved.status_code == 303
    async with sessions() as session:
        bidder = await session.get(User, world.user_ids["bidder"])
        assert bidder is not None
        choices = await PreferenceService(session, clock).of(bidder)
    assert (choices.language, choices.channels, choices.kinds, choices.phone) == (
        "ky",
        ["sms"],
        ["award.won"],
        "+996555010203",
    )
    api = await client.get("/api/v1/me/notifications", headers=world.auth("bidder"))
    assert api.json()["kinds"] == ["award.won"]
    kyrgyz = Page((await client.get("/account/profile?lang=ky")).text)
    assert kyrgyz.text('label[for="f-kind.watch.bidding_opened"]') == "Мен көз салган лот боюнча соода башталды"
    assert not kyrgyz.has('input[name="kind.search.match"][checked]')
