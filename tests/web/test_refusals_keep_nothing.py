"""Every state-changing route, sent with the ledger refusing: a refused request leaves every row as it was.

Each POST, PUT, PATCH and DELETE route of the app (API and pages) has a driver below that sends it on a world
where it would succeed. With the ledger refusing (a backlog limit of 0), a route that writes to the ledger must
be refused with the ledger's own message, which proves that its driver got past every other check, and must
leave every table exactly as it was. A route that never writes to the ledger must still succeed. A new route
without a driver fails the first test, so the rule covers it from the day it is added.
"""

from __future__ import annotations

import base64
import enum
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import Role, User
from auction.accounts.password_reset import PasswordResetService
from auction.bidding.commission_member import members_from
from auction.clock import FrozenClock
from auction.db.engine import transaction
from auction.ledger.admission import LedgerWriter
from auction.ledger.verifier.runoff import offer_hash
from auction.ledger.verifier.sealed import b64url_decode, ciphertext_hash, encrypt_bid
from auction.ledger.verifier.statements import key_id
from auction.redflags.inspection import InspectionService
from auction.redflags.linking import encode_key
from auction.settings import Settings
from tests.conftest import START
from tests.kit.commission import ApiCommission
from tests.kit.keys import Ed25519Signer, SoftwareAuthenticator, sign
from tests.kit.page import Page
from tests.kit.world import PASSWORD, World, kit_schedule, lot_terms
from tests.web.auction_support import Auctioneer, form_signed
from tests.web.conftest import Client, create_lot, csrf_of, log_in
from tests.web.database_rows import all_rows, changed_tables
from tests.web.test_officer_auction import ceremony
from tests.web.test_officer_console import lot_form, officer_creates_a_lot
from web.app import create_app
from web.lib.formatting import moment_input

LEDGER_CATCHING_UP = "The ledger is catching up with a burst of activity"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PDF = b"%PDF-1.7\n" + b"x" * 100
UNITS_CSV = (Path(__file__).resolve().parents[2] / "data" / "municipalities" / "pilots.csv").read_bytes()
NONCE = "r" * 43
# Each default rule, as the administrator's form shows it (docs/rules.md).
RULES_FORM = {
    "notice_days": "20",
    "reopen_days": "3",
    "workday_start_minute": "09:00",
    "workday_end_minute": "18:00",
    "max_lease_months": "36",
    "max_repeat_reduction_pct": "25",
    "max_attempts": "3",
    "cancel_lockout_hours": "24",
    "sign_days": "10",
    "payment_days": "30",
    "refund_days": "5",
    "max_instalments": "1",
    **{f"workday_{day}": "on" for day in range(5)},
}


class Outcome(enum.Enum):
    REFUSED = "refused by the ledger, nothing kept"
    DONE = "done: it never writes to the ledger"


def shows_the_ledgers_refusal(response: httpx.Response) -> bool:
    """The refusal is where its reader looks for a problem: the message of the API's JSON error; on a page, an
    alert (the form's error summary, the error page) or the error under a field."""
    if "json" in response.headers.get("content-type", ""):
        body = response.json()
        return isinstance(body, dict) and LEDGER_CATCHING_UP in str(body.get("message", ""))
    shown = Page(response.text).texts("[role=alert], p.field-error")
    return any(LEDGER_CATCHING_UP in text for text in shown)


