"""`auction inspection-key create` on a real database: it prints a key once and pins its fingerprint; a second key
needs --rotate (else a message and exit 2, nothing recorded), and names the key it replaces."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.ledger.platform_chain import last_platform_payload
from auction.redflags.linking import fingerprint, parse_key
from web.cli import main

# The command commits through connections of its own.
pytestmark = pytest.mark.own_database


async def auction(*words: str) -> int:
    return await asyncio.to_thread(main, list(words))


def printed_key(out: str) -> bytes:
    """The key line of the command's output: the one indented line of 43 characters."""
    [line] = [line.strip() for line in out.splitlines() if line.startswith("  ") and len(line.strip()) == 43]
    return parse_key(line)


async def pinned(sessions: async_sessionmaker[AsyncSession]) -> dict[str, object] | None:
    async with sessions() as session:
        return await last_platform_payload(session, "inspection.key")


@pytest.mark.usefixtures("server_environment")
async def test_a_key_is_created_once_and_replaced_only_with_rotate(
    sessions: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str]
) -> None:
    assert await auction("inspection-key", "create") == 0
    first = printed_key(capsys.readouterr().out)
    assert await pinned(sessions) == {"fingerprint": fingerprint(first), "previous": None}

    assert await auction("inspection-key", "create") == 2
    refused = capsys.readouterr()
    assert "An inspection key is already in force" in refused.err
    assert "--rotate" in refused.err
    assert refused.out == ""
    assert await pinned(sessions) == {"fingerprint": fingerprint(first), "previous": None}

    assert await auction("inspection-key", "create", "--rotate") == 0
    second = printed_key(capsys.readouterr().out)
    assert second != first
    assert await pinned(sessions) == {"fingerprint": fingerprint(second), "previous": fingerprint(first)}
