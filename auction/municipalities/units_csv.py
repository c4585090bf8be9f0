"""The administrative units file (docs/municipalities.md): parsed and checked without I/O, every problem by line.

An administrator loads the state's list of regions, districts, cities and aiyl okmotu from one CSV file. This
module reads the file and says everything that is wrong with it at once, each problem with the line it is on, so
the person fixing the file in a spreadsheet does it in one pass. It also orders the rows parents first, whatever
order the file has, so the import can insert a parent before its children.

The checks see the units already on the platform (``existing``): a file may name a parent that an earlier file
loaded, and must not give a unit a classifier code another unit already has.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auction.municipalities.models import MunicipalityLevel
from auction.refusals import Problem

HEADER = ("code", "level", "parent_code", "name_ky", "name_ru", "name_en", "classifier_code", "owns_property")
# A code names a unit in URLs and commands: lowercase Latin letters, digits and inner hyphens.
CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
# The state classifier of administrative-territorial units (SOATE) gives 14 digits; allow up to the column.
CLASSIFIER = re.compile(r"[0-9]{1,20}")
NAME_MAX = 200
BOOLEANS = {"true": True, "false": False}
# Which level may sit under which (None: at the top). Cities of republican significance (Bishkek, Osh) have no
# region; cities of regional significance sit in a region, those of district significance in a district; a
# district of a city (Bishkek's four) sits in its city; aiyl okmotu are the lowest level.
ALLOWED_PARENTS: Mapping[MunicipalityLevel, frozenset[MunicipalityLevel | None]] = {
    MunicipalityLevel.REGION: frozenset({None}),
    MunicipalityLevel.DISTRICT: frozenset({MunicipalityLevel.REGION, MunicipalityLevel.CITY}),
    MunicipalityLevel.CITY: frozenset({None, MunicipalityLevel.REGION, MunicipalityLevel.DISTRICT}),
    MunicipalityLevel.AIYL_OKMOTU: frozenset({MunicipalityLevel.DISTRICT, MunicipalityLevel.CITY}),
}


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One administrative unit as the file gives it."""

    line: int
    code: str
    level: MunicipalityLevel
    parent_code: str | None
    name_ky: str
    name_ru: str
    name_en: str
    classifier_code: str | None
    owns_property: bool


@dataclass(frozen=True, slots=True)
class KnownUnit:
    """A unit already on the platform, as far as the checks need it."""

    level: MunicipalityLevel
    parent_code: str | None
    classifier_code: str | None


@dataclass(frozen=True, slots=True)
class UnitProblem:
    """What is wrong, and on which line of the file (1 is the header)."""

    line: int
    problem: Problem

    def __str__(self) -> str:
        column = f" ({self.problem.field})" if self.problem.field else ""
        return f"line {self.line}{column}: {self.problem.message}"


@dataclass(slots=True)
class UnitsFile:
    """The rows, parents before children, and every problem found; rows are to be imported only without problems."""

    rows: list[UnitRow] = field(default_factory=list)
    problems: list[UnitProblem] = field(default_factory=list)

    def add(self, line: int, problem: Problem) -> None:
        self.problems.append(UnitProblem(line, problem))


def parse_units(data: bytes, existing: Mapping[str, KnownUnit] | None = None) -> UnitsFile:
    """Read and check a units file; ``existing`` are the units on the platform by code."""
    known = existing or {}
    result = UnitsFile()
    text = _decoded(data, result)
    if text is None:
        return result
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != HEADER:
            result.add(1, Problem("units.header_wrong", header=",".join(HEADER)))
            return result
        rows, unusable = _rows(reader, result)
    except csv.Error as broken:
        result.add(reader.line_num, Problem("units.csv_malformed", reason=str(broken)))
        return result
    _check_links(rows, unusable, known, result)
    result.problems.sort(key=lambda found: found.line)
    if not result.problems:
        result.rows = _parents_first(rows, known)
    return result


def _decoded(data: bytes, result: UnitsFile) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as bad:
        result.add(data[: bad.start].count(b"\n") + 1, Problem("units.not_utf8"))
        return None
    return text.removeprefix("\ufeff")  # the byte-order mark spreadsheets put first


def _rows(reader: Any, result: UnitsFile) -> tuple[list[UnitRow], set[str]]:
    """The usable rows, and the codes of rows with problems of their own (already reported on their lines)."""
    rows: list[UnitRow] = []
    unusable: set[str] = set()
    first_line: dict[str, int] = {}
    for cells in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, as spreadsheets leave at the end
        if len(cells) != len(HEADER):
            result.add(line, Problem("units.columns_wrong", count=len(cells), expected=len(HEADER)))
            continue
        values = dict(zip(HEADER, (cell.strip() for cell in cells), strict=True))
        row = _row(line, values, result)
        if row is None:
            unusable.add(values["code"])
            continue
        if row.code in first_line:
            problem = Problem("units.code_duplicate", field="code", code=row.code, first_line=first_line[row.code])
            result.add(line, problem)
            continue
        first_line[row.code] = line
        rows.append(row)
    return rows, unusable


