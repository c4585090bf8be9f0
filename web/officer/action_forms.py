"""The officer's small forms on a lot: cancel with a reason, attach a document or photo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar.datastructures import UploadFile
from pydantic import ValidationError

from auction.lots.models import FileKind
from auction.lots.schemas import CancelRequest
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_


@dataclass(frozen=True, slots=True)
class Upload:
    kind: FileKind
    file: UploadFile


def parse_cancel(data: Mapping[str, str], gettext: Translate) -> tuple[str | None, FormErrors]:
    errors = FormErrors()
    try:
        return CancelRequest(reason=str(data.get("reason", ""))).reason, errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors


def parse_upload(data: Mapping[str, Any], gettext: Translate) -> tuple[Upload | None, FormErrors]:
    errors = FormErrors()
    file = data.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        errors.add("file", gettext(N_("Choose a file to attach.")))
    try:
        kind = FileKind(str(data.get("kind", "")))
    except ValueError:
        errors.add("kind", gettext(N_("Choose one of the options.")))
        return None, errors
    if not isinstance(file, UploadFile) or errors:
        return None, errors
    return Upload(kind, file), errors
