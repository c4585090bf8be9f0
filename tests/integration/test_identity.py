"""One person, one bidder account: a personal or tax number registers once, even when two try at the same moment."""

from __future__ import annotations

import asyncio

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import BidderKind, User
from auction.accounts.schemas import Registration
from auction.accounts.service import AccountService
from auction.clock import FrozenClock
from auction.errors import Conflict
from tests.kit.world import World

Client = AsyncTestClient[Litestar]
NUMBER = "21506198500077"
REGISTRATION = {
    "email": "aigul@example.kg",
    "password": "a long enough secret",
    "full_name": "Aigul Asanova",
    "bidder_kind": "individual",
    "identity_number": NUMBER,
}


def registration(email: str) -> Registration:
    return Registration.model_validate({**REGISTRATION, "email": email})


async def holders(sessions: async_sessionmaker[AsyncSession], number: str) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).where(User.identity_number == number)) or 0)


async def test_a_number_already_registered_is_refused_without_saying_whose(client: Client, world: World) -> None:
    first = await client.post("/api/v1/accounts", json=REGISTRATION)
    assert first.status_code == 201, first.text
    again = await client.post(
        "/api/v1/accounts", json={**REGISTRATION, "email": "someone@else.kg", "full_name": "Someone Else"}
    )
    assert again.status_code == 409, again.text
    refusal = again.json()
    assert refusal["code"] == "account.identity_taken"
    assert "sign in, or ask the municipality to reset it" in refusal["message"]
    # Nothing of the account that holds the number comes back to the stranger.
    assert "Aigul" not in again.text
    assert "aigul@example.kg" not in again.text
    # The same person trying again with the same e-mail is told to log in instead.
    twice = await client.post("/api/v1/accounts", json=REGISTRATION)
    assert twice.json()["code"] == "account.email_taken"


async def test_the_registration_form_says_the_number_is_taken(client: Client, world: World) -> None:
    assert (await client.post("/api/v1/accounts", json=REGISTRATION)).status_code == 201
    page = await client.get("/register?lang=en")
    token = page.cookies.get("csrftoken") or client.cookies.get("csrftoken")
    form = {**REGISTRATION, "email": "other@example.kg", "password": "another long secret", "_csrf_token": token}
    answer = await client.post("/register?lang=en", data=form)
    assert answer.status_code == 422, answer.text
    assert "This number already has an account: sign in, or ask the municipality to reset it." in answer.text
    assert "Aigul" not in answer.text.split("<form", 1)[0]


async def test_an_impossible_birth_date_is_refused_by_the_api(client: Client, world: World) -> None:
    answer = await client.post("/api/v1/accounts", json={**REGISTRATION, "identity_number": "23102198500001"})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["message"] == "The birth date in the number, 31.02.1985, does not exist."


async def test_an_under_age_bidder_is_refused_on_the_registration_day(client: Client, world: World) -> None:
    # The test clock reads 1 June 2026: born 2 June 2008 is 17 that day.
    answer = await client.post("/api/v1/accounts", json={**REGISTRATION, "identity_number": "10206200800001"})
    assert answer.status_code == 422
    assert answer.json()["problems"][0]["code"] == "account.bidder_under_age"


@pytest.mark.own_database
async def test_concurrent_registrations_of_one_number_leave_one_account(
    backend: str, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """Both pass the read-before-write check; the unique index lets exactly one insert through, the other is the
    same refusal as a late registration (no 500)."""
    if backend != "postgres":
        pytest.skip("two writers at once need PostgreSQL; SQLite serialises every transaction")

    async def register(email: str) -> str:
        async with sessions() as session:
            try:
                await AccountService(session, clock).register_bidder(registration(email))
                await session.commit()
            except Conflict as refusal:
                await session.rollback()
                return refusal.code
            return "registered"

    results = await asyncio.gather(*(register(f"twin{n}@example.kg") for n in range(4)))
    assert sorted(results) == ["account.identity_taken"] * 3 + ["registered"]
    assert await holders(sessions, NUMBER) == 1


@pytest.mark.own_database
async def test_the_second_writer_waits_on_the_index_and_is_refused(
    backend: str, sessions: async_sessionmaker[AsyncSession], clock: FrozenClock
) -> None:
    """The interleaving that the check alone cannot stop, forced: B checks while A's insert is uncommitted."""
    if backend != "postgres":
        pytest.skip("two writers at once need PostgreSQL; SQLite serialises every transaction")
    async with sessions() as first, sessions() as second:
        await AccountService(first, clock).register_bidder(registration("a@example.kg"))  # inserted, not committed
        late = asyncio.create_task(AccountService(second, clock).register_bidder(registration("b@example.kg")))
        await asyncio.sleep(0.3)
        assert not late.done(), "B should wait on A's uncommitted index entry"
        await first.commit()
        with pytest.raises(Conflict) as refused:
            await late
        assert refused.value.code == "account.identity_taken"
        # The savepoint kept B's session usable: its transaction goes on and ends cleanly.
        assert await second.scalar(select(func.count()).select_from(User).where(User.email == "b@example.kg")) == 0
        await second.rollback()
    assert await holders(sessions, NUMBER) == 1


async def test_officers_and_legal_entities_share_the_index(
    sessions: async_sessionmaker[AsyncSession], clock: FrozenClock, world: World
) -> None:
    """Accounts without a number (officers, inspectors) never clash; a tax number is unique like a PIN."""
    async with sessions() as session:
        accounts = AccountService(session, clock)
        company = {**REGISTRATION, "bidder_kind": BidderKind.LEGAL_ENTITY.value, "identity_number": "01234567891234"}
        await accounts.register_bidder(Registration.model_validate(company))
        with pytest.raises(Conflict, match="already has an account"):
            await accounts.register_bidder(Registration.model_validate({**company, "email": "co2@example.kg"}))
        nameless = await session.scalar(select(func.count()).where(User.identity_number.is_(None)))
        assert nameless is not None
        assert nameless >= 2  # the world's officer, inspector and admin
