"""Where `auction serve` gets its keys: made once before the workers fork (SQLite), or configured (PostgreSQL)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auction.settings import Settings, SharedSecretsMissing, get_settings
from web import cli, serving
from web.cli import main

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/achyk_never_contacted"
SECRET_NAMES = ["ACHYK_SECRET_KEY", "ACHYK_LEDGER_SIGNING_KEY", "ACHYK_LEDGER_PSEUDONYM_KEY"]
KEPT_FILES = ["secret_key", "ledger_signing_key", "ledger_pseudonym_key"]


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """A clean environment for the CLI, whose settings are read (and cached) from it."""
    for name in [*SECRET_NAMES, "DATABASE_URL"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACHYK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


@pytest.fixture
def uvicorn_starts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[list[str]]:
    """Stands in for web.serving.run; records which kept secrets existed at the moment the workers would fork."""
    starts: list[list[str]] = []

    def run(*_: Any, **__: Any) -> None:
        starts.append(sorted(path.name for path in (tmp_path / "data").iterdir() if path.name in KEPT_FILES))

    monkeypatch.setattr(serving, "run", run)
    # Whatever holds port 8000 on this machine, these tests are about keys (tests/unit/test_serve_port.py: the port).
    monkeypatch.setattr(cli, "port_in_use", lambda *_: None)
    return starts


def test_serve_on_postgresql_without_keys_refuses_and_names_them(
    environment: pytest.MonkeyPatch, uvicorn_starts: list[list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("DATABASE_URL", POSTGRES_URL)

    assert main(["serve", "--workers", "2"]) == 2

    message = capsys.readouterr().err
    assert all(name in message for name in SECRET_NAMES), message
    assert uvicorn_starts == []
    assert not (tmp_path / "data").exists(), "no host-local key may be generated for a shared database"


def test_serve_on_postgresql_names_only_the_keys_still_missing(
    environment: pytest.MonkeyPatch, uvicorn_starts: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    environment.setenv("DATABASE_URL", POSTGRES_URL)
    environment.setenv("ACHYK_SECRET_KEY", "a-secret-shared-by-every-host-0123456789")
    environment.setenv("ACHYK_LEDGER_SIGNING_KEY", base64.b64encode(b"s" * 32).decode())

    assert main(["serve"]) == 2

    message = capsys.readouterr().err
    assert "ACHYK_LEDGER_PSEUDONYM_KEY" in message
    assert "ACHYK_SECRET_KEY" not in message
    assert "ACHYK_LEDGER_SIGNING_KEY" not in message


def test_create_app_on_postgresql_without_keys_refuses(tmp_path: Path) -> None:
    from web.app import create_app

    settings = Settings(DATABASE_URL=POSTGRES_URL, data_dir=tmp_path / "data", secret_key="configured-0123456789")
    with pytest.raises(SharedSecretsMissing) as refusal:
        create_app(settings)
    assert refusal.value.missing == ["ACHYK_LEDGER_SIGNING_KEY", "ACHYK_LEDGER_PSEUDONYM_KEY"]


def test_first_serve_on_sqlite_makes_every_secret_before_the_workers_start(
    environment: pytest.MonkeyPatch, uvicorn_starts: list[list[str]], tmp_path: Path
) -> None:
    assert main(["serve", "--workers", "2"]) == 0

    assert uvicorn_starts == [sorted(KEPT_FILES)]
    # A worker (create_app in a fresh process) then reads exactly those.
    worker = Settings(DATABASE_URL="", data_dir=tmp_path / "data")
    assert worker.resolved_secret_key() == (tmp_path / "data" / "secret_key").read_text().strip()
    assert worker.ledger_keys().pseudonym_key == base64.b64decode(
        (tmp_path / "data" / "ledger_pseudonym_key").read_text()
    )


def test_rotate_key_on_sqlite_installs_the_new_key_and_retires_the_old(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    assert main(["db", "upgrade"]) == 0
    first_key = Settings(DATABASE_URL="", data_dir=data).ledger_keys().public_key
    new_seed = base64.b64encode(b"n" * 32).decode()

    assert main(["ledger", "rotate-key", "--new-seed", new_seed]) == 0

    assert (data / "ledger_signing_key").read_text().strip() == new_seed
    [retired] = data.glob("ledger_signing_key.retired-*")
    assert Settings(
        DATABASE_URL="", data_dir=data, ledger_signing_key=retired.read_text()
    ).ledger_keys().public_key == (first_key)
    assert {path.stat().st_mode & 0o777 for path in data.glob("ledger_signing_key*")} == {0o600}
    assert sorted(path.name for path in data.iterdir() if path.name.endswith(".new")) == [], "a temporary file is left"
