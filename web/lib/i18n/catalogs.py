"""The gettext catalogs of the site's three languages, loaded once per process."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LANGUAGES: tuple[str, ...] = ("ky", "ru", "en")
DEFAULT_LANGUAGE = "ru"
# Each language is named in itself, so that a reader who cannot read the current page still finds theirs.
LANGUAGE_NAMES: dict[str, str] = {"ky": "Кыргызча", "ru": "Русский", "en": "English"}
LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
DOMAIN = "messages"


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext marker name, known to the extractor
    """Mark a message for extraction; it is translated where it is shown, in the reader's language."""
    return message


@cache
def translations(language: str) -> Translations:
    """The catalog of ``language``: its compiled ``.mo``, or the ``.po`` when that is missing or newer."""
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not one of the site's languages {LANGUAGES}")
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo_path = po_path.with_suffix(".mo")
    if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
        with mo_path.open("rb") as compiled:
            return Translations(compiled, domain=DOMAIN)
    # scripts/bootstrap compiles the .mo files; a checkout or image that skipped it still gets every
    # translation, compiled here in memory from the .po that travels with the package.
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer, domain=DOMAIN)


def translate(language: str, message: str) -> str:
    return translations(language).gettext(message)


def translate_plural(language: str, singular: str, plural: str, count: int) -> str:
    return translations(language).ngettext(singular, plural, count)
