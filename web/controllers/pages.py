"""Server-rendered pages: the catalog, a lot, and logging in and out."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter, URLEncodedBody
from litestar.response import Redirect, Template
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.accounts.service import AccountService
from auction.errors import NotAuthenticated, TooManyAttempts
from auction.lots.service import LotFilter, LotService
from web.controllers.api_accounts import authenticate_and_record


class CatalogPages(Controller):
    @get("/", name="catalog")
    async def catalog(
        self,
        lot_service: NamedDependency[LotService],
        web_user: NamedDependency[User | None],
        q: Annotated[str | None, QueryParameter(max_length=200)] = None,
        cursor: Annotated[str | None, QueryParameter(max_length=100)] = None,
    ) -> Template:
        lots, next_cursor = await lot_service.browse(LotFilter(text=q), limit=24, cursor=cursor)
        return Template(
            "catalog/index.html.jinja2",
            context={"lots": lots, "next_cursor": next_cursor, "q": q, "user": web_user},
        )

    @get("/lots/{lot_id:int}", name="lot")
    async def lot(
        self,
        lot_id: FromPath[int],
        lot_service: NamedDependency[LotService],
        web_user: NamedDependency[User | None],
    ) -> Template:
        lot = await lot_service.get(lot_id, viewer=web_user)
        files = await lot_service.files(lot_id)
        return Template("catalog/lot.html.jinja2", context={"lot": lot, "files": files, "user": web_user})


class SessionPages(Controller):
    @get("/login", name="login")
    async def login_form(self, web_user: NamedDependency[User | None]) -> Template:
        return Template("account/login.html.jinja2", context={"user": web_user})

    @post("/login", opt={"login": True}, status_code=303)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: URLEncodedBody[dict[str, str]],
        account_service: NamedDependency[AccountService],
        db_session: NamedDependency[AsyncSession],
    ) -> Template | Redirect:
        email = data.get("email", "").strip()
        try:
            user = await authenticate_and_record(account_service, db_session, email, data.get("password", ""))
        except (NotAuthenticated, TooManyAttempts) as refused:
            return Template(
                "account/login.html.jinja2",
                context={"error": refused.message, "email": email, "user": None},
                status_code=401 if isinstance(refused, NotAuthenticated) else 429,
            )
        request.set_session({"user_id": user.id})
        return Redirect("/", status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/", status_code=303)


PAGE_CONTROLLERS = (CatalogPages, SessionPages)
