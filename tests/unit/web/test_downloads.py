"""The name a stored file is saved under: its own, made safe, with the extension its type calls for."""

from __future__ import annotations

import pytest

from web.lib.downloads import content_disposition, download_name


@pytest.mark.parametrize(
    ("stored", "content_type", "saved"),
    [
        ("Протокол.pdf", "application/pdf", "Протокол.pdf"),
        ("Протокол", "application/pdf", "Протокол.pdf"),
        ("photo.JPEG", "image/jpeg", "photo.JPEG"),
        ("план.png", "image/png", "план.png"),
        ("C:\\Users\\officer\\Акт приёма.pdf", "application/pdf", "Акт приёма.pdf"),
        ('../../etc/"passwd";', "application/pdf", "_passwd__.pdf"),
        ("", "application/pdf", "lot-1-2.pdf"),
    ],
)
def test_the_saved_name_keeps_the_real_one_and_gains_the_types_extension(
    stored: str, content_type: str, saved: str
) -> None:
    assert download_name(stored, content_type, fallback="lot-1-2") == saved


def test_the_disposition_carries_an_ascii_fallback_and_the_utf8_name() -> None:
    header = content_disposition("attachment", "Акт приёма 2026.pdf")
    assert header == (
        'attachment; filename="2026.pdf"; '
        "filename*=UTF-8''%D0%90%D0%BA%D1%82%20%D0%BF%D1%80%D0%B8%D1%91%D0%BC%D0%B0%202026.pdf"
    )
    assert content_disposition("inline", "front.png") == "inline; filename=\"front.png\"; filename*=UTF-8''front.png"
    header.encode("latin-1")  # a header must be sendable as it is
