"""`auction admin ...` on a real database: a fresh install bootstraps its first administrator, bad input is a
message and exit status 2 with nothing changed, and each command is logged."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from auction.accounts.models import User
from auction.admin.models import AdminAction, AdminActionKind
from auction.municipalities.models import Municipality
from web.cli import main

# The command commits through connections of its own.
pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parents[2]
PILOTS = ROOT / "data" / "municipalities" / "pilots.csv"


async def auction(*words: str, stdin: str = "") -> int:
    """Run the command as the shell would (its own event loop, so in a thread of its own)."""

    def run() -> int:
        return main(list(words))

    if stdin:
        import sys

        saved, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            return await asyncio.to_thread(run)
        finally:
            sys.stdin = saved
    return await asyncio.to_thread(run)


async def log(sessions: async_sessionmaker[AsyncSession]) -> list[AdminAction]:
    async with sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


@pytest.mark.usefixtures("server_environment")
async def test_a_fresh_install_is_set_up_from_the_command_line(
    sessions: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert await auction("admin", "create-user", "--role", "admin", "--email", "Boss@Okmot.kg", "--name", "Aida") == 0
    out = capsys.readouterr().out
    password = out.rsplit(": ", 1)[1].strip()
    assert "Created admin boss@okmot.kg." in out
    assert len(password) >= 16

    assert await auction("admin", "import-units", str(PILOTS), "--dry-run") == 0
    assert "would create 14 units" in capsys.readouterr().out
    assert await auction("admin", "import-units", str(PILOTS), "--as", "boss@okmot.kg") == 0
    assert await auction("admin", "import-units", str(PILOTS), "--as", "boss@okmot.kg") == 0
    assert "created 0 units, updated 0; 14 unchanged" in capsys.readouterr().out

    code = await auction(
        "admin", "create-user", "--role", "officer", "--email", "asel@tokmok.kg", "--name", "Asel Bekova",
        "--municipality", "tokmok", "--commission", "--password-stdin", "--as", "boss@okmot.kg",
        stdin="a long enough password\n",
    )  # fmt: skip
    assert code == 0
    assert "One-time password" not in capsys.readouterr().out
    assert await auction("admin", "set-rules", "tokmok", "--notice-days", "30", "--as", "boss@okmot.kg") == 0
    assert await auction("admin", "set-payment-details", "tokmok", "--text", "Мэрия; банк; р/с 1") == 0

    async with sessions() as session:
        officer = await session.scalar(select(User).where(User.email == "asel@tokmok.kg"))
        tokmok = await session.scalar(select(Municipality).where(Municipality.code == "tokmok"))
        admin = await session.scalar(select(User).where(User.email == "boss@okmot.kg"))
    assert officer is not None
    assert tokmok is not None
    assert admin is not None
    assert officer.municipality_id == tokmok.id
    assert tokmok.rules_in_force().notice_days == 30
    assert tokmok.payment_details == "Мэрия; банк; р/с 1"
    lines = await log(sessions)
    assert [(line.action, line.actor_id, line.details["via"]) for line in lines] == [
        (AdminActionKind.ACCOUNT_CREATED, None, "cli"),  # the first administrator: no account acted
        (AdminActionKind.UNITS_IMPORTED, admin.id, "cli"),
        (AdminActionKind.UNITS_IMPORTED, admin.id, "cli"),
        (AdminActionKind.ACCOUNT_CREATED, admin.id, "cli"),
        (AdminActionKind.RULES_SET, admin.id, "cli"),
        (AdminActionKind.PAYMENT_DETAILS_SET, None, "cli"),
    ]
    assert lines[3].details["password"] == "given"


@pytest.mark.usefixtures("server_environment")
async def test_bad_input_is_a_message_and_exit_2_with_nothing_changed(
    sessions: async_sessionmaker[AsyncSession], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert await auction("admin", "create-user", "--role", "admin", "--email", "boss@okmot.kg", "--name", "Aida") == 0
    assert await auction("admin", "import-units", str(PILOTS)) == 0
    capsys.readouterr()
    before = len(await log(sessions))

    broken = tmp_path / "broken.csv"
    broken.write_text(PILOTS.read_text() + "town,city,kara-too,Г,Г,T,,true\nx,province,,A,B,C,,true\n")
    assert await auction("admin", "import-units", str(broken)) == 2
    err = capsys.readouterr().err
    assert "line 16 (parent_code): A unit of level city cannot be under 'kara-too'" in err
    assert "line 17 (level): 'province' is not a level" in err
    assert await auction("admin", "import-units", str(broken), "--dry-run") == 2
    assert await auction("admin", "import-units", str(tmp_path / "missing.csv")) == 2

    refusals = [
        # An officer of a region that only groups its districts, and one of no municipality.
        ("create-user", "--role", "officer", "--email", "o@chui.kg", "--name", "Officer", "--municipality", "chui"),
        ("create-user", "--role", "officer", "--email", "o@chui.kg", "--name", "Officer"),
        ("create-user", "--role", "inspector", "--email", "not-an-email", "--name", "Inspector"),
        ("create-user", "--role", "admin", "--email", "boss@okmot.kg", "--name", "Twice"),
        ("set-rules", "tokmok", "--notice-days", "91", "--as", "boss@okmot.kg"),  # beyond the bounds (0 - 90)
        ("set-rules", "tokmok", "--workdays", "monday", "--as", "boss@okmot.kg"),
        ("set-rules", "tokmok", "--notice-days", "30", "--as", "nobody@okmot.kg"),
        ("set-rules", "atlantis", "--notice-days", "30", "--as", "boss@okmot.kg"),
        ("set-payment-details", "tokmok", "--text", "   "),
        ("set-payment-details", "atlantis", "--text", "bank"),
    ]
    for words in refusals:
        assert await auction("admin", *words) == 2, words
        assert capsys.readouterr().err.strip(), words  # a message says what is wrong
    assert len(await log(sessions)) == before
    async with sessions() as session:
        assert await session.scalar(select(Municipality).where(Municipality.code == "town")) is None
        tokmok = await session.scalar(select(Municipality).where(Municipality.code == "tokmok"))
        assert tokmok is not None
        assert tokmok.rules is None


def test_a_missing_option_is_argparses_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["admin", "set-rules", "tokmok", "--notice-days", "30"])
    assert usage.value.code == 2
    assert "--as" in capsys.readouterr().err
