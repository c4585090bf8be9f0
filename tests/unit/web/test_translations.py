"""The catalogs are complete and consistent, and every refusal's code is registered, raised and translated."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from auction import errors
from auction.ledger.verifier.auction_rules import RuleBreach
from auction.refusals import MOMENT_SUFFIX, MONEY_SUFFIX, REFUSALS, Param, Problem, render
from web.lib.i18n.catalogs import LANGUAGES, LOCALE_DIR, translate, translations
from web.lib.i18n.domain_messages import ENUM_PARAMS, PAGE_WORDING, explain, explain_refusal, local_value, page_template

ROOT = Path(__file__).resolve().parents[3]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
# The names a refusal is built with: every DomainError subclass, the pure rules' Problem, and the bidding rules'
# RuleBreach (the offline verifier's, which carries codes but no words).
REFUSAL_CLASSES = frozenset(
    name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, errors.DomainError)
) | {Problem.__name__, RuleBreach.__name__}
# Keywords of a refusal that are not values of its template.
NOT_PARAMS = frozenset({"field", "retry_after"})
# Where the refusal classes are defined, passing a code they were given on.
DEFINITIONS = frozenset({ROOT / "auction" / "errors.py", ROOT / "auction" / "refusals.py"})


def extracted() -> set[str]:
    """Every message the code and templates use now, extracted as ``pybabel extract`` does."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]  # babel is untyped here
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(ROOT, method_map, options_map):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str) -> Catalog:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


def translated(language: str) -> set[str]:
    return {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog(language)
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }


@pytest.fixture(scope="module")
def messages() -> set[str]:
    return extracted()


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_message_is_translated(messages: set[str], language: str) -> None:
    missing = sorted(messages - translated(language))
    assert missing == [], f"run pybabel extract + update (see babel.cfg) and translate: {missing}"


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_translations_keep_their_placeholders(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string or ())
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            assert set(PLACEHOLDER.findall(string or "")) == expected, (message.id, string)


@pytest.mark.parametrize("language", ["ky", "ru"])
def test_every_refusal_has_a_translation(language: str) -> None:
    """Both what the API says and what a page shows, so a client and a page reader get the reader's language."""
    done = translated(language)
    missing = sorted(code for code in REFUSALS if REFUSALS[code] not in done or page_template(code) not in done)
    assert missing == []


def is_refusal(call: ast.Call) -> bool:
    """A refusal class called by name, or a subclass naming its own code (InvalidTerms) in ``super().__init__``.

    Other exceptions call ``super().__init__`` with a message; only a literal code there counts as a refusal.
    """
    if isinstance(call.func, ast.Name):
        return call.func.id in REFUSAL_CLASSES
    return (
        bool(call.args)
        and isinstance(call.args[0], ast.Constant)
        and isinstance(call.args[0].value, str)
        and "." in call.args[0].value
        and " " not in call.args[0].value
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "__init__"
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "super"
    )


def refusal_constructions(folder: Path) -> Iterator[tuple[str, ast.Call]]:
    """Every construction of a refusal under ``folder``, with where it is; the classes' own module aside."""
    for path in sorted(folder.rglob("*.py")):
        if path in DEFINITIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and is_refusal(node):
                yield f"{path.name}:{node.lineno}", node


def check_raise_sites(*folders: Path) -> tuple[set[str], list[str]]:
    """The codes raised under ``folders``, and what is wrong with any site: an unknown code, a value missing."""
    codes: set[str] = set()
    wrong: list[str] = []
    for folder in folders:
        for where, call in refusal_constructions(folder):
            first = call.args[0] if call.args else None
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                wrong.append(f"{where}: the code is not a literal (build from a Problem with .of)")
                continue
            code = first.value
            if code not in REFUSALS:
                wrong.append(f"{where}: {code!r} is not in auction/refusals.py")
                continue
            names = {k.arg for k in call.keywords} - NOT_PARAMS
            expected = set(PLACEHOLDER.findall(REFUSALS[code]))
            if names != expected:
                wrong.append(f"{where}: {code} takes {sorted(expected)}, is given {sorted(map(str, names))}")
            codes.add(code)
    return codes, wrong


def test_every_refusal_is_raised_with_a_registered_code_and_its_values() -> None:
    codes, wrong = check_raise_sites(ROOT / "auction", ROOT / "web")
    assert wrong == []
    assert sorted(set(REFUSALS) - codes) == [], "registered codes that nothing raises"


def test_the_check_names_an_unknown_code_a_missing_value_and_a_computed_code(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        'raise Conflict("lot.nonexistent")\nraise NotFound("lot.not_found")\nraise InvalidInput(words)\n'
    )
    codes, wrong = check_raise_sites(tmp_path)
    assert codes == {"lot.not_found"}
    assert len(wrong) == 3
    assert "lot.nonexistent" in wrong[0]
    assert "lot_id" in wrong[1]
    assert "not a literal" in wrong[2]


def test_page_wording_names_real_codes_and_only_their_values() -> None:
    for code, template in PAGE_WORDING.items():
        assert code in REFUSALS, code
        assert set(PLACEHOLDER.findall(template)) <= set(PLACEHOLDER.findall(REFUSALS[code])), code


def sample_value(name: str) -> Param:
    if name.endswith(MONEY_SUFFIX):
        return 123_456_750
    if name.endswith(MOMENT_SUFFIX):
        return "2026-06-08T09:05:00.000000Z"
    kind = ENUM_PARAMS.get(name)
    if kind is not None:
        return str(next(iter(kind)).value)
    return 7


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_reads_in_every_language(code: str) -> None:
    params = {name: sample_value(name) for name in PLACEHOLDER.findall(REFUSALS[code])}
    english = render(code, params)
    assert "%(" not in english
    assert "%%" not in english
    for language in LANGUAGES:
        shown = explain(code, params, language)
        assert "%(" not in shown, (language, shown)
        if language != "en":
            assert translate(language, page_template(code)) != page_template(code), (language, code)
        if any(name.endswith(MONEY_SUFFIX) for name in params):
            assert "1 234 567,50" in shown.replace("\u00a0", " ") or "1,234,567.50" in shown, shown


def test_money_and_moments_are_written_for_the_reader() -> None:
    too_low = errors.InvalidInput("bid.too_low", minimum_tyiyn=10_500_000)
    assert too_low.message == "The minimum bid now is 10500000 tyiyn."
    assert explain_refusal(too_low, "ru") == "Минимальная ставка сейчас — 105\u00a0000\u00a0сом."
    late = errors.Conflict("bid.too_late", closed_at="2026-06-08T09:05:00.000000Z")
    assert late.message == "Bidding closed at 8 June 2026, 15:05 (Bishkek); this bid came too late."
    assert local_value("closed_at", late.params["closed_at"], "ru") == "8 июня 2026\u202fг., 15:05"  # Bishkek, UTC+6


def test_the_compiled_catalog_agrees_with_its_source() -> None:
    """A stale .mo is ignored in favour of the .po, so either way the site shows the .po's words."""
    assert translations("ky").gettext("Lots") == "Лоттор"
    assert translations("ru").ngettext("%(num)d month", "%(num)d months", 3) == "%(num)d месяца"
    assert translations("en").gettext("Lots") == "Lots"
