"""The Litestar application factory: the app is the AchykCore plugin (web/core.py) over the given settings."""

from __future__ import annotations

from litestar import Litestar

from auction.clock import Clock, SystemClock
from auction.settings import Settings, get_settings
from web.core import AchykCore, request_body_limit


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """Build the app; tests pass their own settings and a controllable clock."""
    settings = settings or get_settings()
    # Litestar reads the body limit from its constructor's argument, not from the config a plugin's on_app_init
    # changes (2.25: it stayed 10 MB whatever ACHYK_UPLOAD_MAX_BYTES said), so it is given here.
    return Litestar(
        plugins=[AchykCore(settings, clock or SystemClock())], request_max_body_size=request_body_limit(settings)
    )
