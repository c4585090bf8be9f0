"""Dependency providers: the clock, the caller, and the services."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.accounts.web_sessions import WebSessionService
from auction.bidding.auction import AuctionService
from auction.bidding.awards import AwardService
from auction.bidding.cancellation import CancellationService
from auction.bidding.deposits import DepositService
from auction.bidding.keys import KeyService
from auction.bidding.live import LiveAuctions
from auction.bidding.opening import SealedLotService
from auction.bidding.participation import Applications, ParticipationService
from auction.bidding.passkeys import PasskeyService, RelyingParty
from auction.bidding.results_protocol import ProtocolService
from auction.clock import Clock
from auction.contracts.service import ContractService
from auction.errors import NotAuthenticated, PermissionDenied
from auction.ledger.admission import LedgerWriter
from auction.ledger.keys import LedgerKeys
from auction.ledger.queries import LedgerReader
from auction.ledger.witness_config import WitnessConfig
from auction.lots.service import LotService
from auction.municipalities.service import MunicipalityService
from auction.settings import Settings
from auction.watching.service import WatchService
from web.lib.guards import CALLER
from web.lib.sessions import csrf_header_ok, session_limits


def provide_clock(state: State) -> Clock:
    clock: Clock = state.clock
    return clock


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


def provide_account_service(
    state: State,
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    settings: NamedDependency[Settings],
) -> AccountService:
    return AccountService(
        db_session,
        clock,
        throttle=state.throttle,
        max_failures=settings.login_max_failures,
        max_unknown_device_failures=settings.login_max_unknown_device_failures,
        lockout_seconds=settings.login_lockout_seconds,
    )


def provide_web_session_service(
    db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> WebSessionService:
    return WebSessionService(db_session, clock, session_limits(settings))


def provide_ledger_keys(state: State) -> LedgerKeys:
    keys: LedgerKeys = state.ledger_keys
    return keys


def provide_ledger_writer(db_session: NamedDependency[AsyncSession], state: State) -> LedgerWriter:
    return ledger_writer_on(db_session, state)


def ledger_writer_on(session: AsyncSession, state: State) -> LedgerWriter:
    """The ledger writer on ``session``, from the per-deployment constants built once at start-up (web.core): the
    keys, the clock, the settings and the witnesses (parsed once, not per request). Read from the app's state
    rather than asked of the dependency injector, which resolves sibling dependencies in a task group of their own
    per request."""
    settings: Settings = state.settings
    return LedgerWriter(
        session,
        state.ledger_keys,
        state.clock,
        backlog_limit=settings.ledger_backlog_limit,
        max_merge_delay_seconds=settings.ledger_max_merge_delay_seconds,
        witnesses=state.witness_config,
    )


def provide_witness_config(state: State) -> WitnessConfig:
    config: WitnessConfig = state.witness_config
    return config


def provide_ledger_reader(
    db_session: NamedDependency[AsyncSession],
    ledger_keys: NamedDependency[LedgerKeys],
    witness_config: NamedDependency[WitnessConfig],
) -> LedgerReader:
    return LedgerReader(db_session, ledger_keys, witness_config)


def provide_lot_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> LotService:
    return LotService(db_session, clock, ledger_writer, applications=Applications(db_session))


async def provide_api_user(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> User | None:
    """The API caller, identified only by a bearer token: API routes never trust cookies, so need no CSRF."""
    known: User | None = request.scope.get("state", {}).get(CALLER)
    if known is not None:
        return known  # the ``identified`` guard has looked the token up already, in this same session
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    user = await account_service.user_for_token(token.strip())
    if user is None:
        raise NotAuthenticated("auth.token_unknown")
    return user


async def provide_web_user(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> User | None:
    """The website visitor, identified by the server-side session (web.lib.sessions)."""
    user_id = request.session.get("user_id") if request.scope.get("session") is not None else None
    if not isinstance(user_id, int):
        return None
    user = await account_service.get(user_id)
    return user if user is not None and user.is_active else None


def provide_cancellation_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> CancellationService:
    return CancellationService(db_session, clock, ledger_writer)


def provide_participation_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> ParticipationService:
    return ParticipationService(db_session, clock, ledger_writer)


def provide_auction_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> AuctionService:
    return AuctionService(db_session, clock, ledger_writer)


def provide_award_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> AwardService:
    return AwardService(db_session, clock, ledger_writer)


def provide_contract_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> ContractService:
    return ContractService(db_session, clock, ledger_writer)


def provide_deposit_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> DepositService:
    return DepositService(db_session, clock, ledger_writer)


def provide_protocol_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> ProtocolService:
    return ProtocolService(db_session, clock, ledger_writer)


def provide_sealed_lot_service(
    db_session: NamedDependency[AsyncSession],
    clock: NamedDependency[Clock],
    ledger_writer: NamedDependency[LedgerWriter],
) -> SealedLotService:
    return SealedLotService(db_session, clock, ledger_writer)


def provide_municipality_service(db_session: NamedDependency[AsyncSession]) -> MunicipalityService:
    return MunicipalityService(db_session)


def provide_live_auctions(db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]) -> LiveAuctions:
    return LiveAuctions(db_session, clock)


def provide_key_service(db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]) -> KeyService:
    return KeyService(db_session, clock)


def provide_passkey_service(
    db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock], settings: NamedDependency[Settings]
) -> PasskeyService:
    party = RelyingParty(rp_id=settings.webauthn_rp_id, origin=settings.resolved_webauthn_origin)
    return PasskeyService(db_session, clock, party)


async def provide_key_user(
    request: Request[Any, Any, Any], account_service: NamedDependency[AccountService]
) -> User | None:
    """The caller of the key routes: an API client by its bearer token, or the logged-in browser (whose
    passkeys these routes make) by its session cookie, which then must carry the CSRF header on every change."""
    api_user = await provide_api_user(request, account_service)
    if api_user is not None:
        return api_user
    user = await provide_web_user(request, account_service)
    if user is not None and request.method not in {"GET", "HEAD", "OPTIONS"} and not csrf_header_ok(request):
        raise PermissionDenied("auth.csrf_header_missing")
    return user


def provide_watch_service(db_session: NamedDependency[AsyncSession], clock: NamedDependency[Clock]) -> WatchService:
    return WatchService(db_session, clock)
