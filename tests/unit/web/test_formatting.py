"""Money, moments and the lot form's conversions, without a server."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from auction.lots.schemas import LotCreate
from auction.money import MAX_TYIYN
from web.lib.formatting import countdown_text, format_moment, format_som, moment_input, som_decimal, som_input
from web.officer.forms import parse_lot_form


@pytest.mark.parametrize(
    ("tyiyn", "language", "text"),
    [
        (125_000_050, "ru", "1\u00a0250\u00a0000,50\u00a0сом"),
        (125_000_050, "ky", "1\u00a0250\u00a0000,50\u00a0сом"),
        (125_000_050, "en", "1,250,000.50\u00a0som"),
        (85_000_000, "ru", "850\u00a0000\u00a0сом"),
        (1, "en", "0.01\u00a0som"),
        (0, "ky", "0\u00a0сом"),
        (MAX_TYIYN, "en", "10,000,000,000\u00a0som"),
        (MAX_TYIYN - 1, "en", "9,999,999,999.99\u00a0som"),
    ],
)
def test_som_in_each_locale(tyiyn: int, language: str, text: str) -> None:
    assert format_som(tyiyn, language) == text


def test_tyiyn_become_som_exactly() -> None:
    assert som_decimal(MAX_TYIYN - 1) == Decimal("9999999999.99")
    assert som_decimal(10) == Decimal("0.1")
    assert [som_input(t) for t in (125_000_050, 100, 5, None)] == ["1250000.50", "1", "0.05", ""]


def test_moments_are_shown_in_bishkek_time() -> None:
    moment = datetime(2026, 12, 31, 20, 30, tzinfo=UTC)  # already 1 January in Bishkek
    assert format_moment(moment, "ru") == "1 января 2027\u202fг., 02:30"
    assert format_moment(moment.replace(tzinfo=None), "en") == "January 1, 2027, 2:30\u202fAM"  # naive = UTC
    assert moment_input(moment) == "2027-01-01T02:30"
    assert format_moment(None, "ky") == "—"


def test_countdown_text() -> None:
    assert countdown_text(2 * 86400 + 3 * 3600 + 4 * 60 + 5, "d") == "2\u00a0d 03:04:05"
    assert countdown_text(59, "күн") == "00:00:59"
    assert countdown_text(-5, "d") == "00:00:00"


FORM = {
    "deal": "sale",
    "kind": "other",
    "format": "open_ascending",
    "title_ru": "Котельная",
    "address": "Tokmok",
    "starting_price": "0.10",
    "bid_step": "0,01",
    "deposit": "0",
    "applications_close_at": "2027-01-01T02:30",
    "bidding_opens_at": "2027-01-02 10:00",
    "bidding_closes_at": "2027-01-02T13:00+06:00",
}


def test_the_lot_form_converts_som_and_bishkek_time_exactly() -> None:
    terms, errors = parse_lot_form(FORM, LotCreate, str, may_choose_municipality=False)
    assert not errors
    assert terms is not None
    assert (terms.starting_price, terms.bid_step, terms.deposit) == (10, 1, 0)
    assert terms.applications_close_at == datetime(2026, 12, 31, 20, 30, tzinfo=UTC)
    assert terms.bidding_opens_at == datetime(2027, 1, 2, 4, 0, tzinfo=UTC)
    assert terms.bidding_closes_at == datetime(2027, 1, 2, 7, 0, tzinfo=UTC)
    assert terms.title_en is None  # blank optional fields stay unset


def test_an_officer_cannot_pick_a_municipality_but_an_admin_can() -> None:
    form = {**FORM, "municipality_id": "7"}
    officer, _ = parse_lot_form(form, LotCreate, str, may_choose_municipality=False)
    admin, _ = parse_lot_form(form, LotCreate, str, may_choose_municipality=True)
    assert officer is not None
    assert admin is not None
    assert (officer.municipality_id, admin.municipality_id) == (None, 7)


@pytest.mark.parametrize("amount", ["1.234", "-5", "1e3", "12 34,5,6", "сто"])
def test_amounts_that_are_not_som_are_refused_at_their_field(amount: str) -> None:
    terms, errors = parse_lot_form({**FORM, "bid_step": amount}, LotCreate, str, may_choose_municipality=False)
    assert terms is None
    assert list(errors.fields) == ["bid_step"]
