import json
from pathlib import Path

from click.testing import CliRunner

from ops.cli import COMMANDS, SHORT_HELP, cli
from ops.output import table


def test_help_lists_groups_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes: 0 ok, 1 failure, 2 usage or bad input" in result.output


def test_every_command_has_short_help() -> None:
    assert set(COMMANDS) == set(SHORT_HELP)


def test_unknown_command_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def test_table_rendering() -> None:
    assert table([{"name": "a", "ok": True}, {"name": "bbb", "ok": None}]) == "NAME  OK\na     yes\nbbb   -"


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output == "foundry-ops, version 0.1.0\n"


def test_readme_cli_reference_is_current() -> None:
    from ops.docgen import render, splice

    readme = Path(__file__).resolve().parents[2] / "README.md"
    current = readme.read_text(encoding="utf-8")
    assert current == splice(current, render()), "README command reference is stale: run `make docs`"


def test_json_helper_is_stable() -> None:
    from ops.output import to_json

    assert json.loads(to_json({"a": [1, 2]})) == {"a": [1, 2]}
