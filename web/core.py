"""The whole application as one Litestar plugin: every slice's controllers, the dependencies, error mapping,
server-side sessions with CSRF (web.lib.sessions), templates, OpenAPI and the background jobs.

``create_app()`` only builds ``Litestar(plugins=[AchykCore(settings, clock)])``: everything that makes the app
what it is lives here, in one place a reader can take in, and a test or a host can compose it the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request, Router
from litestar.config.app import AppConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException, InternalServerException
from litestar.openapi import OpenAPIConfig
from litestar.plugins import InitPluginProtocol
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ExceptionHandlersMap

from auction.accounts.throttle import Throttle
from auction.accounts.throttle_rules import device_key
from auction.clock import Clock
from auction.db.engine import make_engine, make_sessionmaker
from auction.db.outage import OUTAGE_TYPES, RETRY_AFTER_SECONDS, is_outage
from auction.errors import DomainError
from auction.keyring.rules import KeysDisagree
from auction.ledger.published_verifier import build_verifier_file, record_verifier_published
from auction.ledger.release import record_release_scripts
from auction.ledger.witness_config import witness_config
from auction.ledger.witness_policy import record_witness_policy
from auction.operations.release import release_version
from auction.settings import Settings
from auction.statistics.service import StoryCache
from web.accounts.api import AccountApi
from web.accounts.language_pages import LanguagePages
from web.accounts.pages import SessionPages
from web.accounts.registration_pages import RegistrationPages
from web.accounts.reset_pages import PasswordResetPages
from web.admin.api import AdminLogApi
from web.admin.log_pages import AdminLogPages
from web.admin.pages import AdminConsole
from web.bidding.api import BiddingApi
from web.bidding.commission_api import CommissionApi
from web.bidding.keys_api import KeysApi
from web.bidding.live_hub import live_hub
from web.bidding.my_pages import KeyPages, MyPages
from web.bidding.pages import BiddingPages
from web.bidding.protocol_api import ProtocolApi
from web.bidding.protocol_pages import ProtocolPages
from web.bidding.views import provide_bidding_desk
from web.catalog.pages import CatalogPages
from web.contracts.pages import ContractPages
from web.help.pages import HelpPages
from web.keyring.startup import refuse_in_lifespan
from web.ledger.api import LedgerApi
from web.ledger.pages import LedgerDesk
from web.lib import deps
from web.lib.errors import (
    handle_domain_error,
    handle_http_error,
    handle_unexpected,
    outage_refusal,
)
from web.lib.i18n.negotiation import RememberLanguage
from web.lib.input_bounds import InputBounds
from web.lib.jobs import background_jobs
from web.lib.log_redaction import logging_config
from web.lib.rendering import handle_page_error, is_page_request
from web.lib.replica import replica_engine
from web.lib.security_headers import SecurityHeaders, security_headers
from web.lib.sessions import ServerSessions
from web.lib.static_integrity import StaticIntegrity
from web.lib.templating import configure_jinja
from web.lib.throttle import throttle_by_address
from web.lib.unit_of_work import UnitOfWork
from web.lib.visitor import provide_visitor
from web.lots.api import LotApi
from web.lots.pages import LotPages
from web.municipalities.api import MunicipalityApi
from web.municipalities.pages import MunicipalityPages
from web.notifications.api import NotificationApi
from web.notifications.pages import ProfilePages
from web.officer.auction_pages import OfficerAuctionPages
from web.officer.commission_pages import CommissionPages
from web.officer.pages import OfficerConsole
from web.officer.views import provide_officer_desk
from web.opendata.api import OpenDataApi
from web.operations.api import HealthApi
from web.redflags.api import RedFlagApi
from web.redflags.inspection_api import InspectionApi
from web.redflags.inspection_pages import InspectionPages
from web.redflags.pages import RedFlagPages
from web.statistics.api import StatisticsApi
from web.statistics.pages import StatisticsPages
from web.statistics.views import STORY_CACHE
from web.watching.api import WatchApi
from web.watching.pages import WatchPages

log = logging.getLogger(__name__)
WEB = Path(__file__).parent

API_CONTROLLERS = (
    LotApi,
    AccountApi,
    MunicipalityApi,
    LedgerApi,
    BiddingApi,
    CommissionApi,
    KeysApi,
    AdminLogApi,
    ProtocolApi,
    HealthApi,
    WatchApi,
    NotificationApi,
    OpenDataApi,
    StatisticsApi,
    InspectionApi,
    RedFlagApi,
)

# The website's pages, under one router that gives them htmx-aware requests and the reader's language.
PAGES = Router(
    path="/",
    route_handlers=[
        CatalogPages,
        HelpPages,
        MunicipalityPages,
        LotPages,
        BiddingPages,
        MyPages,
        KeyPages,
        ProtocolPages,
        SessionPages,
        LanguagePages,
        RegistrationPages,
        PasswordResetPages,
        ProfilePages,
        OfficerConsole,
        OfficerAuctionPages,
        CommissionPages,
        ContractPages,
        InspectionPages,
        LedgerDesk,
        AdminConsole,
        AdminLogPages,
        WatchPages,
        StatisticsPages,
        RedFlagPages,
    ],
    request_class=HTMXRequest,
    middleware=[RememberLanguage()],
    dependencies={
        "visitor": Provide(provide_visitor, sync_to_thread=False),
        "bidding_desk": Provide(provide_bidding_desk, sync_to_thread=False),
        "officer_desk": Provide(provide_officer_desk, sync_to_thread=False),
    },
    include_in_schema=False,
)

DEPENDENCIES = {
    "clock": Provide(deps.provide_clock, sync_to_thread=False),
    "settings": Provide(deps.provide_settings, sync_to_thread=False),
    "account_service": Provide(deps.provide_account_service, sync_to_thread=False),
    "web_session_service": Provide(deps.provide_web_session_service, sync_to_thread=False),
    "municipality_service": Provide(deps.provide_municipality_service, sync_to_thread=False),
    "ledger_keys": Provide(deps.provide_ledger_keys, sync_to_thread=False),
    "witness_config": Provide(deps.provide_witness_config, sync_to_thread=False),
    "ledger_writer": Provide(deps.provide_ledger_writer, sync_to_thread=False),
    "ledger_reader": Provide(deps.provide_ledger_reader, sync_to_thread=False),
    "lot_service": Provide(deps.provide_lot_service, sync_to_thread=False),
    "participation_service": Provide(deps.provide_participation_service, sync_to_thread=False),
    "cancellation_service": Provide(deps.provide_cancellation_service, sync_to_thread=False),
    "auction_service": Provide(deps.provide_auction_service, sync_to_thread=False),
    "live_auctions": Provide(deps.provide_live_auctions, sync_to_thread=False),
    "award_service": Provide(deps.provide_award_service, sync_to_thread=False),
    "contract_service": Provide(deps.provide_contract_service, sync_to_thread=False),
    "deposit_service": Provide(deps.provide_deposit_service, sync_to_thread=False),
    "protocol_service": Provide(deps.provide_protocol_service, sync_to_thread=False),
    "sealed_lot_service": Provide(deps.provide_sealed_lot_service, sync_to_thread=False),
    "key_service": Provide(deps.provide_key_service, sync_to_thread=False),
    "passkey_service": Provide(deps.provide_passkey_service, sync_to_thread=False),
    "watch_service": Provide(deps.provide_watch_service, sync_to_thread=False),
    "api_user": Provide(deps.provide_api_user),
    "key_user": Provide(deps.provide_key_user),
    "web_user": Provide(deps.provide_web_user),
}


class AchykCore(InitPluginProtocol):
    """Composes the app from the slices; settings and the clock are given once, so tests can pass their own."""

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.secret_key = ""  # resolved when the app is built, checked against the deployment's when it starts

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = self.settings
        secret = settings.resolved_secret_key()
        keys = settings.ledger_keys()
        self.secret_key = secret

        app_config.route_handlers.extend(
            [*API_CONTROLLERS, PAGES, create_static_files_router(path="/static", directories=[WEB / "static"])]
        )
        app_config.lifespan.extend([self._database, replica_engine])
        # Hashed once, from the files this process will serve: pages name them, the ledger records them.
        integrity = StaticIntegrity.of_directory(WEB / "static")
        app_config.state.update(
            State(
                {
                    "settings": settings,
                    "clock": self.clock,
                    "ledger_keys": keys,
                    "static_integrity": integrity,
                    # Built once from the installed sources; the ledger records its hash (verifier.published).
                    "verifier_file": build_verifier_file(release_version()),
                    "witness_config": witness_config(settings),
                    "trusted_proxies": settings.trusted_proxy_networks(),
                    "device_key": device_key(secret),
                    # The statistics' lot stories, by signed ledger size: one cache per app, as per database.
                    STORY_CACHE: StoryCache(),
                }
            )
        )
        app_config.dependencies.update(DEPENDENCIES)
        app_config.before_send.append(SecurityHeaders(security_headers(settings, integrity.import_map_text)))
        # Login and registration are limited per client address in the database, not in this process's memory.
        app_config.guards.append(throttle_by_address)
        app_config.before_request = refuse_until_keys_checked
        handlers: ExceptionHandlersMap = {DomainError: on_domain_error, HTTPException: on_http_error}
        # A database outage is a 503 even in debug; anything else unexpected keeps debug's traceback page.
        handlers.update(dict.fromkeys(OUTAGE_TYPES, on_unexpected))
        if not settings.debug:
            handlers[Exception] = on_unexpected
        app_config.exception_handlers.update(handlers)
        # Bounds first: the session's CSRF check reads a form body, and only the outer one may read it from the
        # client (the inner one would wait for a body already consumed); nothing parses a body before its bounds.
        app_config.middleware.extend(
            [
                InputBounds(answer_error=on_domain_error),
                ServerSessions(settings),
            ]
        )
        app_config.template_config = TemplateConfig(
            directory=WEB / "templates", engine=JinjaTemplateEngine, engine_callback=configure_jinja
        )
        app_config.openapi_config = OpenAPIConfig(
            title="Achyk API",
            version="1",
            description="Open auctions for municipal property. Money is integer tyiyn; times are UTC.",
            path="/schema",
        )
        # Every 5xx leaves its traceback in the log, in production too; refusals (4xx) do not; secrets are redacted.
        app_config.logging_config = logging_config()
        app_config.debug = settings.debug
        # Last, so that its middleware is the outermost: it settles the request's transaction on the final status.
        return UnitOfWork(answer_error=on_domain_error).on_app_init(app_config)

    @asynccontextmanager
    async def _database(self, app: Litestar) -> AsyncIterator[None]:
        """One engine per process for the app's lifetime, and the background jobs that share it."""
        engine = make_engine(self.settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        # Throttle hits commit in transactions of their own, apart from the request's unit of work.
        app.state.throttle = Throttle(make_sessionmaker(engine), self.clock)
        late: asyncio.Task[None] | None = None
        keys_checked = asyncio.Event()
        app.state.keys_checked = keys_checked
        try:
            try:
                # Before anything is signed: a host with keys of its own would fork the ledger (web.keyring.startup).
                await refuse_in_lifespan(app.state.sessions, self.secret_key, app.state.ledger_keys, self.clock.now())
                keys_checked.set()
                if self.settings.run_background_jobs:
                    await self._record_platform(app)
            except Exception as exc:
                # A worker replaced during a database outage must start and answer 503s, not stop the server; but it
                # serves nothing and signs nothing until its keys pass the check (refuse_until_keys_checked).
                if not is_outage(exc):
                    raise
                log.warning("database unreachable at start-up; keys are checked and entries logged once it is back")
                late = asyncio.create_task(self._start_when_back(app, keys_checked))
            async with (
                background_jobs(
                    app.state.sessions, self.settings, self.clock, app.state.ledger_keys, ready=keys_checked
                ),
                # One LISTEN connection for the process's live streams (none on SQLite, whose streams poll).
                live_hub(self.settings.resolved_database_url, app.state.sessions, self.clock) as hub,
            ):
                app.state.live_hub = hub
                yield
        finally:
            if late is not None:
                late.cancel()
                await asyncio.gather(late, return_exceptions=True)
            await engine.dispose()

    async def _record_platform(self, app: Litestar) -> None:
        # Every serving process checks; the first one to see a new set of scripts logs it.
        await record_release_scripts(
            app.state.sessions,
            app.state.ledger_keys,
            self.clock,
            release_version(),
            app.state.static_integrity.scripts,
            max_merge_delay_seconds=self.settings.ledger_max_merge_delay_seconds,
        )
        # Likewise the offline verifier the desk offers for download: its hash is in the ledger before anyone checks it.
        await record_verifier_published(
            app.state.sessions,
            app.state.ledger_keys,
            self.clock,
            app.state.verifier_file,
            max_merge_delay_seconds=self.settings.ledger_max_merge_delay_seconds,
        )
        # Likewise the witnesses: whoever changes them, the ledger says so (docs/witnesses.md §4).
        await record_witness_policy(
            app.state.sessions,
            app.state.ledger_keys,
            self.clock,
            app.state.witness_config,
            max_merge_delay_seconds=self.settings.ledger_max_merge_delay_seconds,
        )

    async def _start_when_back(self, app: Litestar, keys_checked: asyncio.Event) -> None:
        """After a start during an outage: check the keys, then log the platform entries, once the database is back.

        Keys that disagree leave the host refusing every request (503) and signing nothing; the log says why, as
        ``auction serve`` would have at start-up.
        """
        while True:
            await asyncio.sleep(RETRY_AFTER_SECONDS)
            try:
                if not keys_checked.is_set():
                    await refuse_in_lifespan(
                        app.state.sessions, self.secret_key, app.state.ledger_keys, self.clock.now()
                    )
                    keys_checked.set()
                if self.settings.run_background_jobs:
                    await self._record_platform(app)
            except KeysDisagree:
                log.exception("this host's keys disagree with the deployment's; it serves nothing")
                return
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("starting after the outage failed")
                    return
            else:
                return


async def refuse_until_keys_checked(request: Request[Any, Any, Any]) -> None:
    """Until this host's keys passed the start-up check (delayed by an outage), it answers 503 to everything.

    A coroutine although it awaits nothing: Litestar runs a plain function hook in a worker thread, a thread hop
    on every request."""
    checked: asyncio.Event | None = request.app.state.get("keys_checked")
    if checked is not None and not checked.is_set():
        raise outage_refusal()


def request_body_limit(settings: Settings) -> int:
    """The largest request body: the largest upload, with room for the form's other fields and its boundaries."""
    return settings.upload_max_bytes + 64 * 1024


def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Any:
    """A refusal becomes a page for people and the JSON error shape for API clients."""
    return handle_page_error(request, exc) if is_page_request(request) else handle_domain_error(request, exc)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
    return handle_page_error(request, exc) if is_page_request(request) else handle_http_error(request, exc)


def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Any:
    """A database outage is a 503 with Retry-After; anything else a 500. Pages in the visitor's language."""
    if is_outage(exc):
        return on_domain_error(request, outage_refusal())
    return (
        handle_page_error(request, InternalServerException())
        if is_page_request(request)
        else handle_unexpected(request, exc)
    )
