"""The Litestar application factory: composition of controllers, dependencies, security and templates."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import Litestar, Request
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import StructLoggingConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi import OpenAPIConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from auction.clock import Clock, SystemClock
from auction.db.engine import make_engine, make_sessionmaker
from auction.errors import DomainError
from auction.settings import Settings, get_settings
from web import deps
from web.controllers.api_accounts import AccountApi
from web.controllers.api_bidding import BiddingApi
from web.controllers.api_ledger import LedgerApi
from web.controllers.api_lots import LotApi
from web.controllers.api_municipalities import MunicipalityApi
from web.controllers.pages import PAGE_CONTROLLERS
from web.errors import handle_domain_error, handle_http_error, handle_unexpected
from web.jobs import background_jobs
from web.lib.unit_of_work import UnitOfWork
from web.pages import handle_page_error, is_page_request
from web.templating import configure_jinja

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """Build the app; tests pass their own settings and a controllable clock."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    secret = settings.resolved_secret_key()
    keys = settings.ledger_keys()

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        engine = make_engine(settings.resolved_database_url)
        app.state.engine = engine
        app.state.sessions = make_sessionmaker(engine)
        try:
            async with background_jobs(app.state.sessions, settings, clock, keys):
                yield
        finally:
            await engine.dispose()

    def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Any:
        return handle_page_error(request, exc) if is_page_request(request) else handle_domain_error(request, exc)

    def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Any:
        return handle_page_error(request, exc) if is_page_request(request) else handle_http_error(request, exc)

    return Litestar(
        route_handlers=[
            LotApi,
            AccountApi,
            MunicipalityApi,
            LedgerApi,
            BiddingApi,
            *PAGE_CONTROLLERS,
            create_static_files_router(path="/static", directories=[HERE / "static"]),
        ],
        lifespan=[database],
        plugins=[UnitOfWork(answer_error=on_domain_error)],
        state=State({"settings": settings, "clock": clock, "ledger_keys": keys}),
        dependencies={
            "clock": Provide(deps.provide_clock, sync_to_thread=False),
            "settings": Provide(deps.provide_settings, sync_to_thread=False),
            "account_service": Provide(deps.provide_account_service, sync_to_thread=False),
            "ledger_keys": Provide(deps.provide_ledger_keys, sync_to_thread=False),
            "ledger_writer": Provide(deps.provide_ledger_writer, sync_to_thread=False),
            "ledger_reader": Provide(deps.provide_ledger_reader, sync_to_thread=False),
            "lot_service": Provide(deps.provide_lot_service, sync_to_thread=False),
            "participation_service": Provide(deps.provide_participation_service, sync_to_thread=False),
            "auction_service": Provide(deps.provide_auction_service, sync_to_thread=False),
            "award_service": Provide(deps.provide_award_service, sync_to_thread=False),
            "sealed_lot_service": Provide(deps.provide_sealed_lot_service, sync_to_thread=False),
            "api_user": Provide(deps.provide_api_user),
            "web_user": Provide(deps.provide_web_user),
        },
        exception_handlers={
            DomainError: on_domain_error,
            HTTPException: on_http_error,
            **({} if settings.debug else {Exception: handle_unexpected}),
        },
        middleware=[
            CookieBackendConfig(
                secret=hashlib.sha256(secret.encode()).digest(),
                key="achyk_session",
                secure=settings.secure_cookies,
                httponly=True,
                samesite="lax",
                max_age=12 * 3600,
            ).middleware,
            RateLimitConfig(
                rate_limit=("minute", 30),
                check_throttle_handler=lambda request: bool(request.route_handler.opt.get("login")),
            ).middleware,
        ],
        # API clients authenticate with bearer tokens only, which a cross-site form cannot send.
        csrf_config=CSRFConfig(
            secret=secret, cookie_secure=settings.secure_cookies, cookie_httponly=False, exclude=["/api/"]
        ),
        template_config=TemplateConfig(
            directory=HERE / "templates", engine=JinjaTemplateEngine, engine_callback=configure_jinja
        ),
        openapi_config=OpenAPIConfig(
            title="Achyk API",
            version="1",
            description="Open auctions for municipal property. Money is integer tyiyn; times are UTC.",
            path="/schema",
        ),
        logging_config=StructLoggingConfig(log_exceptions="always" if settings.debug else "debug"),
        request_max_body_size=settings.upload_max_bytes + 64 * 1024,
        debug=settings.debug,
    )