@dataclass
class Stage:
    """The world every driver acts on (lots at each stage of their life) and the one request a driver sends."""

    client: Client
    world: World
    clock: FrozenClock
    sessions: async_sessionmaker[AsyncSession]
    lots: dict[str, int] = field(default_factory=dict)
    applications: dict[str, int] = field(default_factory=dict)
    created_at: datetime | None = None
    logged_in: str | None = None
    sent: list[tuple[httpx.Response, dict[str, str]]] = field(default_factory=list)
    commissions: dict[str, ApiCommission] = field(default_factory=dict)

    async def api(self, who: str | None, method: str, url: str, **options: Any) -> None:
        headers = {**(self.world.auth(who) if who else {}), **options.pop("headers", {})}
        await self._send(method, url, headers=headers, **options)

    async def page(self, who: str | None, url: str, data: dict[str, str] | None = None, **options: Any) -> None:
        """A form posted as ``who`` (None: a visitor who is not logged in), with a valid CSRF token."""
        if who != self.logged_in:
            self.client.cookies.clear()
            if who is not None:
                await log_in(self.client, who)
            self.logged_in = who
        token = await csrf_of(self.client)
        separator = "&" if "?" in url else "?"
        await self._send("POST", f"{url}{separator}lang=en", data={**(data or {}), "_csrf_token": token}, **options)

    async def _send(self, method: str, url: str, **options: Any) -> None:
        before = await all_rows(self.sessions)
        response = await self.client.request(method, url, follow_redirects=False, **options)
        self.sent.append((response, changed_tables(before, await all_rows(self.sessions))))

    async def signed(self, who: str, lot: str, action: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.world.signed(who, self.lots[lot], action, fields)

    async def signed_api(
        self, who: str, method: str, lot: str, path: str, action: str, fields: dict[str, Any], body: dict[str, Any]
    ) -> None:
        """A bidder's API action on a lot, signed over ``fields`` (so that only the ledger can refuse it)."""
        signed = await self.signed(who, lot, action, fields)
        url = f"/api/v1/lots/{self.lots[lot]}/{path}"
        await self.api(who, method, url, json={**body, "signed": signed}, headers=key())

    async def signed_page(
        self, who: str, lot: str, path: str, action: str, fields: dict[str, Any], data: dict[str, str]
    ) -> None:
        """A bidder's form on a lot with the hidden `signed` field its script fills in."""
        form = await form_signed(self.world, who, self.lots[lot], action, fields)
        await self.page(who, f"/lots/{self.lots[lot]}/{path}", {**data, **form})

    async def new_key(self, who: str) -> Ed25519Signer:
        """Another key of ``who``'s, registered on their account before the request under test."""
        signer = Ed25519Signer()
        registered = await self.client.post(
            "/api/me/keys",
            json={"alg": "ed25519", "public_key": signer.public_key, "proof": signer.proof(self.world.user_ids[who])},
            headers=self.world.auth(who),
        )
        assert registered.status_code == 201, registered.text
        return signer

    async def add_lot_key(self, who: str, lot: str) -> None:
        signer = await self.new_key(who)
        signed = await self.signed(who, lot, "bidder.key.added", {"key": signer.key})
        url = f"/api/lots/{self.lots[lot]}/me/keys"
        await self.api(who, "POST", url, json={"key": signer.key, "signed": signed})

    async def replace_key(self, who: str, lot: str) -> None:
        signer = await self.new_key(who)
        fields = {"key": signer.key, "reason": "Lost phone; identity document checked."}
        stmt = await self.world.statement(who, self.lots[lot], "bidder.key.replaced", fields)
        url = f"/api/officer/lots/{self.lots[lot]}/bidders/{stmt['bidder']}/key"
        await self.api("officer_tokmok", "POST", url, json={**fields, "signed": sign(signer, stmt)})

    async def passkey(self, who: str) -> None:
        options = await self.client.post("/api/me/passkeys/options", headers=self.world.auth(who))
        assert options.status_code == 200, options.text
        credential = SoftwareAuthenticator().register(options.json())
        await self.api(who, "POST", "/api/me/passkeys", json={"credential": credential, "label": "phone"})

    async def sealed(self, *, via_api: bool) -> None:
        """bidder2's signed sealed bid on the running sealed lot."""
        ciphertext = self.ciphertext("sealed_running", "bidder2", 130_000_00)
        fields = {"ciphertext_hash": ciphertext_hash(ciphertext)}
        if via_api:
            body = {"ciphertext": ciphertext}
            await self.signed_api("bidder2", "POST", "sealed_running", "sealed-bids", "bid.sealed", fields, body)
        else:
            data = {"ciphertext": ciphertext, "idempotency_key": uuid.uuid4().hex}
            await self.signed_page("bidder2", "sealed_running", "sealed-bids", "bid.sealed", fields, data)

    async def new_key_request(self, who: str) -> None:
        signer = Ed25519Signer()
        body = {"alg": "ed25519", "public_key": signer.public_key, "proof": signer.proof(self.world.user_ids[who])}
        await self.api(who, "POST", "/api/me/keys", json=body)

    async def revoke_new_key(self, who: str) -> None:
        signer = await self.new_key(who)
        await self.api(who, "DELETE", f"/api/me/keys/{key_id(signer.key)}")

    async def own_search(self, who: str) -> int:
        """A saved search of ``who``'s, made before the request under test (which may be sent by someone else)."""
        saved = await self.client.post(
            "/api/v1/me/searches",
            json={"name": "Leases", "filters": {"deal": "lease"}},
            headers=self.world.auth(who),
        )
        assert saved.status_code == 201, saved.text
        search_id: int = saved.json()["id"]
        return search_id

    async def seal(self, lot: str, who: str, amount: int) -> None:
        """A sealed bid, encrypted here as the bidder's browser would, sent through the API."""
        lot_id = self.lots[lot]
        key = (await self.client.get(f"/api/v1/lots/{lot_id}/sealed/key")).json()["public_key"]
        ciphertext = encrypt_bid(b64url_decode(key), lot_id, self.pseudonym(lot, who), amount)
        signed = await self.signed(who, lot, "bid.sealed", {"ciphertext_hash": ciphertext_hash(ciphertext)})
        sent = await self.client.post(
            f"/api/v1/lots/{lot_id}/sealed-bids",
            json={"ciphertext": ciphertext, "signed": signed},
            headers={**self.world.auth(who), "Idempotency-Key": uuid.uuid4().hex},
        )
        assert sent.status_code == 201, sent.text

    def pseudonym(self, lot: str, who: str) -> str:
        return self.world.tokens[f"pseudonym:{lot}:{who}"]

    async def ceremony_message(self, lot: str, kind: str, who: str) -> None:
        """A member's next ceremony message on a draft whose ceremony waits for exactly that (no ledger write)."""
        commission = self.commissions[lot]
        member = commission.member(who)
        state = await commission.ceremony()
        roster = members_from(state["members"]) if kind != "key" else []
        if kind == "key":
            body = member.key_message()
        elif kind == "dealing":
            body = member.deal(roster, commission.threshold)
        else:
            body = member.acknowledge(roster, state["dealings"])
        await self.api(who, "POST", f"/api/lots/{self.lots[lot]}/ceremony/{kind}", json=body)

    async def share(self, lot: str, who: str) -> None:
        """A member posts their decryption shares (a sealed.share entry)."""
        commission = self.commissions[lot]
        opening = await commission.opening()
        body = commission.member(who).opening_shares(opening["dealings"], opening["standing"])
        await self.api(who, "POST", f"/api/lots/{self.lots[lot]}/opening/shares", json=body)

    def ciphertext(self, lot: str, who: str, amount: int) -> str:
        key = self.world.tokens[f"key:{lot}"]
        return encrypt_bid(b64url_decode(key), self.lots[lot], self.pseudonym(lot, who), amount)

    async def runoff_offer(self, who: str, *, via_api: bool) -> None:
        """A contender's sealed offer in the tied lot's run-off, at the starting price (above any tied price)."""
        amount = 100_000_00
        fields = {"offer_hash": offer_hash(self.lots["tied"], self.pseudonym("tied", who), amount, NONCE)}
        if via_api:
            body = {"amount": amount, "nonce": NONCE}
            await self.signed_api(who, "POST", "tied", "runoff-offer", "runoff.offer", fields, body)
        else:
            data = {"amount": "100000", "nonce": NONCE}
            await self.signed_page(who, "tied", "runoff-offer", "runoff.offer", fields, data)

    async def protocol_signature(self, who: str, lot: str) -> None:
        """A commission member signs the lot's issued results protocol with a key of their account."""
        signer = await self.new_key(who)
        url = f"/api/v1/lots/{self.lots[lot]}/protocol"
        asked = await self.client.get(f"{url}/statement", headers=self.world.auth(who))
        assert asked.status_code == 200, asked.text
        body = {"key_id": key_id(signer.key), **signer.signature(asked.json()["statement"])}
        await self.api(who, "POST", f"{url}/signatures", json=body)

    def schedule(self) -> dict[str, str]:
        deadline, opens, closes = kit_schedule(self.clock.now())
        return {
            "applications_close_at": deadline.isoformat(),
            "bidding_opens_at": opens.isoformat(),
            "bidding_closes_at": closes.isoformat(),
        }


Send = Callable[[Stage], Awaitable[None]]
# Lots that stay published while the others run (20 days' notice and more later) keep a schedule this much later.
LATER = timedelta(days=25)
# The same later schedule as the officer's form takes it: Bishkek wall-clock times, from the tests' START.
LATER_FORM = dict(
    zip(
        ("applications_close_at", "bidding_opens_at", "bidding_closes_at"),
        map(moment_input, kit_schedule(START + LATER)),
        strict=True,
    )
)


@dataclass(frozen=True)
class Driver:
    outcome: Outcome
    send: Send


async def reset_password(s: Stage) -> None:
    """A new bidder who forgot their password sets a new one through a link of their own."""
    name = await s.world.bidder()
    async with transaction(s.sessions) as session:
        started = await PasswordResetService(session, s.clock).start(f"{name}@test.kg", timedelta(hours=1))
    assert started is not None
    await s.page(None, f"/account/password-reset/{started[1]}", {"password": "a brand new password"})


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


AMENDMENT = "The valuer corrected the bid step."
REGISTRATION = {
    "email": "new.bidder@test.kg",
    "password": "a long enough secret",
    "full_name": "New Bidder",
    "bidder_kind": "individual",
    "identity_number": "21506198500099",
}

# The inspection key the stage pins (build_stage), and an inspection under it.
INSPECTION_KEY = bytes(range(32))
INSPECTION_PURPOSE = "Case 2026/17: every lot"
INSPECTION: dict[str, str | None] = {
    "municipality": None,
    "purpose": INSPECTION_PURPOSE,
    "inspection_key": encode_key(INSPECTION_KEY),
}

# (method, path as the app routes it) -> what sending it must do with the ledger refusing.
DRIVERS: dict[tuple[str, str], Driver] = {
    # The API, with bearer tokens.
    ("POST", "/api/v1/lots/{lot_id:int}/publish"): Driver(
        Outcome.REFUSED, lambda s: s.api("officer_tokmok", "POST", f"/api/v1/lots/{s.lots['draft']}/publish")
    ),
    ("PUT", "/api/v1/lots/{lot_id:int}"): Driver(
        Outcome.REFUSED,
        lambda s: s.api(
            "officer_tokmok",
            "PUT",
            f"/api/v1/lots/{s.lots['published']}",
            json=lot_terms(LATER + (s.created_at or s.clock.now()), bid_step=6_000_00, reason=AMENDMENT),
        ),
    ),
    # A draft is cancelled in one step, with nothing to record; a live lot by two officials, the second one
    # writing lot.cancelled (asking and withdrawing record nothing: the request is not public).
    ("POST", "/api/v1/lots/{lot_id:int}/cancel"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "officer_tokmok", "POST", f"/api/v1/lots/{s.lots['cancel_draft_api']}/cancel", json={"reason": "Withdrawn."}
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/cancellation"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "officer_tokmok", "POST", f"/api/v1/lots/{s.lots['ask_api']}/cancellation", json={"reason": "Withdrawn."}
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/cancellation/confirm"): Driver(
        Outcome.REFUSED,
        lambda s: s.api("officer_tokmok", "POST", f"/api/v1/lots/{s.lots['to_cancel']}/cancellation/confirm"),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/cancellation/withdraw"): Driver(
        Outcome.DONE,
        lambda s: s.api("officer_tokmok", "POST", f"/api/v1/lots/{s.lots['withdraw_api']}/cancellation/withdraw"),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/sealed/publish"): Driver(
        Outcome.REFUSED,
        lambda s: s.api("officer_tokmok", "POST", f"/api/v1/lots/{s.lots['sealed_draft']}/sealed/publish"),
    ),
    ("PUT", "/api/officer/lots/{lot_id:int}/commission"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "officer_tokmok",
            "PUT",
            f"/api/officer/lots/{s.lots['ceremony_keys']}/commission",
            json={"members": [s.world.user_ids["officer_tokmok"], s.world.user_ids["officer2_tokmok"]], "threshold": 2},
        ),
    ),
    ("POST", "/api/lots/{lot_id:int}/ceremony/key"): Driver(
        Outcome.DONE, lambda s: s.ceremony_message("ceremony_keys", "key", "officer_tokmok")
    ),
    ("POST", "/api/lots/{lot_id:int}/ceremony/dealing"): Driver(
        Outcome.DONE, lambda s: s.ceremony_message("ceremony_dealing", "dealing", "officer_tokmok")
    ),
    ("POST", "/api/lots/{lot_id:int}/ceremony/acknowledgement"): Driver(
        Outcome.DONE, lambda s: s.ceremony_message("ceremony_ack", "acknowledgement", "officer_tokmok")
    ),
    ("POST", "/api/lots/{lot_id:int}/opening/shares"): Driver(
        Outcome.REFUSED, lambda s: s.share("sealed_closed", "officer2_tokmok")
    ),
    ("POST", "/api/officer/lots/{lot_id:int}/open"): Driver(
        Outcome.REFUSED, lambda s: s.api("officer_tokmok", "POST", f"/api/officer/lots/{s.lots['sealed_ready']}/open")
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/applications"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api(
            "bidder",
            "POST",
            "published",
            "applications",
            "application.submitted",
            {"keys": s.world.key_list("bidder")},
            {"keys": s.world.key_list("bidder")},
        ),
    ),
    ("POST", "/api/v1/applications/{application_id:int}/confirm-deposit"): Driver(
        Outcome.REFUSED,
        lambda s: s.api(
            "officer_tokmok",
            "POST",
            f"/api/v1/applications/{s.applications['bidder']}/confirm-deposit",
            json={"bank_reference": "KICB-1"},
        ),
    ),
    ("POST", "/api/v1/applications/{application_id:int}/reject"): Driver(
        Outcome.REFUSED,
        lambda s: s.api(
            "officer_tokmok",
            "POST",
            f"/api/v1/applications/{s.applications['bidder2']}/reject",
            json={"reason": "No deposit arrived."},
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/bids"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api(
            "bidder", "POST", "running", "bids", "bid.placed", {"amount": 100_000_00}, {"amount": 100_000_00}
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/accept"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api(
            "bidder", "POST", "descending", "accept", "bid.accepted", {"limit": 100_000_00}, {"limit": 100_000_00}
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/sealed-bids"): Driver(
        Outcome.REFUSED,
        lambda s: s.sealed(via_api=True),
    ),
    ("DELETE", "/api/v1/lots/{lot_id:int}/sealed-bids"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api("bidder", "DELETE", "sealed_running", "sealed-bids", "bid.withdrawn", {}, {}),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/sealed/open"): Driver(
        Outcome.REFUSED,
        lambda s: s.api("officer_tokmok", "POST", f"/api/v1/lots/{s.lots['sealed_ready']}/sealed/open"),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/award/sign"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api("bidder2", "POST", "awarded", "award/sign", "award.signed", {"price": 110_000_00}, {}),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/award/decline"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_api("bidder2", "POST", "awarded", "award/decline", "award.declined", {}, {}),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/runoff-offer"): Driver(
        Outcome.REFUSED, lambda s: s.runoff_offer("bidder", via_api=True)
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/protocol/signatures"): Driver(
        Outcome.REFUSED, lambda s: s.protocol_signature("officer_tokmok", "awarded")
    ),
    ("POST", "/api/v1/lots"): Driver(
        Outcome.DONE, lambda s: s.api("officer_tokmok", "POST", "/api/v1/lots", json=lot_terms(s.clock.now()))
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/repeat"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "officer_tokmok",
            "POST",
            f"/api/v1/lots/{s.lots['failed']}/repeat",
            json={"reduction_percent": 10, **s.schedule()},
        ),
    ),
    ("POST", "/api/v1/lots/{lot_id:int}/files"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "officer_tokmok",
            "POST",
            f"/api/v1/lots/{s.lots['draft']}/files",
            files={"file": ("plan.pdf", PDF, "application/pdf")},
            data={"kind": "document"},
        ),
    ),
    ("POST", "/api/v1/accounts"): Driver(
        Outcome.DONE, lambda s: s.api(None, "POST", "/api/v1/accounts", json=REGISTRATION)
    ),
    ("POST", "/api/v1/auth/token"): Driver(
        Outcome.DONE,
        lambda s: s.api(None, "POST", "/api/v1/auth/token", json={"email": "bidder@test.kg", "password": PASSWORD}),
    ),
    # The pages, with the session cookie and the CSRF token.
    ("POST", "/officer/lots/{lot_id:int}/publish"): Driver(
        Outcome.REFUSED, lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['draft']}/publish")
    ),
    ("POST", "/officer/lots/{lot_id:int}/edit"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['published_form']}/edit",
            lot_form("", bid_step="6000", reason=AMENDMENT, **LATER_FORM),
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/cancel"): Driver(
        Outcome.DONE,
        lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['cancel_draft_page']}/cancel", {"reason": "Gone."}),
    ),
    ("POST", "/officer/lots/{lot_id:int}/cancellation"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['ask_page']}/cancellation",
            {"reason": "Withdrawn."},
            files={"order_file": ("", b"", "application/octet-stream")},
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/cancellation/confirm"): Driver(
        Outcome.REFUSED,
        lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['to_cancel']}/cancellation/confirm"),
    ),
    ("POST", "/officer/lots/{lot_id:int}/cancellation/withdraw"): Driver(
        Outcome.DONE,
        lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['withdraw_page']}/cancellation/withdraw"),
    ),
    ("POST", "/officer/lots/{lot_id:int}/commission"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "officer_tokmok", f"/officer/lots/{s.lots['ceremony_keys']}/commission", ceremony("", s.world)
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/commission/publish"): Driver(
        Outcome.REFUSED,
        lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['sealed_draft']}/commission/publish"),
    ),
    ("POST", "/officer/lots/{lot_id:int}/applications/{application_id:int}/confirm-deposit"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['applied']}/applications/{s.applications['bidder']}/confirm-deposit",
            {"bank_reference": "KICB-1"},
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/applications/{application_id:int}/reject"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['applied']}/applications/{s.applications['bidder2']}/reject",
            {"reason": "No deposit arrived."},
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/open"): Driver(
        Outcome.REFUSED, lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['sealed_ready']}/open")
    ),
    ("POST", "/lots/{lot_id:int}/apply"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page(
            "bidder", "published", "apply", "application.submitted", {"keys": s.world.key_list("bidder")}, {}
        ),
    ),
    ("POST", "/lots/{lot_id:int}/bids"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page(
            "bidder",
            "running",
            "bids",
            "bid.placed",
            {"amount": 100_000_00},
            {"amount": "100000", "idempotency_key": uuid.uuid4().hex},
        ),
    ),
    ("POST", "/lots/{lot_id:int}/accept"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page(
            "bidder",
            "descending",
            "accept",
            "bid.accepted",
            {"limit": 100_000_00},
            {"idempotency_key": uuid.uuid4().hex, "limit": "10000000"},
        ),
    ),
    ("POST", "/lots/{lot_id:int}/sealed-bids"): Driver(
        Outcome.REFUSED,
        lambda s: s.sealed(via_api=False),
    ),
    ("POST", "/lots/{lot_id:int}/sealed-bids/withdraw"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page("bidder", "sealed_running", "sealed-bids/withdraw", "bid.withdrawn", {}, {}),
    ),
    ("POST", "/lots/{lot_id:int}/award/sign"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page("bidder2", "awarded", "award/sign", "award.signed", {"price": 110_000_00}, {}),
    ),
    ("POST", "/lots/{lot_id:int}/award/decline"): Driver(
        Outcome.REFUSED,
        lambda s: s.signed_page("bidder2", "awarded", "award/decline", "award.declined", {}, {}),
    ),
    ("POST", "/lots/{lot_id:int}/runoff-offer"): Driver(
        Outcome.REFUSED, lambda s: s.runoff_offer("bidder2", via_api=False)
    ),
    # After the award: the contract's payments and the deposits' refunds are recorded in the ledger; how many
    # instalments a sale is paid in is chosen before the contract and kept on the lot's row only.
    ("POST", "/officer/lots/{lot_id:int}/payments"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['signed']}/payments",
            {
                "number": "1",
                "amount": "1000",
                "paid_on": s.clock.now().date().isoformat(),
                "bank_reference": "KICB-PAID-1",
            },
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/refunds/{application_id:int}"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['signed']}/refunds/{s.applications['signed:bidder']}",
            {"bank_reference": "KICB-REFUND-1"},
        ),
    ),
    ("POST", "/officer/lots/{lot_id:int}/instalments"): Driver(
        Outcome.DONE,
        lambda s: s.page("officer_tokmok", f"/officer/lots/{s.lots['awarded']}/instalments", {"instalments": "1"}),
    ),
    # The administrator's console: a municipality's rules go into the ledger; the rest is the console's own log.
    ("POST", "/admin/units/{unit_id:int}/rules"): Driver(
        Outcome.REFUSED,
        lambda s: s.page("admin", f"/admin/units/{s.world.municipality['naryn']}/rules", RULES_FORM),
    ),
    ("POST", "/admin/units/import"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "admin", "/admin/units/import", {"action": "import"}, files={"file": ("units.csv", UNITS_CSV, "text/csv")}
        ),
    ),
    ("POST", "/admin/units/{unit_id:int}/owns-property"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "admin", f"/admin/units/{s.world.municipality['naryn']}/owns-property", {"owns_property": "true"}
        ),
    ),
    ("POST", "/admin/units/{unit_id:int}/payment-details"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "admin",
            f"/admin/units/{s.world.municipality['naryn']}/payment-details",
            {"payment_details": "Naryn city treasury, KICB, account 1280016000000001"},
        ),
    ),
    ("POST", "/admin/units/{unit_id:int}/contacts"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "admin",
            f"/admin/units/{s.world.municipality['naryn']}/contacts",
            {"contact_phone": "+996 3522 5 00 00", "office_hours": "Mon-Fri 9:00-18:00"},
        ),
    ),
    # The inspectors' linking writes its inspection.linked entry, under the key the stage pinned.
    ("POST", "/api/v1/inspection/links"): Driver(
        Outcome.REFUSED,
        lambda s: s.api("inspector", "POST", "/api/v1/inspection/links", json=INSPECTION),
    ),
    ("POST", "/inspection"): Driver(
        Outcome.REFUSED,
        lambda s: s.page(
            "inspector",
            "/inspection",
            {"scope": "", "purpose": INSPECTION_PURPOSE, "inspection_key": encode_key(INSPECTION_KEY)},
        ),
    ),
    ("POST", "/admin/accounts"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "admin",
            "/admin/accounts",
            {"kind": "inspector", "full_name": "Aigul Sydykova", "email": "aigul@test.kg", "municipality": ""},
        ),
    ),
    ("POST", "/admin/accounts/{user_id:int}/deactivate"): Driver(
        Outcome.DONE, lambda s: s.page("admin", f"/admin/accounts/{s.world.user_ids['inspector_active']}/deactivate")
    ),
    ("POST", "/admin/accounts/{user_id:int}/reactivate"): Driver(
        Outcome.DONE, lambda s: s.page("admin", f"/admin/accounts/{s.world.user_ids['inspector_inactive']}/reactivate")
    ),
    ("POST", "/api/lots/{lot_id:int}/me/keys"): Driver(Outcome.REFUSED, lambda s: s.add_lot_key("bidder", "running")),
    ("POST", "/api/officer/lots/{lot_id:int}/bidders/{pseudonym:str}/key"): Driver(
        Outcome.REFUSED, lambda s: s.replace_key("bidder2", "running")
    ),
    ("POST", "/api/me/keys"): Driver(Outcome.DONE, lambda s: s.new_key_request("bidder")),
    ("POST", "/api/me/passkeys/options"): Driver(
        Outcome.DONE, lambda s: s.api("bidder", "POST", "/api/me/passkeys/options")
    ),
    ("POST", "/api/me/passkeys"): Driver(Outcome.DONE, lambda s: s.passkey("bidder")),
    ("DELETE", "/api/me/keys/{key_id:str}"): Driver(Outcome.DONE, lambda s: s.revoke_new_key("bidder")),
    # Watching is each account's own, no ledger matter: a watchlist and saved searches (a search of the bidder's).
    ("PUT", "/api/v1/me/watchlist/{lot_id:int}"): Driver(
        Outcome.DONE, lambda s: s.api("bidder", "PUT", f"/api/v1/me/watchlist/{s.lots['published']}")
    ),
    ("DELETE", "/api/v1/me/watchlist/{lot_id:int}"): Driver(
        Outcome.DONE, lambda s: s.api("bidder", "DELETE", f"/api/v1/me/watchlist/{s.lots['published']}")
    ),
    ("POST", "/api/v1/me/searches"): Driver(
        Outcome.DONE,
        lambda s: s.api("bidder", "POST", "/api/v1/me/searches", json={"name": "Sales", "filters": {"deal": "sale"}}),
    ),
    ("PATCH", "/api/v1/me/searches/{search_id:int}"): Driver(Outcome.DONE, lambda s: rename_search(s, via_api=True)),
    ("DELETE", "/api/v1/me/searches/{search_id:int}"): Driver(Outcome.DONE, lambda s: delete_search(s, via_api=True)),
    ("POST", "/lots/{lot_id:int}/watch"): Driver(
        Outcome.DONE, lambda s: s.page("bidder", f"/lots/{s.lots['published']}/watch", {"watch": "1"})
    ),
    ("POST", "/me/searches"): Driver(
        Outcome.DONE, lambda s: s.page("bidder", "/me/searches", {"deal": "lease", "max_price": "20000"})
    ),
    ("POST", "/me/searches/{search_id:int}/name"): Driver(Outcome.DONE, lambda s: rename_search(s, via_api=False)),
    ("POST", "/me/searches/{search_id:int}/delete"): Driver(Outcome.DONE, lambda s: delete_search(s, via_api=False)),
    ("POST", "/officer/lots/new"): Driver(
        Outcome.DONE, lambda s: s.page("officer_tokmok", "/officer/lots/new", lot_form("", **LATER_FORM))
    ),
    ("POST", "/officer/lots/{lot_id:int}/files"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "officer_tokmok",
            f"/officer/lots/{s.lots['draft']}/files",
            {"kind": "document"},
            files={"file": ("plan.pdf", PDF, "application/pdf")},
        ),
    ),
    # Notices, profile and password reset are no ledger matter: they are simply kept.
    ("POST", "/account/profile"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            "bidder", "/account/profile", {"language": "en", "channel.email": "on", "kind.bid.outbid": "on"}
        ),
    ),
    ("PUT", "/api/v1/me/notifications"): Driver(
        Outcome.DONE,
        lambda s: s.api(
            "bidder", "PUT", "/api/v1/me/notifications", json={"language": "en", "channels": ["email"], "kinds": []}
        ),
    ),
    ("POST", "/account/password-reset"): Driver(
        Outcome.DONE, lambda s: s.page(None, "/account/password-reset", {"email": "bidder@test.kg"})
    ),
    ("POST", "/account/password-reset/{token:str}"): Driver(Outcome.DONE, reset_password),
    ("POST", "/register"): Driver(
        Outcome.DONE,
        lambda s: s.page(
            None, "/register", {**REGISTRATION, "email": "page.bidder@test.kg", "identity_number": "21506198500098"}
        ),
    ),
    ("POST", "/login"): Driver(
        Outcome.DONE, lambda s: s.page(None, "/login", {"email": "bidder@test.kg", "password": PASSWORD})
    ),
    # The account's language is no ledger matter: it is simply kept.
    ("POST", "/language"): Driver(Outcome.DONE, lambda s: s.page("bidder", "/language", {"language": "en"})),
    ("POST", "/logout"): Driver(Outcome.DONE, lambda s: s.page("bidder", "/logout")),
    # After the logout, and as another bidder: these end the sessions a later page driver would still be using.
    ("POST", "/account/sessions/revoke-all"): Driver(
        Outcome.DONE, lambda s: s.page("bidder2", "/account/sessions/revoke-all")
    ),
    ("POST", "/api/v1/me/sessions/revoke-all"): Driver(
        Outcome.DONE, lambda s: s.api("bidder2", "POST", "/api/v1/me/sessions/revoke-all")
    ),
}


