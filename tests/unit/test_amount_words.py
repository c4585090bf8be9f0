"""The amount a bidder confirms before signing: in words (ky, ru, en), in figures as the site writes som, and the rule
that asks twice when a bid is far above the price. Python and the browser's amount.js are both checked against the
one case file, tests/data/amount_words.json, so the dialog says what the server-rendered pages say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from auction.bidding.confirmation import far_above, times_price
from auction.money import MAX_TYIYN
from auction.money_words import LANGUAGES, MAX_SOM, number_in_words, som_in_words
from tests.kit.node import needs_node, run_module
from web.lib.formatting import format_som

CASES: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "amount_words.json").read_text(encoding="utf-8")
)

WORDS = [(case["tyiyn"], language, case[language]) for case in CASES["words"] for language in LANGUAGES]
FIGURES = [(case["tyiyn"], language, case[language]) for case in CASES["figures"] for language in LANGUAGES]
FAR = [(case["amount"], case["price"], case["step"], case["far"]) for case in CASES["far_above"]]


@pytest.mark.parametrize(("tyiyn", "language", "words"), WORDS)
def test_an_amount_in_words(tyiyn: int, language: str, words: str) -> None:
    assert som_in_words(tyiyn, language) == words


@pytest.mark.parametrize(("tyiyn", "language", "figures"), FIGURES)
def test_an_amount_in_figures_as_the_site_writes_it(tyiyn: int, language: str, figures: str) -> None:
    assert format_som(tyiyn, language) == figures


@pytest.mark.parametrize(("amount", "price", "step", "far"), FAR)
def test_far_above(amount: int, price: int, step: int | None, far: bool) -> None:
    assert far_above(amount, price, step) is far


def test_the_brief_s_example_and_the_platform_s_largest_amount() -> None:
    assert (
        f"{format_som(2_800_000, 'ky')} — {som_in_words(2_800_000, 'ky')}"
        == "28\u00a0000\u00a0сом — жыйырма сегиз миң сом"
    )
    for language in LANGUAGES:
        som_in_words(MAX_TYIYN, language)  # the ceiling of any amount the platform accepts has words


def test_russian_agreement_for_every_count_of_thousands_and_millions() -> None:
    # 1, 21, 101 … одна тысяча; 2-4, 22 … две тысячи; 5-20, 11-14, 111-114 … тысяч; the same for миллион.
    for n in range(1, 1000):
        thousands = number_in_words(n * 1000, "ru").split()
        millions = number_in_words(n * 1_000_000, "ru").split()
        last = n % 10
        if 11 <= n % 100 <= 14 or last in (0, 5, 6, 7, 8, 9):
            assert (thousands[-1], millions[-1]) == ("тысяч", "миллионов"), n
        elif last == 1:
            assert (thousands[-2:], millions[-2:]) == (["одна", "тысяча"], ["один", "миллион"]), n
        else:
            assert (thousands[-1], millions[-1]) == ("тысячи", "миллиона"), n
            assert thousands[-2] != "два", n
            assert millions[-2] != "две", n


def test_kyrgyz_words_are_kyrgyz_numerals_only() -> None:
    # Every word of every number up to 2 000 (and their thousands and millions) is one of the Kyrgyz numerals.
    vocabulary = {
        "нөл",
        "бир",
        "эки",
        "үч",
        "төрт",
        "беш",
        "алты",
        "жети",
        "сегиз",
        "тогуз",
        "он",
        "жыйырма",
        "отуз",
        "кырк",
        "элүү",
        "алтымыш",
        "жетимиш",
        "сексен",
        "токсон",
        "жүз",
        "миң",
        "миллион",
        "миллиард",
    }
    for n in range(2001):
        for scaled in (n, n * 1000, n * 1_000_000, min(n * 1_000_000_000, MAX_SOM)):
            assert set(number_in_words(scaled, "ky").split()) <= vocabulary, scaled


@pytest.mark.parametrize("tyiyn", CASES["refused"])
def test_amounts_without_words_are_refused(tyiyn: int) -> None:
    with pytest.raises(ValueError):
        som_in_words(tyiyn, "ky")
    with pytest.raises(ValueError):
        som_in_words(100, "de")
    with pytest.raises(ValueError):
        number_in_words(MAX_SOM + 1, "en")


def test_times_price_for_the_warning() -> None:
    assert times_price(28_000_000, 2_800_000) == 10
    assert times_price(8_400_001, 2_800_000) == 3
    assert times_price(100, 0) == 0


RUNNER = """
const lib = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const job of JSON.parse(input)) {
  try {
    if (job.words !== undefined) results.push({ ok: lib.somInWords(job.words, job.language) });
    else if (job.figures !== undefined) results.push({ ok: lib.somInFigures(job.figures, job.language, job.unit) });
    else results.push({ ok: lib.farAbove(job.amount, job.price, job.step) });
  } catch (error) {
    results.push({ error: String(error.message) });
  }
}
process.stdout.write(JSON.stringify(results));
"""

UNIT = {"ky": "сом", "ru": "сом", "en": "som"}


@needs_node
def test_the_browser_says_the_same() -> None:
    jobs: list[dict[str, Any]] = [{"words": t, "language": lang} for t, lang, _ in WORDS]
    jobs += [{"figures": t, "language": lang, "unit": UNIT[lang]} for t, lang, _ in FIGURES]
    jobs += [{"amount": a, "price": p, "step": s} for a, p, s, _ in FAR]
    # And a spread of amounts up to the largest with words, judged by Python: the two never part ways.
    spread = [(n * 7_919_000_003_741) % (MAX_SOM * 100 + 100) for n in range(400)]
    jobs += [{"words": t, "language": lang} for t in spread for lang in LANGUAGES]
    jobs += [{"words": t, "language": "ky"} for t in CASES["refused"]]
    expected: list[object] = [w for *_, w in WORDS] + [f for *_, f in FIGURES] + [far for *_, far in FAR]
    expected += [som_in_words(t, lang) for t in spread for lang in LANGUAGES]
    results = run_module(RUNNER, "amount.js", jobs, timeout=60)
    answered = results[: len(expected)]
    assert [r.get("ok", r.get("error")) for r in answered] == expected
    assert all("error" in r for r in results[len(expected) :]), results[len(expected) :]
