"""Every notice reads in Kyrgyz, Russian and English with the values its kind promises; amounts in som, moments in
Bishkek, the lot's title in the reader's language and a link to the lot."""

from __future__ import annotations

import re

import pytest

from auction.notifications.kinds import LANGUAGES, NOTICE_KINDS, Audience, choosable_kinds
from auction.notifications.messages import MESSAGES, render

SAMPLE: dict[str, str | int] = {
    "opens_at": "2026-06-08T03:00:00Z",
    "closes_at": "2026-06-08T09:05:00Z",
    "sign_deadline_at": "2026-06-18T09:05:00Z",
    "due_at": "2026-06-08T03:00:00Z",
    "amount_tyiyn": 2_800_000,
    "reason": "—",
    "reset_link": "https://achyk.test/account/password-reset/abc",
    "minutes": 60,
    "search_name": "Naryn lease",
    "starting_price_tyiyn": 1_500_000,
}
LOT: dict[str, str | int] = {"lot_id": 47, "lot_title_ky": "Дүкөн", "lot_title_ru": "Магазин", "lot_title_en": "Shop"}


def test_every_kind_has_a_message_in_every_language() -> None:
    assert set(MESSAGES) == set(NOTICE_KINDS)
    for kind, languages in MESSAGES.items():
        assert set(languages) == set(LANGUAGES), kind


@pytest.mark.parametrize("kind", sorted(NOTICE_KINDS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_each_message_renders_with_what_its_kind_needs(kind: str, language: str) -> None:
    notice = NOTICE_KINDS[kind]
    params = {name: SAMPLE[name] for name in notice.needs}
    if notice.about_lot:
        params.update(LOT)
    rendered = render(kind, params, language, "https://achyk.test/")
    assert "{" not in rendered.subject + rendered.body
    if notice.about_lot:
        title = {"ky": "Дүкөн", "ru": "Магазин", "en": "Shop"}[language]
        assert title in rendered.subject
        assert "https://achyk.test/lots/47" in rendered.body


def test_amounts_are_in_som_and_moments_in_bishkek() -> None:
    rendered = render("bid.outbid", {**LOT, "amount_tyiyn": 2_800_000, "closes_at": "2026-06-08T09:05:00Z"}, "ky", "")
    assert "28\u00a0000\u00a0сом" in rendered.body  # as the site writes it, with no tyiyn when there are none
    assert "08.06.2026 15:05 (Бишкек убактысы)" in rendered.body  # UTC+6
    english = render("bid.outbid", {**LOT, "amount_tyiyn": 2_800_000, "closes_at": "2026-06-08T09:05:00Z"}, "en", "")
    assert "28,000\u00a0som" in english.body
    with_tyiyn = render("bid.outbid", {**LOT, "amount_tyiyn": 2_800_050, "closes_at": "2026-06-08T09:05:00Z"}, "ru", "")
    assert "28\u00a0000,50\u00a0сом" in with_tyiyn.body  # a decimal comma in Russian and Kyrgyz


def test_a_title_missing_in_the_readers_language_falls_back_and_an_unknown_language_reads_russian() -> None:
    rendered = render("auction.closed", {"lot_id": 3, "lot_title_ru": "Участок"}, "ky", "")
    assert rendered.subject == "Соода жабылды: Участок"
    assert render("auction.closed", {"lot_id": 3}, "de", "").subject == "Торги завершены: #3"


def test_an_sms_is_the_subject_and_the_first_paragraph() -> None:
    rendered = render("account.password_reset", SAMPLE, "en", "")
    assert rendered.short.splitlines()[0] == "Achyk: reset your password"
    assert re.search(r"https://achyk.test/account/password-reset/abc", rendered.short)


def test_a_password_reset_cannot_be_switched_off_and_officers_choose_their_own_kinds() -> None:
    assert "account.password_reset" not in choosable_kinds(Audience.BIDDER)
    assert "application.new" in choosable_kinds(Audience.OFFICER)
    assert "application.new" not in choosable_kinds(Audience.BIDDER)
