"""An amount of tyiyn in words, in Kyrgyz, Russian and English, as a bidder reads it back before signing.

"28 000 som" becomes "жыйырма сегиз миң сом", "двадцать восемь тысяч сом", "twenty-eight thousand som"; tyiyn follow
when there are any ("… сом элүү тыйын"). Pure and dependency-free; web/static/js/amount.js says the same words and
tests/data/amount_words.json holds the cases both are checked against (change all three together).

Choices, the same in every language:
- the currency names do not change with the number: "сом" and "тыйын" (the form in official use, "5 сом"), "som"
  and "tyiyn" (as in "5 som");
- one of a scale is said: "бир миң", "одна тысяча", "one thousand"; a hundred is "жүз", "сто", "one hundred";
- Russian numerals agree with their noun: "одна тысяча", "две тысячи", "пять тысяч", "два миллиона", and the
  masculine "один сом", "два тыйын" (the invariable currency names are masculine);
- English has no "and" inside a number ("one hundred one"), so that "and" only joins som and tyiyn;
- zero som is said only when there are no tyiyn either: 0.50 som is "элүү тыйын".
"""

from __future__ import annotations

from typing import Final

from auction.money import TYIYN_PER_SOM

LANGUAGES: Final = ("ky", "ru", "en")
# Up to 999 999 999 999 som: past the platform's own ceiling (auction.money.MAX_TYIYN, ten billion som).
MAX_SOM: Final = 10**12 - 1

_KY_ONES = ("", "бир", "эки", "үч", "төрт", "беш", "алты", "жети", "сегиз", "тогуз")
_KY_TENS = ("", "он", "жыйырма", "отуз", "кырк", "элүү", "алтымыш", "жетимиш", "сексен", "токсон")
_KY_SCALES = ("", "миң", "миллион", "миллиард")

_RU_ONES_MASCULINE = ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять")
_RU_ONES_FEMININE = ("", "одна", "две", *_RU_ONES_MASCULINE[3:])
_RU_TEENS = (
    "десять",
    "одиннадцать",
    "двенадцать",
    "тринадцать",
    "четырнадцать",
    "пятнадцать",
    "шестнадцать",
    "семнадцать",
    "восемнадцать",
    "девятнадцать",
)
_RU_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят", "восемьдесят", "девяносто")
_RU_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот", "восемьсот", "девятьсот")
# Each scale's forms for one, two to four, and five and more; and whether its numerals are feminine.
_RU_SCALES: tuple[tuple[tuple[str, str, str], bool], ...] = (
    (("", "", ""), False),
    (("тысяча", "тысячи", "тысяч"), True),
    (("миллион", "миллиона", "миллионов"), False),
    (("миллиард", "миллиарда", "миллиардов"), False),
)

_EN_ONES = (
    "",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ("", "thousand", "million", "billion")

_ZERO = {"ky": "нөл", "ru": "ноль", "en": "zero"}
_SOM = {"ky": "сом", "ru": "сом", "en": "som"}
_TYIYN = {"ky": "тыйын", "ru": "тыйын", "en": "tyiyn"}
_JOIN = {"ky": " ", "ru": " ", "en": " and "}


def _groups(number: int) -> list[int]:
    """The number's groups of three digits, the lowest first: 1 234 567 -> [567, 234, 1]."""
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    return groups


def _ky_triple(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = []
    if hundreds:
        words += ([_KY_ONES[hundreds]] if hundreds > 1 else []) + ["жүз"]
    tens, ones = divmod(rest, 10)
    return words + [w for w in (_KY_TENS[tens], _KY_ONES[ones]) if w]


def _ru_triple(n: int, feminine: bool) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [_RU_HUNDREDS[hundreds]] if hundreds else []
    tens, ones = divmod(rest, 10)
    if tens == 1:
        return [*words, _RU_TEENS[ones]]
    if tens:
        words.append(_RU_TENS[tens])
    if ones:
        words.append((_RU_ONES_FEMININE if feminine else _RU_ONES_MASCULINE)[ones])
    return words


def _ru_form(n: int, forms: tuple[str, str, str]) -> str:
    """Russian agreement: 1, 21 тысяча; 2-4, 22 тысячи; 5-20, 25, 11-14 тысяч."""
    if 11 <= n % 100 <= 14:
        return forms[2]
    if n % 10 == 1:
        return forms[0]
    return forms[1] if 2 <= n % 10 <= 4 else forms[2]


def _en_triple(n: int) -> list[str]:
    hundreds, rest = divmod(n, 100)
    words = [_EN_ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_EN_ONES[rest])
    return words


def number_in_words(number: int, language: str) -> str:
    """A whole number from 0 to ``MAX_SOM`` in words: ``number_in_words(21, "ky") == "жыйырма бир"``."""
    if language not in LANGUAGES:
        raise ValueError(f"no words for the language {language!r}")
    if not 0 <= number <= MAX_SOM:
        raise ValueError(f"{number} is outside 0 to {MAX_SOM}")
    if number == 0:
        return _ZERO[language]
    words: list[str] = []
    for scale, group in reversed(list(enumerate(_groups(number)))):
        if not group:
            continue
        if language == "ky":
            words += _ky_triple(group) + ([_KY_SCALES[scale]] if scale else [])
        elif language == "ru":
            forms, feminine = _RU_SCALES[scale]
            words += _ru_triple(group, feminine) + ([_ru_form(group, forms)] if scale else [])
        else:
            words += _en_triple(group) + ([_EN_SCALES[scale]] if scale else [])
    return " ".join(words)


def som_in_words(tyiyn: int, language: str) -> str:
    """An amount of tyiyn in words: ``som_in_words(2_800_000, "ky") == "жыйырма сегиз миң сом"``."""
    if isinstance(tyiyn, bool) or not isinstance(tyiyn, int) or tyiyn < 0:
        raise ValueError(f"{tyiyn!r} is not a whole, non-negative number of tyiyn")
    som, rest = divmod(tyiyn, TYIYN_PER_SOM)
    parts = []
    if som or not rest:
        parts.append(f"{number_in_words(som, language)} {_SOM[language]}")
    if rest:
        parts.append(f"{number_in_words(rest, language)} {_TYIYN[language]}")
    return _JOIN[language].join(parts)
