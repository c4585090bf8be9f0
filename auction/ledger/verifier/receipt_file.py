"""The receipt file the site gives a bidder (``achyk-receipt-….json``): the signed receipt note and its unsigned copy.

The file is a JSON object (docs/ledger.md, "The receipt file"). Only its `receipt` field, the signed note, and its
`body`, once it hashes to the body hash that note signs, are evidence; every other field is an unsigned copy of what
they say, for people to read. A copy that disagrees with the signed bytes is a finding (exit 1): someone edited the
file, and a reader of the copy would be misled. Fields the signature does not cover at all (`bid_id`, `closes_at`)
are named in the report as not verified. Standard library only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from auction.ledger.verifier.canonical import format_time
from auction.ledger.verifier.note import Receipt

# The unsigned fields the signed note or body can confirm, and those nothing signed covers.
CHECKED_FIELDS = ("body_hash", "lot_id", "lot_seq", "kind", "admitted_at", "placed_at", "amount")
UNSIGNED_FIELDS = ("bid_id", "closes_at")


class ReceiptFileError(ValueError):
    """The text is not a receipt file: not a JSON object, or no signed `receipt` note in it (unusable, exit 2)."""


@dataclass(frozen=True, slots=True)
class ReceiptFile:
    """A parsed receipt file: the signed note, and the rest of the object as the file states it."""

    note: str
    fields: dict[str, Any]


def is_receipt_file(text: str) -> bool:
    """Whether the text is meant as a receipt file (a JSON object) rather than a bare note or a proof."""
    return text.lstrip().startswith("{")


def parse_receipt_file(text: str) -> ReceiptFile:
    """The file's signed note and fields; raises ReceiptFileError if it is no receipt file."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReceiptFileError(f"the receipt file is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReceiptFileError("the receipt file must be a JSON object")
    note = data.get("receipt")
    if not isinstance(note, str):
        raise ReceiptFileError('the receipt file has no "receipt" field holding the signed receipt note')
    body = data.get("body")
    if body is not None and not isinstance(body, str):
        raise ReceiptFileError("the receipt file's \"body\" must be the entry's text")
    return ReceiptFile(note=note, fields={k: v for k, v in data.items() if k != "receipt"})


def _signed_body(file: ReceiptFile, receipt: Receipt) -> tuple[dict[str, Any] | None, list[str]]:
    """The file's body as the signature covers it (it hashes to the signed body hash), or None and why not."""
    body = file.fields.get("body")
    if body is None:
        return None, []
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if digest != receipt.body_hash:
        return None, [f"body hashes to {digest}, but the signed receipt names body {receipt.body_hash}"]
    try:
        parsed = json.loads(body)
    except ValueError:
        return None, ["body hashes to the signed body hash but is not JSON"]
    return (parsed if isinstance(parsed, dict) else None), []


def disagreements(file: ReceiptFile, receipt: Receipt) -> list[str]:
    """Each unsigned field of the file that says something other than the signed note (or the signed body)."""
    body, found = _signed_body(file, receipt)
    signed: dict[str, Any] = {
        "body_hash": receipt.body_hash,
        "admitted_at": format_time(receipt.admitted_at),
        "placed_at": format_time(receipt.admitted_at),
    }
    if receipt.entry is not None:
        signed |= {"lot_id": receipt.entry.lot, "lot_seq": receipt.entry.lot_seq, "kind": receipt.entry.kind}
    elif body is not None:
        signed |= {"lot_id": body.get("lot"), "lot_seq": body.get("lot_seq"), "kind": body.get("kind")}
    payload = body.get("payload") if body is not None else None
    if isinstance(payload, dict) and "amount" in payload:
        signed["amount"] = payload["amount"]
    for name in CHECKED_FIELDS:
        if name not in file.fields:
            continue
        stated = file.fields[name]
        if name == "amount" and "amount" not in signed:
            if stated is not None:
                found.append(f"amount {stated!r} is not covered by the signature: the signed body states no amount")
            continue
        if name in signed and (type(stated) is not type(signed[name]) or stated != signed[name]):
            found.append(f"{name} says {_shown(stated)}, the signed receipt says {_shown(signed[name])}")
    return found


def unsigned_fields(file: ReceiptFile) -> list[str]:
    """The file's fields that nothing signed covers: shown to people, verified by nobody."""
    known = {*CHECKED_FIELDS, "body"}
    return sorted(name for name in file.fields if name in UNSIGNED_FIELDS or name not in known)


def _shown(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
