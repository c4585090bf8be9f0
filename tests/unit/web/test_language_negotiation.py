"""Which of our languages a browser's Accept-Language asks for."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.datastructures import MutableScopeHeaders

from web.lib.i18n.negotiation import negotiate, vary_on_language


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ky-KG,ky;q=0.9,ru;q=0.8", "ky"),
        ("en-US,en;q=0.9", "en"),
        ("de-DE,de;q=0.9,ru;q=0.5,en;q=0.4", "ru"),
        ("ru;q=0.5, KY;q=0.7", "ky"),
        ("en, ru", "en"),
        ("ky;q=0, en;q=0.1", "en"),
        ("kk-KZ, uz", None),
        ("*", None),
        ("", None),
        ("ky;q=abc, ru;q=0.3", "ru"),
    ],
)
def test_the_best_weighted_language_we_speak_wins(header: str, language: str | None) -> None:
    assert negotiate(header) == language


def test_vary_names_accept_language_once_beside_what_was_there() -> None:
    message: Any = {"type": "http.response.start", "headers": [(b"vary", b"HX-Request")]}
    headers = MutableScopeHeaders.from_message(message)
    vary_on_language(headers)
    vary_on_language(headers)
    assert headers.get("vary") == "HX-Request, Accept-Language"
