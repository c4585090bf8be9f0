"""The account's notice choices over the API (the same as /account/profile)."""

from __future__ import annotations

from litestar import Controller, get, put
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from auction.accounts.models import User
from auction.clock import Clock
from auction.errors import NotAuthenticated
from auction.notifications.preferences import Choices, PreferenceService
from web.lib.error_schemas import api_errors
from web.lib.guards import identified
from web.notifications.schemas import NotificationChoices, NotificationChoicesOut

ME = api_errors(401)
CHOOSE = api_errors(401, 422)


def choices_out(choices: Choices) -> NotificationChoicesOut:
    return NotificationChoicesOut.model_validate(
        {
            "language": choices.language,
            "channels": choices.channels,
            "kinds": choices.kinds,
            "phone": choices.phone,
            "telegram": choices.telegram,
            "choosable": choices.choosable,
        }
    )


class NotificationApi(Controller):
    path = "/api/v1/me/notifications"
    tags = ["accounts"]  # noqa: RUF012
    guards = [identified]  # noqa: RUF012

    @get("/", summary="What the account is told, where and in which language", responses=ME)
    async def choices(
        self,
        api_user: NamedDependency[User | None],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> NotificationChoicesOut:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        return choices_out(await PreferenceService(db_session, clock).of(api_user))

    @put("/", summary="Choose what the account is told, where and in which language", responses=CHOOSE)
    async def choose(
        self,
        data: JSONBody[NotificationChoices],
        api_user: NamedDependency[User | None],
        db_session: NamedDependency[AsyncSession],
        clock: NamedDependency[Clock],
    ) -> NotificationChoicesOut:
        if api_user is None:
            raise NotAuthenticated("auth.bearer_required")
        chosen = await PreferenceService(db_session, clock).choose(
            api_user,
            language=data.language,
            channels=list(data.channels),
            kinds=list(data.kinds),
            phone=data.phone,
            telegram=data.telegram,
        )
        return choices_out(chosen)
