"""The notice choices as the API reads and writes them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Language = Literal["ky", "ru", "en"]
ChannelName = Literal["email", "sms", "telegram"]


class NotificationChoices(BaseModel):
    """What the account is told, where, and in which language."""

    model_config = ConfigDict(extra="forbid")

    language: Language = Field(description="The language of the site and of every notice to the account.")
    channels: list[ChannelName] = Field(description="Where notices go: e-mail, SMS (needs phone), Telegram.")
    kinds: list[Annotated[str, StringConstraints(max_length=40)]] = Field(
        max_length=40, description="The notice kinds switched on; the others (of `choosable`) are off."
    )
    phone: Annotated[str, StringConstraints(max_length=20)] = ""
    telegram: Annotated[str, StringConstraints(max_length=64)] = ""


class NotificationChoicesOut(NotificationChoices):
    choosable: list[str] = Field(description="Every kind of notice this account may switch on or off.")
