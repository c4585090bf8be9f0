"""The units file's checks: every problem is named with the line it is on, and a good file comes out parents first."""

from __future__ import annotations

from pathlib import Path

import pytest

from auction.municipalities.models import MunicipalityLevel
from auction.municipalities.pilot import PILOT
from auction.municipalities.units_csv import HEADER, KnownUnit, UnitsFile, parse_units

ROOT = Path(__file__).resolve().parents[3]
PILOTS_CSV = ROOT / "data" / "municipalities" / "pilots.csv"
HEAD = ",".join(HEADER)


def units(*lines: str, known: dict[str, KnownUnit] | None = None) -> UnitsFile:
    return parse_units("\n".join([HEAD, *lines, ""]).encode(), known)


def found(parsed: UnitsFile) -> list[tuple[int, str, str | None]]:
    return [(p.line, p.problem.code, p.problem.field) for p in parsed.problems]


REGION = "chui,region,,Чүй облусу,Чуйская область,Chui Region,41708000000000,false"


def test_a_good_file_has_no_problems_and_its_values() -> None:
    parsed = units(REGION, "tokmok,city,chui,Токмок,Токмок,Tokmok,,TRUE")
    assert parsed.problems == []
    region, city = parsed.rows
    assert (region.code, region.level, region.parent_code, region.classifier_code) == (
        "chui",
        MunicipalityLevel.REGION,
        None,
        "41708000000000",
    )
    assert (region.owns_property, city.owns_property) == (False, True)
    assert (city.line, city.parent_code, city.classifier_code, city.name_ru) == (3, "chui", None, "Токмок")


def test_children_before_their_parents_are_put_after_them() -> None:
    parsed = units(
        "santash,aiyl_okmotu,tyup,С,С,S,,true",
        "tyup,district,issyk-kul,Т,Т,T,,true",
        "issyk-kul,region,,И,И,I,,false",
    )
    assert parsed.problems == []
    assert [row.code for row in parsed.rows] == ["issyk-kul", "tyup", "santash"]
    assert [row.line for row in parsed.rows] == [4, 3, 2]


@pytest.mark.parametrize(
    ("line", "problem", "field"),
    [
        ("tokmok,city,osh,Т,Т,T,,true", "units.parent_unknown", "parent_code"),
        ("Tokmok City,city,,Т,Т,T,,true", "units.code_malformed", "code"),
        ("tokmok,town,,Т,Т,T,,true", "units.level_unknown", "level"),
        ("tokmok,city,,Т,,T,,true", "units.name_missing", "name_ru"),
        ("tokmok,city,,Т,Т,T,4170-8,true", "units.classifier_malformed", "classifier_code"),
        ("tokmok,city,,Т,Т,T,,yes", "units.owns_property_malformed", "owns_property"),
        ("tokmok,city,,Т,Т,T,,true,extra", "units.columns_wrong", None),
        ("nookat,district,,Н,Н,N,,true", "units.parent_missing", "parent_code"),
        ("kara-too,aiyl_okmotu,,К,К,K,,true", "units.parent_missing", "parent_code"),
        ("sub,region,chui,С,С,S,,false", "units.parent_level_wrong", "parent_code"),
        ("tokmok,city,,Т,Т,T,41708000000000,true", "units.classifier_duplicate", "classifier_code"),
        ("chui,region,,Ч,Ч,C,,false", "units.code_duplicate", "code"),
    ],
)
def test_each_problem_is_named_on_its_line(line: str, problem: str, field: str | None) -> None:
    parsed = units(REGION, line)
    assert found(parsed) == [(3, problem, field)]
    assert parsed.rows == []  # nothing to import from a file with a problem


def test_a_city_under_an_aiyl_okmotu_is_refused_with_both_levels() -> None:
    parsed = units(
        REGION,
        "nookat,district,chui,Н,Н,N,,true",
        "kara-too,aiyl_okmotu,nookat,К,К,K,,true",
        "town,city,kara-too,Г,Г,T,,true",
    )
    assert found(parsed) == [(5, "units.parent_level_wrong", "parent_code")]
    assert parsed.problems[0].problem.params == {
        "level": "city",
        "parent": "kara-too",
        "parent_level": "aiyl_okmotu",
    }
    assert str(parsed.problems[0]).startswith("line 5 (parent_code): A unit of level city cannot be under 'kara-too'")


def test_a_cycle_is_named_once_with_its_chain() -> None:
    parsed = units(
        REGION,
        "a,city,b,А,А,A,,true",
        "b,district,a,Б,Б,B,,true",
    )
    cycle = [p for p in parsed.problems if p.problem.code == "units.cycle"]
    assert [(p.line, p.problem.params["chain"]) for p in cycle] == [(3, "a > b > a")]


