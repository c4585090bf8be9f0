"""The headers every response carries: a Content-Security-Policy with no inline script, no framing, no sniffing,
a referrer trimmed to the origin off-site, and HSTS once the site says it is served over HTTPS.

The one inline ``<script>`` a page has is the import map (JSON a browser does not run, which cannot be loaded
from a file): the policy allows exactly its bytes by their SHA-256, computed once at start-up from the same text
the pages print. Styles come only from /static too: no template has a ``style`` attribute or a ``<style>``
element, and htmx is told not to add its own (``includeIndicatorStyles`` in the page's htmx-config).
"""

from __future__ import annotations

import base64
import hashlib

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from auction.settings import Settings

# A year: what HSTS preload lists ask for. No includeSubDomains: other hosts of the municipality's domain may not
# be on HTTPS, and Achyk cannot know.
HSTS = "max-age=31536000"


def csp_hash(inline_script: str) -> str:
    """The CSP source that allows one inline script, by its exact text."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(inline_script.encode()).digest()).decode() + "'"


def content_security_policy(import_map_text: str) -> str:
    """The site's policy: everything from its own origin, scripts only as files (and the one import map)."""
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' {csp_hash(import_map_text)}",
        "style-src": "'self'",
        # data: for the empty favicon (``<link rel=icon href="data:,">``) that spares a request per page.
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


def security_headers(settings: Settings, import_map_text: str) -> dict[str, str]:
    """Every header, by name; HSTS only when the site is on HTTPS (over plain HTTP a browser ignores it anyway,
    and a development site on localhost must not pin itself to HTTPS)."""
    headers = {
        "content-security-policy": content_security_policy(import_map_text),
        "referrer-policy": "strict-origin-when-cross-origin",
        "x-content-type-options": "nosniff",
        # For browsers that predate frame-ancestors.
        "x-frame-options": "DENY",
    }
    if settings.secure_cookies:
        headers["strict-transport-security"] = HSTS
    return headers


class SecurityHeaders:
    """A ``before_send`` hook: it sees every response, 404s and error pages included, which route middleware
    does not. A header a handler set itself is left alone."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers

    async def __call__(self, message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        present = MutableScopeHeaders.from_message(message)
        for name, value in self.headers.items():
            if name not in present:
                present[name] = value
