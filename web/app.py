"""The Litestar application factory: the app is the AchykCore plugin (web/core.py) over the given settings."""

from __future__ import annotations

from litestar import Litestar

from auction.clock import Clock, SystemClock
from auction.settings import Settings, get_settings
from web.core import AchykCore


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """Build the app; tests pass their own settings and a controllable clock."""
    return Litestar(plugins=[AchykCore(settings or get_settings(), clock or SystemClock())])
