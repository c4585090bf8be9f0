"""Security headers on every response (a CSP with no inline script, no framing, no sniffing, a trimmed referrer,
HSTS on HTTPS only), templates free of inline script and style, and no ``Server`` banner from ``auction serve``."""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from auction.clock import FrozenClock
from auction.settings import Settings
from tests.kit.page import Page
from tests.kit.world import World
from tests.web.conftest import Client, create_lot, log_in
from web.core import WEB

TEMPLATES = WEB / "templates"


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in policy.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = sources
    return parsed


def sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


async def test_every_response_carries_the_security_headers(client: Client, world: World) -> None:
    lot_id = await create_lot(client, world)
    await log_in(client, "officer_tokmok")
    responses = {
        "page": await client.get(f"/lots/{lot_id}"),
        "officer console": await client.get("/officer/"),
        "json": await client.get("/api/v1/municipalities/"),
        "API refusal": await client.post("/api/v1/lots", json={}),
        "unknown path": await client.get("/no-such-page"),
        "static file": await client.get("/static/js/site.js"),
        "form refused by CSRF": await client.post("/logout"),
    }
    for what, response in responses.items():
        headers = response.headers
        assert "content-security-policy" in headers, what
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", what
        assert headers["x-content-type-options"] == "nosniff", what
        assert headers["x-frame-options"] == "DENY", what
        # The site is on plain HTTP here (ACHYK_SECURE_COOKIES is false): HSTS would pin localhost to HTTPS.
        assert "strict-transport-security" not in headers, what

    page = responses["page"]
    policy = directives(page.headers["content-security-policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    # Scripts come from the site's files; the one inline script allowed is the page's import map, by its hash.
    import_map = Page(page.text).one('script[type="importmap"]').text
    assert policy["script-src"] == ["'self'", sha256_source(import_map)]


async def test_hsts_is_sent_once_the_site_says_it_is_on_https(settings: Settings, clock: FrozenClock) -> None:
    from web.app import create_app

    on_https = settings.model_copy(update={"secure_cookies": True})
    async with AsyncTestClient(app=create_app(on_https, clock)) as client:
        response = await client.get("/static/css/site.css")
    assert response.headers["strict-transport-security"] == "max-age=31536000"


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)([^>]*)>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"\sstyle\s*=|<style\b", re.IGNORECASE)
# Code htmx would run from attributes (hx-on, hx-vals="js:…", javascript: URLs): blocked by allowEval=false anyway.
ATTRIBUTE_CODE = re.compile(r"\shx-on\b|\shx-on:|[\"']\s*(?:js|javascript):", re.IGNORECASE)
# What an inline <script> may be: data the page's own scripts read (never run), and the import map.
DATA_TYPES = ('type="application/json"', 'type="importmap"')


def test_no_template_has_inline_script_event_handlers_or_inline_style() -> None:
    templates = sorted(TEMPLATES.rglob("*.jinja2"))
    assert len(templates) > 40
    problems: list[str] = []
    for path in templates:
        text = path.read_text()
        name = path.relative_to(TEMPLATES).as_posix()
        for match in INLINE_SCRIPT.finditer(text):
            if not any(kind in match.group(1) for kind in DATA_TYPES):
                problems.append(f"{name}: inline script {match.group(0)}")
            if 'type="importmap"' in match.group(1) and name != "base.html.jinja2":
                problems.append(f"{name}: an import map the policy does not allow")
        problems += [f"{name}: event handler {m.group(0).strip()}" for m in EVENT_HANDLER.finditer(text)]
        problems += [f"{name}: inline style {m.group(0).strip()}" for m in INLINE_STYLE.finditer(text)]
        problems += [f"{name}: code in an attribute {m.group(0).strip()}" for m in ATTRIBUTE_CODE.finditer(text)]
    assert problems == []


def test_the_scan_finds_what_the_policy_would_block() -> None:
    """The patterns above are only as good as what they catch."""
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/site.js" defer></script>')
    assert EVENT_HANDLER.search('<button onclick="go()">')
    assert not EVENT_HANDLER.search('<button data-action="go">')
    assert INLINE_STYLE.search('<p style="color: red">')
    assert ATTRIBUTE_CODE.search('<a href="javascript:void(0)">')


def test_serve_sends_no_server_banner(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from web import cli, serving

    started: dict[str, Any] = {}
    monkeypatch.setattr(serving, "run", lambda config: started.update(vars(config)))
    monkeypatch.setattr(cli, "_at_head", lambda _: True)
    arguments = argparse.Namespace(host="127.0.0.1", port=8000, workers=1)
    assert cli._serve(arguments, settings) == 0
    assert started["server_header"] is False
