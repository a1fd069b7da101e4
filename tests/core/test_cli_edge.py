import json

from click.testing import CliRunner

from core.errors import EXIT_CODES
from ops.cli import cli
from ops.cli.root import COMMANDS
from ops.text import table


def test_help_lists_groups_and_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "Exit codes: 0 ok, 1 failure, 2 usage or bad input" in " ".join(result.output.split())
    for name in COMMANDS:
        assert name in result.output


def test_every_exit_code_is_in_help() -> None:
    text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    for code in EXIT_CODES:
        assert f"{code} " in text


def test_every_command_has_short_help() -> None:
    assert all(short for _, short in COMMANDS.values())


def test_unknown_command_is_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output


def test_table_rendering() -> None:
    assert table([{"name": "a", "ok": True}, {"name": "bbb", "ok": None}]) == "NAME  OK\na     yes\nbbb   -"


def test_table_fits_a_width_by_cutting_the_widest_column() -> None:
    rows = [{"name": "a" * 40, "detail": "d" * 80}]
    lines = table(rows, width=60).splitlines()
    assert all(len(line) <= 60 for line in lines), lines
    assert lines[1].rstrip().endswith("…")


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.output == "foundry-ops, version 0.1.0\n"


def test_generated_docs_are_current() -> None:
    from ops.docgen import wanted

    for path, text in wanted().items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run `make docs`"


def test_json_helper_is_stable() -> None:
    from ops.text import to_json

    assert json.loads(to_json({"a": [1, 2]})) == {"a": [1, 2]}


def test_tables_fit_a_terminal_and_are_whole_in_a_pipe(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("COLUMNS", "60")
    piped = CliRunner().invoke(cli, ["models", "list"])
    assert max(len(line) for line in piped.output.splitlines()) > 60  # a script reads whole rows
    monkeypatch.setattr("ops.cli.output.stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli, ["models", "list"])
    assert shown.exit_code == 0
    assert max(len(line) for line in shown.output.splitlines()) <= 60
    assert "…" in shown.output
