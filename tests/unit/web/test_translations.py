"""The catalogs are complete and consistent, and the domain messages they translate still exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from auction.errors import Conflict
from auction.lots.models import FileKind, LotState
from auction.lots.rules import check_terms, ensure_transition
from auction.lots.service import check_upload
from web.lib.i18n.catalogs import LOCALE_DIR, translations
from web.lib.i18n.domain_messages import PATTERNS, STATIC, translate_domain_message

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def extracted() -> set[str]:
    """Every message the code and templates use now, extracted as ``pybabel extract`` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]  # babel is untyped here
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return extracted()


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_message_is_translated(messages: set[str], language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    missing = sorted(messages - translated)
    assert missing == [], f"run pybabel extract + update (see babel.cfg) and translate: {missing}"


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_translations_keep_their_placeholders(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    for message in catalog:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string or "")) == expected, (message.id, string)


def test_the_listed_domain_messages_still_exist_word_for_word() -> None:
    """Implicitly concatenated literals are joined by the parser, so this sees what the domain raises."""
    domain_strings = {
        node.value
        for path in (ROOT / "auction").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    assert [m for m in STATIC if m not in domain_strings] == []


def test_the_patterns_match_what_the_domain_says() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 6, 1, tzinfo=UTC)
    lease = {
        "deal": "lease",
        "kind": "other",
        "format": "open_ascending",
        "title_en": "x",
        "starting_price": 100,
        "bid_step": 1,
        "deposit": 1,
        "lease_term_months": 999,
        "rent_period": "month",
        "applications_close_at": now + timedelta(days=1),
        "bidding_opens_at": now + timedelta(days=2),
        "bidding_closes_at": now + timedelta(days=3),
    }
    raised: list[str] = [p.message for p in check_terms(lease, now=now, max_lease_months=48)]
    for content_type, content, max_bytes in (
        ("application/pdf", b"%PDF-" + b"0" * 20, 10),
        ("text/plain", b"hello", 100),
        ("application/pdf", b"not a pdf", 100),
    ):
        try:
            check_upload(FileKind.DOCUMENT, content_type, content, max_bytes)
        except Exception as refusal:
            raised.append(str(refusal))
    try:
        ensure_transition(LotState.CLOSED, LotState.PUBLISHED)
    except Conflict as refusal:
        raised.append(refusal.message)
    assert len(raised) == 5
    for message in raised:
        assert any(pattern.fullmatch(message) for pattern, _ in PATTERNS), message
        assert translate_domain_message(message, "ru") != message, message


def test_the_compiled_catalog_agrees_with_its_source() -> None:
    """A stale .mo is ignored in favour of the .po, so either way the site shows the .po's words."""
    assert translations("ky").gettext("Lots") == "Лоттор"
    assert translations("ru").ngettext("%(num)d month", "%(num)d months", 3) == "%(num)d месяца"
    assert translations("en").gettext("Lots") == "Lots"
