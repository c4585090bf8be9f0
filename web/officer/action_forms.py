"""The officer's small forms on a lot: cancel with a reason (a draft), ask to cancel a live lot (with an order
near the close), attach a document or photo."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from litestar.datastructures import UploadFile
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from auction.clock import BISHKEK
from auction.lots.models import FileKind
from auction.lots.schemas import CancelOrder, CancelRequest
from web.lib.form_errors import FormErrors, Translate
from web.lib.i18n.catalogs import N_
from web.officer.forms import BAD_MOMENT

CHOOSE_FILE = N_("Choose a file to attach.")
CHOOSE_OPTION = N_("Choose one of the options.")


class Upload(BaseModel):
    """An attachment as the form sends it: the file, and whether it is a document or a photo."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: UploadFile
    kind: FileKind

    @field_validator("file")
    @classmethod
    def _chosen(cls, file: UploadFile) -> UploadFile:
        # A form sent without choosing a file still carries the field, with no name and no bytes.
        if not file.filename:
            raise PydanticCustomError("no_file", "No file was chosen.")
        return file


def parse_cancel(data: Mapping[str, str], gettext: Translate) -> tuple[str | None, FormErrors]:
    errors = FormErrors()
    try:
        return CancelRequest(reason=str(data.get("reason", ""))).reason, errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext)
        return None, errors


def parse_upload(data: Mapping[str, Any], gettext: Translate) -> tuple[Upload | None, FormErrors]:
    errors = FormErrors()
    # Both go in even when absent, so that either problem reads as the form's own words, not "Fill this in."
    submitted = {"kind": str(data.get("kind", "")), "file": data.get("file")}
    try:
        return Upload.model_validate(submitted), errors
    except ValidationError as invalid:
        errors.add_validation_error(invalid, gettext, overrides={"file": CHOOSE_FILE, "kind": CHOOSE_OPTION})
        return None, errors


ORDER_INCOMPLETE = N_("An order needs its number, date, issuer and the signed document (PDF); give all four or none.")


@dataclass(frozen=True, slots=True)
class CancellationForm:
    """A request to cancel a live lot as the form sends it; `order` and `order_file` come together or not at all."""

    reason: str
    order: CancelOrder | None
    order_file: UploadFile | None


def parse_cancellation(data: Mapping[str, Any], gettext: Translate) -> tuple[CancellationForm | None, FormErrors]:
    reason, errors = parse_cancel({"reason": str(data.get("reason", ""))}, gettext)
    texts = {name: str(data.get(f"order_{name}", "")).strip() for name in ("number", "date", "issued_by")}
    upload = data.get("order_file")
    chosen = upload if isinstance(upload, UploadFile) and upload.filename else None
    given = [bool(value) for value in texts.values()] + [chosen is not None]
    if any(given) and not all(given):
        for name, value in texts.items():
            if not value:
                errors.add(f"order_{name}", gettext(ORDER_INCOMPLETE))
        if chosen is None:
            errors.add("order_file", gettext(ORDER_INCOMPLETE))
    order = None
    if all(given):
        try:
            # The file's id is known only once it is stored; the texts are checked now, before anything is.
            order = CancelOrder.model_validate({**texts, "file_id": 0})
        except ValidationError as invalid:
            errors.add_validation_error(invalid, gettext, field_of=lambda loc: f"order_{loc[0]}" if loc else None)
    if reason is None or errors:
        return None, errors
    return CancellationForm(reason, order, chosen), errors


@dataclass(frozen=True, slots=True)
class DocumentChange:
    """What a document of a published lot changes: the one it replaces, and once bidders applied, why and until when
    applications reopen (docs/ledger-entries.md, lot.document)."""

    replaces: int | None
    reason: str | None
    applications_close_at: datetime | None


def parse_document_change(data: Mapping[str, Any], gettext: Translate, errors: FormErrors) -> DocumentChange | None:
    """The optional fields of an upload; None (with the problem in ``errors``) when one cannot be read."""
    replaces_text = str(data.get("replaces") or "").strip()
    moment_text = str(data.get("applications_close_at") or "").strip()
    moment: datetime | None = None
    if moment_text:
        try:
            # The form shows Bishkek wall-clock time, as every officer form does.
            moment = datetime.fromisoformat(moment_text).replace(tzinfo=BISHKEK).astimezone(UTC)
        except ValueError:
            errors.add("applications_close_at", gettext(BAD_MOMENT))
            return None
    if replaces_text and not replaces_text.isdigit():
        errors.add("replaces", gettext(CHOOSE_OPTION))
        return None
    reason = str(data.get("reason") or "").strip() or None
    return DocumentChange(int(replaces_text) if replaces_text else None, reason, moment)
