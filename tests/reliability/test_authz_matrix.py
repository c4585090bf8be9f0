"""The authorization matrix (authz_matrix.py): every route of the app, sent by seven identities, answers as its row
says. The routes come from the app itself, so a new route without a row fails the first test.

Each identity gets a world of its own (the one tests/web/test_refusals_keep_nothing.py builds, plus a draft cancelled
before publication, documents and a bidder admitted to nothing), on real PostgreSQL. Reads are sent first; then every
state-changing route is sent by its driver from that module, with the ledger refusing: a request that passes every
check gets the ledger's refusal and keeps nothing, so the next cell sees the same world. The few changes that never
reach the ledger (creating a lot, a key, an account) go last and each acts on an object of its own, as there.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.bidding.models import Bid
from auction.clock import FrozenClock
from auction.settings import OCDS_PLACEHOLDER_PREFIX, Settings
from tests.kit.keys import Ed25519Signer, SoftwareAuthenticator
from tests.kit.world import World
from tests.reliability.authz_matrix import IDENTITIES, KNOWN_WRONG, MATRIX, OUTCOMES
from tests.web.auction_support import Auctioneer, form_signed
from tests.web.conftest import Client, create_lot, log_in
from tests.web.test_refusals_keep_nothing import DRIVERS, PDF, Outcome, Stage, build_stage, shows_the_ledgers_refusal
from web.app import create_app

# Litestar answers these itself for every path (CORS preflight, HEAD of static files): no handler of ours runs.
FRAMEWORK_METHODS = frozenset({"OPTIONS", "HEAD"})
# The account each identity logs in as: the lots of the world are Tokmok's.
ACCOUNTS: dict[str, str | None] = {
    "anonymous": None,
    "bidder": "bidder",
    "other_bidder": "bidder3",
    "officer": "officer_tokmok",
    "other_officer": "officer_naryn",
    "inspector": "inspector",
    "admin": "admin",
}


@pytest.fixture(autouse=True)
def _postgres_only(backend: str) -> None:
    if backend != "postgres":
        pytest.skip("the matrix runs on PostgreSQL, as the service does")


def routes(tmp_path: Path) -> set[tuple[str, str]]:
    """Every (method, path) the app routes to a handler of its own."""
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/never-opened.sqlite3",
        data_dir=tmp_path,
        secret_key="test-secret-key-with-enough-length-0123456789",
        ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
        ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
        run_background_jobs=False,
    )
    return {
        (method, route.path)
        for route in create_app(settings).routes
        for handler in getattr(route, "route_handlers", [])
        for method in set(getattr(handler, "http_methods", set())) - FRAMEWORK_METHODS
    }


def test_every_route_has_a_row_and_every_row_a_route(tmp_path: Path) -> None:
    rows = {(method, path) for method, path, _ in MATRIX}
    assert routes(tmp_path) - rows == set(), "routes with no row in tests/reliability/authz_matrix.py"
    assert rows - routes(tmp_path) == set(), "rows of routes the app no longer has"
    assert all(len(cells) == len(IDENTITIES) and set(cells) <= OUTCOMES.keys() for cells in MATRIX.values())
    drivers = {(method, path) for method, path, target in MATRIX if target == "driver"}
    assert drivers == set(DRIVERS), "every state-changing route is sent by its driver"


@dataclass
class MatrixStage(Stage):
    """The refusals test's stage, whose drivers' final request is sent by the identity under test.

    A driver prepares as its own actor (a bidder registers a key, signs a statement); only the request under test
    is sent as the identity, and a bidder identity signs with their own key, so that an admitted bidder's action is
    refused for what it is, not for a signature by someone else.
    """

    identity: str = "anonymous"
    acting: bool = False  # False while the world is built: the drivers' helpers act as themselves

    def actor(self, who: str | None) -> str | None:
        if not self.acting:
            return who
        if self.identity == "bidder" and who in ("bidder", "bidder2"):
            return who  # the driver's own bidder: the winner, the one with a sealed bid, ...
        if self.identity == "officer" and who in ("officer_tokmok", "officer2_tokmok"):
            return who  # the driver's own member of the lot's commission
        return ACCOUNTS[self.identity]

    def signer(self, who: str) -> str:
        actor = self.actor(who)
        return actor if actor is not None and actor in self.world.signers else who

    def tokmok(self, url: str) -> dict[str, Any]:
        """An administrator names the municipality of a new lot (an officer's is their own): the driver's lot."""
        new_lot = url.split("?", maxsplit=1)[0] in ("/api/v1/lots", "/officer/lots/new")
        admin = self.acting and self.identity == "admin"
        return {"municipality_id": self.world.municipality["tokmok"]} if admin and new_lot else {}

    async def api(self, who: str | None, method: str, url: str, **options: Any) -> None:
        if "json" in options:
            options["json"] = {**options["json"], **self.tokmok(url)}
        await super().api(self.actor(who), method, url, **options)

    async def page(self, who: str | None, url: str, data: dict[str, str] | None = None, **options: Any) -> None:
        extra = {name: str(value) for name, value in self.tokmok(url).items()}
        await super().page(self.actor(who), url, {**(data or {}), **extra}, **options)

    async def signed(self, who: str, lot: str, action: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.world.signed(self.signer(who), self.lots[lot], action, fields)

    def own_keys(self, who: str, action: str, values: dict[str, Any]) -> dict[str, Any]:
        """An application lists the keys of the one who applies."""
        if action != "application.submitted":
            return values
        return {**values, "keys": self.world.key_list(self.signer(who))}

    async def signed_api(
        self, who: str, method: str, lot: str, path: str, action: str, fields: dict[str, Any], body: dict[str, Any]
    ) -> None:
        fields, body = self.own_keys(who, action, fields), self.own_keys(who, action, body)
        await super().signed_api(who, method, lot, path, action, fields, body)

    async def signed_page(
        self, who: str, lot: str, path: str, action: str, fields: dict[str, Any], data: dict[str, str]
    ) -> None:
        fields = self.own_keys(who, action, fields)
        form = await form_signed(self.world, self.signer(who), self.lots[lot], action, fields)
        await self.page(who, f"/lots/{self.lots[lot]}/{path}", {**data, **form})

    def holder(self, who: str) -> str:
        """Whose key the request under test registers: the identity's own, unless it has no account."""
        actor = self.actor(who)
        return who if actor is None else actor

    async def new_key_request(self, who: str) -> None:
        signer = Ed25519Signer()
        proof = signer.proof(self.world.user_ids[self.holder(who)])
        await self.api(
            who, "POST", "/api/me/keys", json={"alg": "ed25519", "public_key": signer.public_key, "proof": proof}
        )

    async def passkey(self, who: str) -> None:
        options = await self.client.post("/api/me/passkeys/options", headers=self.world.auth(self.holder(who)))
        if options.status_code != 200:  # a role that holds no keys gets no options: it sends the bidder's
            options = await self.client.post("/api/me/passkeys/options", headers=self.world.auth(who))
        credential = SoftwareAuthenticator().register(options.json())
        await self.api(who, "POST", "/api/me/passkeys", json={"credential": credential, "label": "phone"})

    async def _send(self, method: str, url: str, **options: Any) -> None:
        response = await self.client.request(method, url, follow_redirects=False, **options)
        self.sent.append((response, {}))
        if self.acting and url.split("?", maxsplit=1)[0] in ("/login", "/logout"):
            self.logged_in = "?"  # the session changed hands: the next page logs in afresh

    async def get(self, path: str, url: str) -> httpx.Response:
        """A read as the identity: the API by bearer token (it never trusts cookies), a page by its session."""
        who = ACCOUNTS[self.identity]
        headers = self.world.auth(who) if who is not None and url.startswith("/api/") else {}
        if not url.startswith("/api/") and who != self.logged_in:
            self.client.cookies.clear()
            if who is not None:
                await log_in(self.client, who)
            self.logged_in = who
        return await self.client.get(url, headers=headers, follow_redirects=False)


def outcome_of(response: httpx.Response, *, ledger_refusing: bool = False) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if status == 401 or (300 <= status < 400 and location.split("?")[0].endswith("/login")):
        return "L"
    if 200 <= status < 400 or (ledger_refusing and shows_the_ledgers_refusal(response)):
        return "A"
    return {403: "F", 404: "N"}.get(status, f"{status}")


async def furnish(stage: MatrixStage, sessions: async_sessionmaker[AsyncSession]) -> dict[str, dict[str, Any]]:
    """What the matrix adds to the refusals test's world, and the path parameters of each target."""
    client, world, lots = stage.client, stage.world, stage.lots
    await world.bidder("bidder3")
    files = {}
    lots["cancelled_draft"] = await create_lot(client, world, publish=False, title_en="Private plot")
    for name in ("published", "draft", "cancelled_draft"):
        uploaded = await client.post(
            f"/api/v1/lots/{lots[name]}/files",
            files={"file": ("plan.pdf", PDF, "application/pdf")},
            data={"kind": "document"},
            headers=world.auth("officer_tokmok"),
        )
        assert uploaded.status_code == 201, uploaded.text
        files[name] = int(uploaded.json()["id"])
    cancelled = await client.post(
        f"/api/v1/lots/{lots['cancelled_draft']}/cancel", json={"reason": "Withdrawn."}, headers=world.auth("admin")
    )
    assert cancelled.status_code < 300, cancelled.text
    async with sessions() as session:
        bid = await session.scalar(
            select(Bid).where(Bid.lot_id == lots["awarded"], Bid.bidder_id == world.user_ids["bidder"]).limit(1)
        )
        assert bid is not None
    size = (await client.get("/api/v1/ledger/checkpoint")).text.splitlines()[1]
    lot = {name: {"lot_id": lot_id} for name, lot_id in lots.items()}
    return {
        "": {},
        **lot,
        **{name: {"lot_id": lots[name], "file_id": files[name]} for name in files},
        "ended": lot["failed"],
        "sealed": lot["sealed_running"],
        "bid": {"bid_id": bid.id},
        "receipt": {"body_hash": bid.body_hash},
        "unit": {"unit_id": world.municipality["tokmok"]},
        "municipality": {"reference": "tokmok"},
        "static": {"file_path": "css/site.css"},
        "schema_unknown": {"path": "nowhere"},
        "reset_unknown": {"token": "n" * 43},
        "search": {"?": "q=lenin"},
        "ledger_lookup": {"?": f"lot={lots['published']}"},
        "shared_ended": {"?": f"lot={lots['failed']}&lot={lots['awarded']}"},
        "shared_draft": {"?": f"lot={lots['failed']}&lot={lots['draft']}"},
        "shared_cancelled_draft": {"?": f"lot={lots['failed']}&lot={lots['cancelled_draft']}"},
        "inclusion": {"?": f"index=0&size={size}"},
        "consistency": {"?": f"size1=1&size2={size}"},
        "ocds_record": {"ocid": f"{OCDS_PLACEHOLDER_PREFIX}-{lots['awarded']}"},
        "ocds_record_draft": {"ocid": f"{OCDS_PLACEHOLDER_PREFIX}-{lots['draft']}"},
        "ocds_day": {"name": f"releases-{stage.clock.now().date().isoformat()}.jsonl"},
        "red_flags_scope": {"?": "municipality=tokmok"},
    }


def url_of(path: str, params: dict[str, Any]) -> str:
    def fill(match: re.Match[str]) -> str:
        return str(params[match.group(1)])

    url = re.sub(r"\{(\w+)(?::\w+)?\}", fill, path).replace("//", "/")
    return f"{url}?{params['?']}" if "?" in params else url


@pytest.mark.parametrize("identity", IDENTITIES)
async def test_each_identity_gets_what_the_matrix_says(
    identity: str,
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    stage = MatrixStage(client, world, clock, sessions, identity=identity)
    await build_stage(stage, Auctioneer(client, world, clock, sessions, settings))
    targets = await furnish(stage, sessions)
    column = IDENTITIES.index(identity)
    stage.acting = True
    stage.logged_in = "?"
    wrong: list[str] = []

    def check(method: str, path: str, target: str, response: httpx.Response, got: str) -> None:
        expected = MATRIX[(method, path, target)][column]
        known = KNOWN_WRONG.get((method, path, target, identity))
        if known is not None:
            if got != known[0]:
                wrong.append(f"{method} {path} [{target}]: known wrong as {known[0]}, now {got}: correct KNOWN_WRONG")
        elif got != expected:
            wrong.append(
                f"{method} {path} [{target}]: expected {OUTCOMES[expected]}, got {OUTCOMES.get(got, got)}"
                f" ({response.status_code} {response.headers.get('location', '')} {response.text[:160]!r})"
            )

    for (method, path, target), _ in sorted(MATRIX.items()):
        if target != "driver":
            url = url_of(path, targets[target])
            response = await stage.get(path, url)
            check(method, path, target, response, outcome_of(response))

    client.app.state.settings.ledger_backlog_limit = 0
    # As in the refusals test: what the ledger refuses first, on the world as built; the few that succeed last.
    for (method, path), driver in sorted(DRIVERS.items(), key=lambda item: item[1].outcome != Outcome.REFUSED):
        await driver.send(stage)
        response, _ = stage.sent.pop()
        check(method, path, "driver", response, outcome_of(response, ledger_refusing=True))
    assert wrong == [], "\n".join(wrong)
