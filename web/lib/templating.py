"""The Jinja environment of the pages: translations per request, filters, and a few URL helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar.plugins.jinja import JinjaTemplateEngine
from markupsafe import Markup

from auction.ledger.keys import LedgerKeys
from auction.ledger.rotation import vkey_fingerprint, vkey_of
from web.lib.filters import language_in, register_filters
from web.lib.i18n.catalogs import LANGUAGE_NAMES, LANGUAGES, translate, translate_plural
from web.lib.i18n.labels import CHOICES, enum_label
from web.lib.i18n.negotiation import switch_url
from web.lib.static_integrity import StaticIntegrity


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translate(language_in(context), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    return translate_plural(language_in(context), singular, plural, count)


@pass_context
def _switch_language_url(context: Context, language: str) -> str:
    return switch_url(context["request"], language)


@pass_context
def _choices(context: Context, field: str, exclude: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The options of a choice field: each enum value with its label in the page's language."""
    language = language_in(context)
    return [
        (member.value, translate(language, enum_label(member)))
        for member in CHOICES[field]
        if member.value not in exclude
    ]


@pass_context
def _url_with(context: Context, **changes: Any) -> str:
    """The current page's URL with some query parameters replaced (None or "" drops one)."""
    request = context["request"]
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in changes and v != ""]
    kept += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return f"{request.url.path}?{urlencode(kept)}" if kept else request.url.path


@pass_context
def _ledger_key(context: Context) -> dict[str, str]:
    """The log's verifier key, its origin and fingerprint: pages that check ledger evidence pin this key."""
    keys: LedgerKeys = context["request"].app.state.ledger_keys
    vkey = vkey_of(keys)
    return {"vkey": vkey, "origin": keys.origin, "fingerprint": vkey_fingerprint(vkey)}


@pass_context
def _integrity(context: Context, url_path: str) -> str:
    """The SRI hash of a file under /static, as computed at start-up."""
    integrity: StaticIntegrity = context["request"].app.state.static_integrity
    return integrity.of(url_path)


@pass_context
def _import_map(context: Context) -> Markup:
    """The import map's fixed text, the very bytes the Content-Security-Policy allows by hash."""
    integrity: StaticIntegrity = context["request"].app.state.static_integrity
    return Markup(integrity.import_map_text)  # noqa: S704 - JSON with <, > and & escaped (StaticIntegrity)


def configure_jinja(engine: JinjaTemplateEngine) -> None:
    """Install gettext for ``{% trans %}`` and ``_()``; each call translates into the request's language."""
    environment = engine.engine
    environment.add_extension("jinja2.ext.i18n")
    environment.add_extension("jinja2.ext.do")
    # Trimmed blocks let templates wrap long sentences without the line breaks reaching the catalogs.
    environment.policies["ext.i18n.trimmed"] = True
    # New-style gettext escapes the variables put into a translation, as autoescaping expects.
    environment.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals["LANGUAGES"] = LANGUAGES
    environment.globals["LANGUAGE_NAMES"] = LANGUAGE_NAMES
    environment.globals["switch_language_url"] = _switch_language_url
    environment.globals["url_with"] = _url_with
    environment.globals["choices"] = _choices
    environment.globals["ledger_key"] = _ledger_key
    environment.globals["integrity"] = _integrity
    environment.globals["import_map"] = _import_map
    register_filters(engine)