def test_a_cycle_through_units_already_loaded_is_found() -> None:
    known = {
        "r": KnownUnit(MunicipalityLevel.REGION, None, None),
        "d": KnownUnit(MunicipalityLevel.DISTRICT, "r", None),
        "c": KnownUnit(MunicipalityLevel.CITY, "d", None),
    }
    # The district moves under the city that is under it.
    parsed = units("d,district,c,Д,Д,D,,true", known=known)
    assert [(p.line, p.problem.code) for p in parsed.problems] == [(2, "units.cycle")]


def test_every_problem_of_a_file_is_reported_at_once_in_line_order() -> None:
    parsed = units(
        "r1,region,,A,B,C,,false",
        "r1,region,,A,B,C,,false",
        "d1,district,r9,A,B,C,,true",
        "d2,district,r1,A,B,,12x,maybe",
        "ao,aiyl_okmotu,d2,A,B,C,,true",
    )
    assert found(parsed) == [
        (3, "units.code_duplicate", "code"),
        (4, "units.parent_unknown", "parent_code"),
        (5, "units.name_missing", "name_en"),
        (5, "units.classifier_malformed", "classifier_code"),
        (5, "units.owns_property_malformed", "owns_property"),
        # Line 6's parent is on line 5, whose problems are its own: line 6 is not blamed for them.
    ]


def test_the_header_must_be_exact() -> None:
    parsed = parse_units(b"code,level,parent,name_ky,name_ru,name_en,classifier_code,owns_property\n")
    assert found(parsed) == [(1, "units.header_wrong", None)]


def test_a_file_not_in_utf8_is_refused_at_the_line_of_the_first_bad_byte() -> None:
    data = f"{HEAD}\n{REGION}\n".encode() + "bishkek,city,,Бишкек,Бишкек,Bishkek,,true\n".encode("cp1251")
    assert found(parse_units(data)) == [(3, "units.not_utf8", None)]


def test_a_spreadsheets_byte_order_mark_crlf_quotes_and_blank_lines_are_read() -> None:
    quoted = 'ala-buka,district,chui,"Ала-Бука, району","Ала-Букинский район",Ala-Buka,,true'
    data = f"\ufeff{HEAD}\r\n{REGION}\r\n\r\n{quoted}\r\n"
    parsed = parse_units(data.encode())
    assert parsed.problems == []
    assert parsed.rows[1].name_ky == "Ала-Бука, району"
    assert parsed.rows[1].line == 4


def test_a_unit_keeps_its_level_and_its_classifier_code_stays_unique() -> None:
    known = {
        "chui": KnownUnit(MunicipalityLevel.REGION, None, "41708000000000"),
        "tokmok": KnownUnit(MunicipalityLevel.CITY, "chui", "41708400000000"),
    }
    parsed = units(
        "tokmok,district,chui,Т,Т,T,,true",
        "kant,city,chui,К,К,K,41708000000000,true",
        known=known,
    )
    assert found(parsed) == [(2, "units.level_changed", "level"), (3, "units.classifier_taken", "classifier_code")]
    # A unit re-imported with its own code, or taking one the file moves away from another unit, is fine.
    moved = units(
        "chui,region,,Ч,Ч,C,41708000000001,false",
        "tokmok,city,chui,Т,Т,T,41708000000000,true",
        known=known,
    )
    assert moved.problems == []


def test_a_parent_loaded_before_may_be_named() -> None:
    parsed = units("kant,city,chui,К,К,K,,true", known={"chui": KnownUnit(MunicipalityLevel.REGION, None, None)})
    assert parsed.problems == []


def test_the_sample_file_is_the_pilot() -> None:
    parsed = parse_units(PILOTS_CSV.read_bytes())
    assert parsed.problems == []
    rows = {row.code: row for row in parsed.rows}
    assert set(rows) == {code for code, *_ in PILOT}
    for code, level, parent, ky, ru, en in PILOT:
        row = rows[code]
        assert (row.level, row.parent_code, row.name_ky, row.name_ru, row.name_en) == (level, parent, ky, ru, en)
    owners = {code for code, row in rows.items() if row.owns_property}
    assert {"tokmok", "naryn", "nookat", "batken", "tyup", "jalal-abad", "talas"} <= owners
    assert "chui" not in owners


def test_six_hundred_rows_in_any_order_are_ordered_parents_first() -> None:
    lines = []
    for r in range(7):
        for d in range(6):
            for a in range(14):
                lines.append(
                    f"ao-{r}-{d}-{a},aiyl_okmotu,d-{r}-{d},А,А,A,{417_00000_00000 + r * 10000 + d * 100 + a},true"
                )
            lines.append(f"d-{r}-{d},district,r-{r},Р,Р,D,,true")
        lines.append(f"r-{r},region,,О,О,R,,false")
    parsed = units(*lines)
    assert parsed.problems == []
    assert len(parsed.rows) == 7 * 6 * 15 + 7
    seen: set[str] = set()
    for row in parsed.rows:
        assert row.parent_code is None or row.parent_code in seen
        seen.add(row.code)
