"""Page forms read into pydantic models: each problem lands on the field the person must change, translated."""

from __future__ import annotations

from litestar.datastructures import UploadFile

from web.accounts.login_form import parse_login
from web.bidding.forms import parse_open_bid, parse_sealed_bid
from web.officer.action_forms import parse_upload
from web.officer.commission_forms import parse_commission


def shout(message: str) -> str:
    """A stand-in for a translation: visibly not the English source, its placeholders kept."""
    return "ky:" + message


def test_an_open_bid_is_read_in_som_to_the_exact_tyiyn() -> None:
    bid, errors = parse_open_bid({"amount": " 1 250,50 ", "idempotency_key": " once-0001 "}, shout)
    assert not errors
    assert bid is not None
    assert (bid.amount, bid.key) == (125_050, "once-0001")


def test_an_open_bid_without_a_key_still_gets_one_of_its_own() -> None:
    first, _ = parse_open_bid({"amount": "100"}, shout)
    second, _ = parse_open_bid({"amount": "100", "idempotency_key": "  "}, shout)
    assert first is not None
    assert second is not None
    assert len(first.key) == 32
    assert first.key != second.key


def test_open_bid_problems_are_attached_to_the_amount_and_translated() -> None:
    blank = parse_open_bid({"amount": " "}, shout)[1]
    assert blank.fields == {"amount": ["ky:Fill this in."]}
    unreadable = parse_open_bid({"amount": "12.345"}, shout)[1]
    assert unreadable.fields == {"amount": ["ky:Enter an amount in som, such as 1250 or 1250.50."]}


def test_a_sealed_bid_without_ciphertext_says_the_browser_did_not_seal_it() -> None:
    bid, errors = parse_sealed_bid({"ciphertext": ""}, shout)
    assert bid is None
    assert list(errors.fields) == ["ciphertext"]
    assert errors.fields["ciphertext"][0].startswith("ky:Your browser did not seal the bid.")


def ceremony(**fields: str) -> dict[str, str]:
    return {"threshold": "2", "member_7": "on", "member_9": "on", **fields}


def test_a_commission_is_read_as_its_chosen_members() -> None:
    commission, errors = parse_commission(ceremony(), [7, 8, 9], shout)
    assert not errors
    assert commission is not None
    assert (commission.threshold, commission.members) == (2, [7, 9])


def test_every_problem_of_the_commission_form_is_reported_at_once() -> None:
    _, errors = parse_commission({"threshold": "", "member_7": "on"}, [7, 8, 9], shout)
    assert errors.fields == {
        "members": ["ky:Choose 2 to 9 commission members."],
        "threshold": ["ky:Enter a whole number."],
    }


def test_the_commission_form_keeps_the_apis_bounds() -> None:
    _, errors = parse_commission(ceremony(threshold="1"), [7, 8, 9], shout)
    assert errors.fields == {"threshold": ["ky:Must be at least 2."]}
    ten = {f"member_{n}": "on" for n in range(10)}
    _, errors = parse_commission({"threshold": "2", **ten}, list(range(10)), shout)
    assert errors.fields == {"members": ["ky:Choose 2 to 9 commission members."]}


def test_an_upload_needs_a_chosen_file_and_a_kind() -> None:
    _, errors = parse_upload({"kind": "", "file": UploadFile(content_type="application/pdf", filename="")}, shout)
    assert errors.fields == {"file": ["ky:Choose a file to attach."], "kind": ["ky:Choose one of the options."]}
    upload, errors = parse_upload(
        {"kind": "photo", "file": UploadFile(content_type="image/png", filename="a.png")}, shout
    )
    assert not errors
    assert upload is not None
    assert (upload.kind, upload.file.filename) == ("photo", "a.png")


def test_the_login_form_strips_the_email_but_never_the_password() -> None:
    login = parse_login({"email": " bidder@test.kg ", "password": " spaced ", "next": "/lots/1", "_csrf_token": "t"})
    assert (login.email, login.password, login.next) == ("bidder@test.kg", " spaced ", "/lots/1")
    assert "spaced" not in repr(login)
