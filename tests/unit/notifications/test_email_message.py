"""A notice's e-mail reads back exactly as written: a long Kyrgyz subject folded over lines keeps every space."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtplib.email import flatten_message

from auction.notifications.channels import Outgoing, email_message
from auction.notifications.messages import Rendered

SUBJECTS = [
    # Folded by Python's SMTP policy, this one lost the space between "көчөсүндөгү" and "жер" (CPython gh-144156).
    "Кепилдик акы тастыкталды: Жибек Жолу көчөсүндөгү жер тилкеси",
    "Сунушуңуздан жогору баа берилди: " + "Жибек Жолу көчөсүндөгү жер тилкеси, " * 4,
    "You won: Land plot on Jibek Jolu street, 0.08 ha, for a family house, near the central square",
    "Вы победили: Ж",
]


@pytest.mark.parametrize("subject", SUBJECTS)
@pytest.mark.parametrize("utf8", [False, True])
def test_the_subject_arrives_as_written_in_lines_of_at_most_78(subject: str, utf8: bool) -> None:
    message = email_message(
        Outgoing(1, "deposit.confirmed", "aigerim@example.kg", Rendered("ky", subject, "…\n")), "A <a@b.kg>"
    )
    sent = flatten_message(message, utf8=utf8)  # exactly what aiosmtplib sends
    arrived = email.message_from_bytes(sent, policy=email.policy.default)
    assert str(arrived["Subject"]) == subject
    assert str(message["Subject"]) == subject
    head = sent.split(b"\r\n\r\n")[0]
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
