"""Jinja filters: money in som and times in Asia/Bishkek."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from litestar.plugins.jinja import JinjaTemplateEngine

from auction.clock import as_utc
from auction.money import format_som

BISHKEK = ZoneInfo("Asia/Bishkek")


def bishkek(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return as_utc(moment).astimezone(BISHKEK).strftime("%Y-%m-%d %H:%M")


def register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["som"] = format_som
    engine.engine.filters["bishkek"] = bishkek
