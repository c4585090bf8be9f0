"""The README is the operator's manual: every setting is in it, and every command it shows works as written."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from auction.settings import Settings
from web.cli import _parser, main

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()

# What a reader types for the placeholders of the README's command synopses.
PLACEHOLDERS = {"H": "127.0.0.1", "P": "8000", "N": "2", "REV": "head", "OUT": "{tmp}/bundle.zip", "BUNDLE": "{tmp}"}
PLACEHOLDERS |= {"F": "{tmp}/saved-checkpoint.txt", "VKEY": "{tmp}/vkey.txt", "SEED": "c2VlZA=="}
PLACEHOLDERS |= {"DIR": "{tmp}/witness", "NAME": "witness.example.kg", "S": "10", "URL": "http://127.0.0.1:8000"}
PLACEHOLDERS |= {"FILE": "units.csv", "EMAIL": "admin@okmot.kg", "ROLE": "officer", "CODE": "tokmok", "TEXT": "bank"}


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def _settings_table() -> dict[str, list[str]]:
    """Each documented variable with the other cells of its row."""
    rows: dict[str, list[str]] = {}
    for line in _section("Configuration").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and (name := re.fullmatch(r"`([A-Z_]+)`", cells[0])):
            rows[name.group(1)] = cells[1:]
    return rows


def _environment_name(field: str) -> str:
    alias = Settings.model_fields[field].validation_alias
    return alias if isinstance(alias, str) else f"ACHYK_{field.upper()}"


def test_every_setting_is_in_the_readme_table_and_nothing_else_is() -> None:
    documented = set(_settings_table())
    expected = {_environment_name(field) for field in Settings.model_fields}
    assert expected - documented == set(), "settings missing from the README's Configuration table"
    assert documented - expected == set(), "the README documents settings that do not exist"


# Fields whose default is empty have their row say what happens instead (a generated key, the SQLite file).
@pytest.mark.parametrize("field", sorted(name for name, info in Settings.model_fields.items() if info.default != ""))
def test_the_readme_gives_each_setting_its_real_default(field: str) -> None:
    default = Settings.model_fields[field].default
    shown = str(default).lower() if isinstance(default, bool) else str(default)
    default_cell = _settings_table()[_environment_name(field)][0]
    first_value = re.search(r"`([^`]*)`", default_cell)
    assert first_value is not None, default_cell
    assert first_value.group(1) == shown


def _readme_commands(program: str) -> list[str]:
    """Command lines for ``program`` in the README's code blocks (synopses without their description)
    and in its inline code."""
    commands: list[str] = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", README, flags=re.DOTALL):
        for line in map(str.strip, block.splitlines()):
            if line.startswith(program + " "):
                commands.append(re.split(r"\s{3,}|\s+#", line)[0])
    prose = re.sub(r"```.*?```", "", README, flags=re.DOTALL)
    commands += [span for span in re.findall(r"`([^`\n]+)`", prose) if span.startswith(program + " ")]
    return commands


def _as_typed(command: str, tmp: Path) -> list[str]:
    """The words a reader types: optional parts included, placeholders filled in."""
    words = shlex.split(command.replace("[", " ").replace("]", " "))
    typed: list[str] = []
    for word in words:
        if re.fullmatch(r"[A-Z]+", word):
            assert word in PLACEHOLDERS, f"the README uses a placeholder {word} this test cannot fill in"
            typed.append(PLACEHOLDERS[word].format(tmp=tmp))
        else:
            typed.append(word)
    return typed


AUCTION_COMMANDS = _readme_commands("auction")


def _cli_commands(parser: argparse.ArgumentParser, prefix: str = "auction") -> list[str]:
    """Every command the CLI has, as the words that name it."""
    groups = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    if not groups:
        return [prefix]
    return [
        command
        for group in groups
        for name, subparser in group.choices.items()
        for command in _cli_commands(subparser, f"{prefix} {name}")
    ]


@pytest.mark.parametrize("command", _cli_commands(_parser()))
def test_the_readme_shows_every_auction_command(command: str) -> None:
    assert any(shown == command or shown.startswith(command + " ") for shown in AUCTION_COMMANDS)


@pytest.mark.parametrize("command", [c for c in AUCTION_COMMANDS if not c.startswith("auction ledger verify")])
def test_each_auction_command_of_the_readme_is_accepted(command: str, tmp_path: Path) -> None:
    words = _as_typed(command, tmp_path)
    try:
        args = _parser().parse_args(words[1:])
    except SystemExit as refusal:
        pytest.fail(f"`{command}` is refused (exit {refusal.code})")
    assert hasattr(args, "run"), f"`{command}` names no command"


@pytest.mark.parametrize("command", [c for c in AUCTION_COMMANDS if c.startswith("auction ledger verify")])
def test_each_ledger_verify_command_of_the_readme_runs_the_verifier(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An empty directory is an unusable bundle: the verifier says so (exit 2) in its report, while an argument
    # it cannot parse gets argparse's usage on stderr and no report at all.
    code = main(_as_typed(command, tmp_path)[1:])
    out, err = capsys.readouterr()
    assert "usage:" not in err, f"`{command}` is refused: {err}"
    assert code == 2
    _assert_unusable_reported(out, as_json="--json" in command)


def _assert_unusable_reported(out: str, *, as_json: bool) -> None:
    if as_json:
        assert json.loads(out)["failure"]["where"] == "input", out
    else:
        assert out.startswith("ERROR (unusable input)"), out


@pytest.mark.parametrize("options", [["--json"], ["--since", "saved.txt", "--json"], ["--receipt", "my-bid.receipt"]])
def test_ledger_verify_takes_its_options_before_the_bundle_too(
    options: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["ledger", "verify", *options, str(tmp_path)])
    out, err = capsys.readouterr()
    assert "usage:" not in err, err
    assert code == 2
    _assert_unusable_reported(out, as_json="--json" in options)


@pytest.mark.parametrize("command", _readme_commands("achyk-witness"))
def test_each_achyk_witness_command_of_the_readme_is_accepted(command: str, tmp_path: Path) -> None:
    from witness.cli import _parser as witness_parser

    words = _as_typed(command, tmp_path)
    try:
        args = witness_parser().parse_args(words[1:])
    except SystemExit as refusal:
        pytest.fail(f"`{command}` is refused (exit {refusal.code})")
    assert hasattr(args, "run"), f"`{command}` names no command"


def test_the_readme_shows_every_achyk_witness_command() -> None:
    from witness.cli import _parser as witness_parser

    shown = _readme_commands("achyk-witness")
    for command in _cli_commands(witness_parser(), "achyk-witness"):
        assert any(line == command or line.startswith(command + " ") for line in shown), command


def test_ledger_verify_help_is_the_verifiers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ledger", "verify", "--help"]) == 0
    assert "--receipt" in capsys.readouterr().out


@pytest.mark.parametrize("command", _readme_commands("python -m auction.ledger.verify"))
def test_each_python_verifier_command_of_the_readme_runs(command: str, tmp_path: Path) -> None:
    words = [word.replace("bundle.zip", str(tmp_path)) for word in shlex.split(command, comments=True)]
    run = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True, cwd=ROOT, check=False)
    assert "usage:" not in run.stderr, f"`{command}` is refused: {run.stderr}"
    assert run.returncode == 2
    _assert_unusable_reported(run.stdout, as_json="--json" in words)


def test_the_verifier_install_line_of_the_readme_pins_the_versions_the_project_uses() -> None:
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    line = next(line.strip() for line in README.splitlines() if line.strip().startswith("pip install "))
    assert set(line.split()[2:]) <= set(pins), f"{line!r} differs from pyproject.toml"
