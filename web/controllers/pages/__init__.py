"""The website's pages, under one router that gives them htmx-aware requests and the reader's language."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest

from web.bidding_desk import provide_bidding_desk
from web.controllers.pages.bidding import BiddingPages
from web.controllers.pages.catalog import CatalogPages
from web.controllers.pages.ledger import LedgerDesk
from web.controllers.pages.lots import LotPages
from web.controllers.pages.my_account import MyPages
from web.controllers.pages.officer import OfficerConsole
from web.controllers.pages.officer_auction import OfficerAuctionPages
from web.controllers.pages.registration import RegistrationPages
from web.controllers.pages.session import SessionPages
from web.i18n.negotiation import RememberLanguage
from web.officer_desk import provide_officer_desk
from web.visitor import provide_visitor

PAGES = Router(
    path="/",
    route_handlers=[
        CatalogPages,
        LotPages,
        BiddingPages,
        MyPages,
        SessionPages,
        RegistrationPages,
        OfficerConsole,
        OfficerAuctionPages,
        LedgerDesk,
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

PAGE_CONTROLLERS = (PAGES,)
