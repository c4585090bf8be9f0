"""The website's pages, under one router that gives them htmx-aware requests and the reader's language."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide
from litestar.plugins.htmx import HTMXRequest

from web.accounts.pages import SessionPages
from web.accounts.registration_pages import RegistrationPages
from web.bidding.my_pages import MyPages
from web.bidding.pages import BiddingPages
from web.bidding.views import provide_bidding_desk
from web.catalog.pages import CatalogPages
from web.ledger.pages import LedgerDesk
from web.lib.i18n.negotiation import RememberLanguage
from web.lib.visitor import provide_visitor
from web.lots.pages import LotPages
from web.officer.auction_pages import OfficerAuctionPages
from web.officer.pages import OfficerConsole
from web.officer.views import provide_officer_desk

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
