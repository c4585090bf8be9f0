"""A municipality's public contacts: what its contact page shows. Pure rules, no I/O."""

from __future__ import annotations

import re
from collections.abc import Mapping

from auction.errors import InvalidInput

# Each contact field with the most characters it may hold (the columns of migration 0009_payment_details).
CONTACT_FIELDS: dict[str, int] = {
    "contact_address": 300,
    "contact_phone": 100,
    "contact_email": 254,
    "office_hours": 300,
    "responsible_officer": 200,
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[+\d][\d\s()\-,;+]*$")


def clean_contacts(raw: Mapping[str, str]) -> dict[str, str | None]:
    """The contacts as they will be kept: trimmed, blanks as none; refuses a malformed e-mail or phone, or a text
    longer than its column."""
    cleaned: dict[str, str | None] = {}
    for name, most in CONTACT_FIELDS.items():
        text = " ".join((raw.get(name) or "").split())
        if len(text) > most:
            raise InvalidInput("admin.contact_too_long", field=name, max_length=most)
        cleaned[name] = text or None
    email = cleaned["contact_email"]
    if email is not None and not EMAIL.match(email):
        raise InvalidInput("admin.contact_email_invalid", field="contact_email")
    phone = cleaned["contact_phone"]
    if phone is not None and not PHONE.match(phone):
        raise InvalidInput("admin.contact_phone_invalid", field="contact_phone")
    return cleaned