async def rename_search(stage: Stage, *, via_api: bool) -> None:
    search_id = await stage.own_search("bidder")
    if via_api:
        await stage.api("bidder", "PATCH", f"/api/v1/me/searches/{search_id}", json={"name": "Shops"})
    else:
        await stage.page("bidder", f"/me/searches/{search_id}/name", {"name": "Shops"})


async def delete_search(stage: Stage, *, via_api: bool) -> None:
    search_id = await stage.own_search("bidder")
    if via_api:
        await stage.api("bidder", "DELETE", f"/api/v1/me/searches/{search_id}")
    else:
        await stage.page("bidder", f"/me/searches/{search_id}/delete")


def test_every_state_changing_route_has_a_driver(tmp_path: Path) -> None:
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/never-opened.sqlite3",
        data_dir=tmp_path,
        secret_key="test-secret-key-with-enough-length-0123456789",
        ledger_signing_key=base64.b64encode(b"s" * 32).decode(),
        ledger_pseudonym_key=base64.b64encode(b"p" * 32).decode(),
        run_background_jobs=False,
    )
    routed = {
        (method, route.path)
        for route in create_app(settings).routes
        for handler in getattr(route, "route_handlers", [])
        for method in getattr(handler, "http_methods", set()) & STATE_CHANGING
    }
    assert routed - DRIVERS.keys() == set(), "state-changing routes with no driver in DRIVERS"
    assert DRIVERS.keys() - routed == set(), "drivers of routes the app no longer has"