def _row(line: int, cells: dict[str, str], result: UnitsFile) -> UnitRow | None:
    """One row's own values, or None (its problems noted) when any is unusable."""
    before = len(result.problems)
    code, level, parent = cells["code"], cells["level"], cells["parent_code"]
    if not CODE.fullmatch(code):
        result.add(line, Problem("units.code_malformed", field="code", code=code))
    if level not in {member.value for member in MunicipalityLevel}:
        levels = ", ".join(member.value for member in MunicipalityLevel)
        result.add(line, Problem("units.level_unknown", field="level", level=level, levels=levels))
    if parent and not CODE.fullmatch(parent):
        result.add(line, Problem("units.code_malformed", field="parent_code", code=parent))
    for name in ("name_ky", "name_ru", "name_en"):
        if not cells[name]:
            result.add(line, Problem("units.name_missing", field=name))
        elif len(cells[name]) > NAME_MAX:
            result.add(line, Problem("units.name_too_long", field=name, max_length=NAME_MAX))
    classifier = cells["classifier_code"]
    if classifier and not CLASSIFIER.fullmatch(classifier):
        result.add(line, Problem("units.classifier_malformed", field="classifier_code", classifier=classifier))
    owns = cells["owns_property"].lower()
    if owns not in BOOLEANS:
        result.add(line, Problem("units.owns_property_malformed", field="owns_property", value=cells["owns_property"]))
    if len(result.problems) > before:
        return None
    return UnitRow(
        line=line,
        code=code,
        level=MunicipalityLevel(level),
        parent_code=parent or None,
        name_ky=cells["name_ky"],
        name_ru=cells["name_ru"],
        name_en=cells["name_en"],
        classifier_code=classifier or None,
        owns_property=BOOLEANS[owns],
    )


def _check_links(rows: list[UnitRow], unusable: set[str], known: Mapping[str, KnownUnit], result: UnitsFile) -> None:
    """Parents that exist at an allowed level, classifier codes used once, levels kept, and no cycles.

    A parent whose own line has problems is not checked again here: its line already says what to fix.
    """
    in_file = {row.code: row for row in rows}
    levels = {code: unit.level for code, unit in known.items()} | {row.code: row.level for row in rows}
    classifier_owner = {unit.classifier_code: code for code, unit in known.items() if unit.classifier_code}
    # A unit the file leaves out keeps its code; one the file gives a new code releases the old one.
    for row in rows:
        if row.code in known and known[row.code].classifier_code:
            classifier_owner.pop(known[row.code].classifier_code or "", None)
    classifier_line: dict[str, UnitRow] = {}
    for row in rows:
        old = known.get(row.code)
        if old is not None and old.level != row.level:
            result.add(
                row.line,
                Problem("units.level_changed", field="level", code=row.code, level=row.level, was=old.level),
            )
        if row.parent_code in unusable and row.parent_code not in levels:
            pass
        elif row.parent_code is not None and row.parent_code not in levels:
            result.add(row.line, Problem("units.parent_unknown", field="parent_code", parent=row.parent_code))
        else:
            parent_level = levels[row.parent_code] if row.parent_code is not None else None
            if parent_level not in ALLOWED_PARENTS[row.level]:
                result.add(row.line, _placement_problem(row, parent_level))
        if row.classifier_code:
            first = classifier_line.get(row.classifier_code)
            owner = classifier_owner.get(row.classifier_code)
            if first is not None:
                result.add(
                    row.line,
                    Problem(
                        "units.classifier_duplicate",
                        field="classifier_code",
                        classifier=row.classifier_code,
                        first_line=first.line,
                    ),
                )
            elif owner is not None and owner != row.code and owner not in in_file:
                result.add(
                    row.line,
                    Problem(
                        "units.classifier_taken", field="classifier_code", classifier=row.classifier_code, code=owner
                    ),
                )
            classifier_line.setdefault(row.classifier_code, row)
    _check_cycles(rows, known, result)


def _placement_problem(row: UnitRow, parent_level: MunicipalityLevel | None) -> Problem:
    if parent_level is None:
        return Problem("units.parent_missing", field="parent_code", level=row.level)
    return Problem(
        "units.parent_level_wrong",
        field="parent_code",
        level=row.level,
        parent=row.parent_code or "",
        parent_level=parent_level,
    )


def _check_cycles(rows: list[UnitRow], known: Mapping[str, KnownUnit], result: UnitsFile) -> None:
    """A unit that is, through its parents, its own ancestor: reported once per cycle, on its first line."""
    parent_of = {code: unit.parent_code for code, unit in known.items()} | {row.code: row.parent_code for row in rows}
    line_of = {row.code: row.line for row in rows}
    settled: set[str] = set()
    for row in rows:
        path: list[str] = []
        current: str | None = row.code
        while current is not None and current not in settled and current not in path:
            path.append(current)
            current = parent_of.get(current)
        if current is not None and current in path:
            cycle = path[path.index(current) :]
            in_file = sorted((line_of[code], code) for code in cycle if code in line_of)
            if in_file:
                chain = " > ".join([*cycle, current])
                result.add(in_file[0][0], Problem("units.cycle", field="parent_code", chain=chain))
        settled.update(path)


def _parents_first(rows: list[UnitRow], known: Mapping[str, KnownUnit]) -> list[UnitRow]:
    """The rows ordered by depth (a unit's parents above it), stable within a depth: the file has no cycles here."""
    parent_of = {code: unit.parent_code for code, unit in known.items()} | {row.code: row.parent_code for row in rows}
    depth: dict[str, int] = {}

    def depth_of(code: str) -> int:
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in depth:
            chain.append(current)
            current = parent_of.get(current)
        base = -1 if current is None else depth[current]
        for offset, name in enumerate(reversed(chain), start=1):
            depth[name] = base + offset
        return depth[code]

    return sorted(rows, key=lambda row: depth_of(row.code))
