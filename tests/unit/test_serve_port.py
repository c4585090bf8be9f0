"""`auction serve` (and so `make run`) on a port another program holds: it says so and how to choose another."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auction.settings import get_settings
from web import serving
from web.cli import main


@pytest.fixture
def occupied_port() -> Iterator[int]:
    """A port some other program is listening on, for real."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_a_taken_port_is_named_with_the_way_to_choose_another_and_nothing_claims_to_serve(
    occupied_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACHYK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    started: list[Any] = []
    monkeypatch.setattr(serving, "run", lambda *args, **kwargs: started.append(kwargs))

    try:
        status = main(["serve", "--host", "127.0.0.1", "--port", str(occupied_port)])
    finally:
        get_settings.cache_clear()

    out, err = capsys.readouterr()
    assert status == 2
    assert f"Port {occupied_port} on 127.0.0.1 is already in use" in err
    assert f"--port {occupied_port + 1}" in err
    assert f"PORT={occupied_port + 1} make run" in err
    assert "serving" not in out.lower()
    assert "Traceback" not in err
    assert started == []
    assert not (tmp_path / "data").exists(), "nothing is set up for a server that cannot start"
