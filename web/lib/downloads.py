"""How a stored file is handed to a browser: under its own name, with the extension its type calls for.

``Content-Disposition`` carries the name twice (RFC 6266): an ASCII ``filename`` for old clients, and
``filename*=UTF-8''…`` (RFC 5987 percent-encoding) with the real name, so "Решение кенеша.pdf" is saved as such.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath
from urllib.parse import quote

# The extension each type we accept is saved with (auction.lots.service.ALLOWED_UPLOADS).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
CSV = "text/csv"  # Litestar adds "; charset=utf-8" to every text/* type itself (litestar.enums.MediaType has no CSV)
# Characters no file system or header takes: path separators, controls, quotes and the header's own delimiters.
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]')
_NOT_ASCII_TOKEN = re.compile(r"[^A-Za-z0-9._ ()\-]")


def download_name(filename: str, content_type: str, *, fallback: str) -> str:
    """The name to save a file under: its own base name made safe, with the extension its type calls for."""
    base = PureWindowsPath(PurePosixPath(filename).name).name  # an uploaded name may carry either kind of path
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", base)).strip(" .") or fallback
    extensions = EXTENSIONS.get(content_type.split(";", maxsplit=1)[0].strip().lower(), ())
    if extensions and not name.lower().endswith(extensions):
        name += extensions[0]
    return name[:200]


def content_disposition(disposition: str, filename: str) -> str:
    """``attachment`` or ``inline`` with both the ASCII fallback name and the UTF-8 one (RFC 6266, RFC 5987)."""
    stem, dot, extension = filename.rpartition(".")
    ascii_stem = _NOT_ASCII_TOKEN.sub("_", unicodedata.normalize("NFKD", stem if dot else filename))
    ascii_stem = re.sub(r"_+", "_", ascii_stem.encode("ascii", "ignore").decode()).strip("_ ") or "file"
    fallback = f"{ascii_stem}.{_NOT_ASCII_TOKEN.sub('_', extension)}" if dot else ascii_stem
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
