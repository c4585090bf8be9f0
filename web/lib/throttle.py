"""Who the client is, and the per-address throttle of the login and registration routes.

``client_address`` is the one answer to "which address is this request from" that every limiter uses. A proxy's
X-Forwarded-For is believed only when the direct peer is one of ``ACHYK_TRUSTED_PROXIES``: from anyone else the
header is whatever the client chose to write, and believing it would let a guesser reset every limit at will.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from auction.accounts.throttle import Throttle
from auction.accounts.throttle_rules import source_bucket
from auction.errors import TooManyAttempts
from auction.settings import IPNetwork

UNKNOWN = "unknown"


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IPNetwork]) -> str:
    """The client's address: the peer itself, or, behind trusted proxies, the nearest address in the
    X-Forwarded-For chain that is not one of them (the ones further left were written by whoever was there)."""
    if peer is None:
        return UNKNOWN
    if not _is_trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop if _parses(hop) else UNKNOWN
    return hops[0] if hops else peer


def address_of(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The client address of a request (see ``client_address``), with the app's trusted proxies."""
    trusted: Sequence[IPNetwork] = connection.app.state.get("trusted_proxies", ())
    peer = connection.client.host if connection.client else None
    return client_address(peer, connection.headers.getall("x-forwarded-for", []), trusted)


async def throttle_by_address(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """A guard: routes marked ``opt={"throttle": "login" | "register" | "reset"}`` take one hit from the address's
    bucket, counted in the database so that every worker and host shares it; over the limit, 429 with Retry-After."""
    action = handler.opt.get("throttle")
    if not action:
        return
    throttle: Throttle = connection.app.state.throttle
    wait = await throttle.take(source_bucket(str(action), address_of(connection)))
    if wait is not None:
        raise TooManyAttempts("request.throttled", retry_after=wait, minutes=math.ceil(wait / 60))


def _is_trusted(address: str, trusted: Sequence[IPNetwork]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _parses(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