async def build_stage(stage: Stage, auctioneer: Auctioneer) -> None:
    """Lots at every stage a driver needs, all at one moment: awarded, failed and sealed-closed lots, running
    auctions of each format, drafts, published lots and applications waiting for review."""
    client, world, now = stage.client, stage.world, stage.clock.now()
    stage.created_at = now
    # The notice the default rules ask for, then a weekday within working hours in Bishkek, a day before the kit's
    # own lots open (so those stay published): from START, Monday 22 June 2026 at noon.
    opens = now + timedelta(days=21)
    ending: dict[str, Any] = {
        "applications_close_at": (now + timedelta(days=20)).isoformat(),
        "bidding_opens_at": opens.isoformat(),
        "bidding_closes_at": (opens + timedelta(hours=1)).isoformat(),
    }
    running: dict[str, Any] = {**ending, "bidding_closes_at": (opens + timedelta(hours=5)).isoformat()}
    lots = stage.lots
    lots["awarded"] = await create_lot(client, world, **ending)
    lots["signed"] = await create_lot(client, world, **ending)  # its winner signs: the contract stage
    lots["failed"] = await create_lot(client, world, **ending)
    lots["sealed_closed"] = await sealed_lot(stage, "sealed_closed", **ending)
    lots["sealed_ready"] = await sealed_lot(stage, "sealed_ready", **ending)
    lots["running"] = await create_lot(client, world, **running)
    lots["descending"] = await create_lot(
        client, world, format="descending", floor_price=50_000_00, price_drop_interval_seconds=1800, **running
    )
    lots["sealed_running"] = await sealed_lot(stage, "sealed_running", **running)
    # A descending lot that opens later that afternoon, where two bidders accept within one price tick.
    tied_opens = opens + timedelta(hours=2)
    lots["tied"] = await create_lot(
        client,
        world,
        format="descending",
        floor_price=50_000_00,
        price_drop_interval_seconds=60,
        **{**ending, "bidding_opens_at": tied_opens.isoformat(), "bidding_closes_at": running["bidding_closes_at"]},
    )
    # Drafts are published by the drivers once the other lots have run: their schedule keeps the notice from then.
    later_deadline, later_opens, later_closes = kit_schedule(now + LATER)
    later: dict[str, Any] = {
        "applications_close_at": later_deadline.isoformat(),
        "bidding_opens_at": later_opens.isoformat(),
        "bidding_closes_at": later_closes.isoformat(),
    }
    lots["draft"] = await create_lot(client, world, publish=False, **later)
    lots["sealed_draft"] = await create_lot(client, world, publish=False, format="sealed_bid", **later)
    # Sealed drafts whose commission's ceremony waits for: publication, a key, a dealing, an acknowledgement.
    for name in ("sealed_draft", "ceremony_keys", "ceremony_dealing", "ceremony_ack"):
        if name != "sealed_draft":
            lots[name] = await create_lot(client, world, publish=False, format="sealed_bid", **later)
        stage.commissions[name] = ApiCommission(client, world, lots[name], ("officer_tokmok", "officer2_tokmok"))
    await stage.commissions["sealed_draft"].hold()
    await stage.commissions["ceremony_keys"].start()
    for name, kinds in (("ceremony_dealing", ("key",)), ("ceremony_ack", ("key", "dealing"))):
        await stage.commissions[name].start()
        for kind in kinds:
            for who in ("officer_tokmok", "officer2_tokmok"):
                await stage.ceremony_message(name, kind, who)
                response, _ = stage.sent.pop()
                assert response.status_code == 200, response.text
    lots["published"] = await create_lot(client, world, **later)
    for name in ("cancel_draft_api", "cancel_draft_page"):
        lots[name] = await create_lot(client, world, publish=False, **later)
    for name, asker in (
        ("ask_api", None),
        ("ask_page", None),
        ("to_cancel", "officer2_tokmok"),
        ("withdraw_api", "officer_tokmok"),
        ("withdraw_page", "officer_tokmok"),
    ):
        lots[name] = await create_lot(client, world, **later)
        if asker is not None:
            asked = await client.post(
                f"/api/v1/lots/{lots[name]}/cancellation", json={"reason": "Withdrawn."}, headers=world.auth(asker)
            )
            assert asked.status_code == 201, asked.text
    lots["applied"] = await create_lot(client, world, **later)
    await log_in(client, "officer_tokmok")
    lots["published_form"] = await officer_creates_a_lot(client, **LATER_FORM)
    published = await client.post(f"/api/v1/lots/{lots['published_form']}/publish", headers=auctioneer.officer)
    assert published.status_code == 200, published.text
    client.cookies.clear()
    for who in ("bidder", "bidder2"):
        stage.applications[who] = await auctioneer.apply(lots["applied"], who)
    for lot in (
        "awarded",
        "signed",
        "sealed_closed",
        "sealed_ready",
        "running",
        "descending",
        "sealed_running",
        "tied",
    ):
        await auctioneer.admit(lots[lot], "bidder", "bidder2")
    for who in ("bidder", "bidder2"):
        mine = (await client.get("/api/v1/me/applications", headers=world.auth(who))).json()
        by_lot = {application["lot_id"]: application["pseudonym"] for application in mine}
        for lot in ("sealed_closed", "sealed_ready", "sealed_running", "tied"):
            world.tokens[f"pseudonym:{lot}:{who}"] = by_lot[lots[lot]]
        stage.applications[f"signed:{who}"] = next(a["id"] for a in mine if a["lot_id"] == lots["signed"])
    world.tokens["key:sealed_running"] = (await client.get(f"/api/v1/lots/{lots['sealed_running']}/sealed/key")).json()[
        "public_key"
    ]
    await auctioneer.open(lots["awarded"])  # every lot of both schedules opens at this moment
    await auctioneer.bid(lots["awarded"], "bidder", 100_000_00)
    await auctioneer.bid(lots["awarded"], "bidder2", 110_000_00)
    await auctioneer.bid(lots["signed"], "bidder", 100_000_00)
    await auctioneer.bid(lots["signed"], "bidder2", 110_000_00)
    await stage.seal("sealed_closed", "bidder", 150_000_00)
    await stage.seal("sealed_closed", "bidder2", 140_000_00)
    await stage.seal("sealed_ready", "bidder", 150_000_00)
    await stage.seal("sealed_running", "bidder", 120_000_00)
    await auctioneer.close(lots["awarded"])
    drive = auctioneer.drive
    await drive.sign_award(lots["signed"], "bidder2")
    # Two acceptances within the tied lot's first price tick: at the tick's end its five-minute run-off opens.
    await drive.open(lots["tied"])
    await drive.accept(lots["tied"], "bidder")
    await drive.accept(lots["tied"], "bidder2")
    await drive.live_until(stage.clock.now() + timedelta(seconds=61))
    async with transaction(stage.sessions) as session:
        ledger = LedgerWriter(session, world.keys, world.clock)
        await InspectionService(session, ledger).pin(INSPECTION_KEY)
    # Staff accounts the administrator deactivates and brings back.
    await world._person("inspector_active", Role.INSPECTOR, None, {})
    await world._person("inspector_inactive", Role.INSPECTOR, None, {})
    async with transaction(stage.sessions) as session:
        inactive = await session.get(User, world.user_ids["inspector_inactive"])
        assert inactive is not None
        inactive.is_active = False
    states = {name: (await auctioneer.terms(lot_id))["state"] for name, lot_id in lots.items()}
    assert states == {
        "awarded": "awarded",
        "signed": "awarded",
        "tied": "closed",  # its run-off is open
        "failed": "failed",
        "sealed_closed": "closed",
        "sealed_ready": "closed",
        "ceremony_keys": "draft",
        "ceremony_dealing": "draft",
        "ceremony_ack": "draft",
        "running": "bidding",
        "descending": "bidding",
        "sealed_running": "bidding",
        "draft": "draft",
        "sealed_draft": "draft",
        "published": "published",
        "applied": "published",
        "published_form": "published",
        "cancel_draft_api": "draft",
        "cancel_draft_page": "draft",
        "ask_api": "published",
        "ask_page": "published",
        "to_cancel": "published",
        "withdraw_api": "published",
        "withdraw_page": "published",
    }
    await auctioneer.tick()
    # The closed lot has one member's shares, the ready one both: it waits for the officer (or the scheduler's
    # next tick, which these tests do not run) to open it.
    for lot, members in (
        ("sealed_closed", ("officer_tokmok",)),
        ("sealed_ready", ("officer_tokmok", "officer2_tokmok")),
    ):
        for who in members:
            await stage.share(lot, who)
            response, _ = stage.sent.pop()
            assert response.status_code == 200, response.text
    await auctioneer.drive.integrate()  # every body integrated, so "nothing changed" includes the ledger's tables


