"""The inspector's desk reads in Kyrgyz and Russian: every ledger page, each entry kind by its name, and the
browser verifier's steps and failure reasons; no raw `{placeholder}` or `%(placeholder)s` is left for a reader."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.clock import FrozenClock
from auction.ledger.verifier.replay import PAYLOAD_FIELDS, PLATFORM_PAYLOAD_FIELDS
from auction.settings import Settings
from tests.kit.ledger import integrate, keys_of
from tests.kit.world import World
from tests.web.conftest import Client, create_lot
from web.ledger.kinds import KIND_NAMES, kind_names

ROOT = Path(__file__).resolve().parents[2]
VERIFY_JS = ROOT / "web" / "static" / "js" / "ledger-verify.js"
LANGUAGES = ("ky", "ru")
PLACEHOLDER = re.compile(r"\{\w+\}|%\(\w+\)s")
# The ledger's own words, the same in every language: names of formats and programs.
SAME_IN_EVERY_LANGUAGE = frozenset({"Python", "SHA-256"})


def test_every_entry_kind_the_verifier_accepts_has_a_name_in_every_language() -> None:
    kinds = set(PAYLOAD_FIELDS) | set(PLATFORM_PAYLOAD_FIELDS)
    assert kinds == set(KIND_NAMES)
    for language in LANGUAGES:
        names = kind_names(language)
        untranslated = [kind for kind in kinds if names[kind] == KIND_NAMES[kind]]
        assert not untranslated, (language, untranslated)


def codes_in_script(source: str) -> set[str]:
    """The failure codes (fail(message, "code", …)) and step ids (step("id", …)) of ledger-verify.js."""
    codes = set(re.findall(r'fail\(\s*(?:`[^`]*`|"[^"]*")\s*,\s*"(\w+)"', source, re.DOTALL))
    codes |= set(re.findall(r'\n\s*"(\w+)",\s*\{', source))  # a reason on a line of its own after the message
    return codes


def step_ids(source: str) -> set[str]:
    return set(re.findall(r'step\(\s*"(\w+)"', source)) | {"history", "unwitnessed", "witnesses"}


def visible_text(html: str) -> str:
    """What a reader sees: the page without its scripts (their JSON carries the verifier's templates)."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    return soup.get_text(" ")


async def test_every_ledger_page_and_the_verifiers_messages_read_in_kyrgyz_and_russian(
    client: Client,
    world: World,
    sessions: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
    settings: Settings,
    backend: str,
) -> None:
    if backend != "postgres":
        pytest.skip("the pages' words do not depend on the database: one backend is enough")
    lot_id = await create_lot(client, world)
    await integrate(sessions, keys_of(settings), clock)
    source = VERIFY_JS.read_text()
    english = await messages_of(client, "en")
    for language in LANGUAGES:
        for path in ("/ledger/", "/ledger/entries", f"/ledger/lots/{lot_id}", "/ledger/verify", "/ledger/verifier"):
            answer = await client.get(f"{path}?lang={language}")
            assert answer.status_code == 200, (path, language)
            text = visible_text(answer.text)
            assert not PLACEHOLDER.findall(text), (path, language, PLACEHOLDER.findall(text))
            if path in ("/ledger/entries", f"/ledger/lots/{lot_id}"):
                soup = BeautifulSoup(answer.text, "html.parser")
                names = [cell.select_one(".entry-kind-name") for cell in soup.select("td.entry-kind")]
                assert names, path
                assert all(name is not None for name in names), (path, language)
                shown = {name.get_text() for name in names if name is not None}
                assert not shown & set(KIND_NAMES.values()), (path, language, shown)  # none left in English
        words = await messages_of(client, language)
        # Every step and every failure reason the script can report has its words, translated, and the words
        # name only the values the English template names (so the script fills every placeholder it shows).
        assert step_ids(source) <= set(words), step_ids(source) - set(words)
        assert {f"why_{code}" for code in codes_in_script(source)} <= set(words)
        for key, template in words.items():
            assert set(PLACEHOLDER.findall(template)) == set(PLACEHOLDER.findall(english[key])), (language, key)
            if template == english[key]:
                assert template in SAME_IN_EVERY_LANGUAGE, (language, key, template)
        kinds = await kinds_of(client, language)
        assert kinds == kind_names(language)


async def messages_of(client: Client, language: str) -> dict[str, str]:
    page = BeautifulSoup((await client.get(f"/ledger/verify?lang={language}")).text, "html.parser")
    tag = page.select_one("script#verify-messages")
    assert tag is not None
    words: dict[str, str] = json.loads(tag.get_text())
    return words


async def kinds_of(client: Client, language: str) -> dict[str, str]:
    page = BeautifulSoup((await client.get(f"/ledger/verify?lang={language}")).text, "html.parser")
    tag = page.select_one("script#verify-kinds")
    assert tag is not None
    kinds: dict[str, str] = json.loads(tag.get_text())
    return kinds
