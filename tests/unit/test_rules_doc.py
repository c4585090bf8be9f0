"""docs/rules.md names every municipal rule with the default the code gives it."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from auction.ledger.verifier.municipal_rules import DEFAULT_RULES, MunicipalRules

RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
CODE = re.compile(r"`([^`]+)`")


def _summary_rows() -> list[list[str]]:
    """The cells of each row of the summary table (the `| …` lines between '## Summary' and the next heading)."""
    section = RULES_DOC.read_text(encoding="utf-8").split("## Summary", 1)[1].split("\n## ", 1)[0]
    return [line.split("|")[1:-1] for line in section.splitlines() if line.startswith("| ")]


@pytest.mark.parametrize("name", [field.name for field in fields(MunicipalRules)])
def test_every_rule_is_in_the_table_with_its_default(name: str) -> None:
    # A row names its settings in the second cell and their defaults, in the same order, in the third (in backticks).
    rows = [cells for cells in _summary_rows() if name in CODE.findall(cells[1])]
    assert len(rows) == 1, f"docs/rules.md must have exactly one summary row for the setting {name}"
    settings, defaults = CODE.findall(rows[0][1]), CODE.findall(rows[0][2])
    assert len(defaults) == len(settings), f"the row of {name} must give one default per setting"
    value = getattr(DEFAULT_RULES, name)
    assert defaults[settings.index(name)] == repr(value), f"docs/rules.md gives {name} a default other than {value!r}"