async def sealed_lot(stage: Stage, name: str, **terms: Any) -> int:
    lot_id = await create_lot(stage.client, stage.world, publish=False, format="sealed_bid", **terms)
    commission = ApiCommission(stage.client, stage.world, lot_id, ("officer_tokmok", "officer2_tokmok"))
    await commission.publish()
    stage.commissions[name] = commission
    return lot_id


async def test_a_request_the_ledger_refuses_keeps_nothing(
    client: Client,
    world: World,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    stage = Stage(client, world, clock, sessions)
    await build_stage(stage, Auctioneer(client, world, clock, sessions, settings))
    client.app.state.settings.ledger_backlog_limit = 0

    problems = []
    # Those that succeed change the world, so they go last: every refusal is tried on the world as built.
    for (method, path), driver in sorted(DRIVERS.items(), key=lambda item: item[1].outcome != Outcome.REFUSED):
        await driver.send(stage)
        response, changes = stage.sent.pop()
        done = 200 <= response.status_code < 400
        if not done and changes:
            problems.append(f"{method} {path}: {response.status_code} yet changed {changes}")
        if driver.outcome == Outcome.REFUSED and (done or not shows_the_ledgers_refusal(response)):
            problems.append(
                f"{method} {path}: expected the ledger's refusal, got {response.status_code}: {response.text[:200]}"
            )
        if driver.outcome == Outcome.DONE and not done:
            problems.append(f"{method} {path}: expected success, got {response.status_code}: {response.text[:300]}")
    assert problems == []
