import json

import click
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
    monkeypatch.setenv("COLUMNS", "80")
    piped = CliRunner().invoke(cli, ["models", "list"])
    assert max(len(line) for line in piped.output.splitlines()) > 80  # a script reads whole rows
    monkeypatch.setattr("ops.cli.output.stdout_is_terminal", lambda: True)
    shown = CliRunner().invoke(cli, ["models", "list"])
    assert shown.exit_code == 0
    assert max(len(line) for line in shown.output.splitlines()) <= 80
    assert "…" in shown.output
    # the names the next command takes are never cut, on a narrow terminal too
    monkeypatch.setenv("COLUMNS", "40")
    narrow = CliRunner().invoke(cli, ["models", "list"]).output.splitlines()
    assert [line.split()[0] for line in narrow[1:4]] == [
        "Phi-4-mini-instruct",
        "Phi-4",
        "Phi-4-multimodal-instruct",
    ]


def test_the_first_column_is_never_cut() -> None:
    rows = [{"name": "phi-4-mini-instruct-ft-support-9fb5bf", "state": "Succeeded", "detail": "d" * 80}]
    lines = table(rows, width=60).splitlines()
    assert lines[1].startswith("phi-4-mini-instruct-ft-support-9fb5bf  ")
    assert all(len(line) <= 60 for line in lines) and lines[1].endswith("…")


def test_lazy_groups_name_real_commands_and_list_them_without_importing() -> None:
    """Every lazy entry (root and `data`) resolves to a command, and a group's --help imports none of
    its commands (their modules pull in the data layer or the SDKs)."""
    import subprocess
    import sys

    import click

    from ops.cli.data import COMMANDS as DATA_COMMANDS
    from ops.cli.data import data

    for group, lazy in ((cli, COMMANDS), (data, DATA_COMMANDS)):
        ctx = click.Context(group)
        assert group.list_commands(ctx) == list(lazy)
        for name in lazy:
            command = group.get_command(ctx, name)
            assert isinstance(command, click.Command), name
    probe = (
        "import sys; from click.testing import CliRunner; from ops.cli import cli; "
        "assert CliRunner().invoke(cli, ['data', '--help']).exit_code == 0; "
        "print(sorted(m for m in sys.modules if m.startswith(('ops.cli.data.', 'ops.data'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_terminal_width_without_columns_comes_from_the_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No COLUMNS: the width is the terminal's own (os.get_terminal_size, as shutil's does), 80 when it
    cannot be read."""
    import os

    from ops.cli.output import Output

    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr("ops.cli.output.stdout_is_terminal", lambda: True)
    monkeypatch.setattr(os, "get_terminal_size", lambda _fd: os.terminal_size((70, 24)))
    assert Output.width() == 70

    def unreadable(_fd: int) -> os.terminal_size:
        raise OSError("not a terminal")

    monkeypatch.setattr(os, "get_terminal_size", unreadable)
    assert Output.width() == 80
    monkeypatch.setattr("ops.cli.output.stdout_is_terminal", lambda: False)
    assert Output.width() is None


def _every_command() -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []

    def walk(command: click.Command, path: str) -> None:
        found.append((path, command))
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None, name
                walk(sub, f"{path} {name}".strip())

    walk(cli, "")
    return found


def test_every_required_option_is_missing_when_not_given() -> None:
    """Click 8.5 takes an explicit `default=None` for a given value: a required option declared with one is
    never reported missing, and the command runs on with None (`finetune submit` without --model did)."""
    checked = []
    for path, command in _every_command():
        ctx = click.Context(command)
        for param in command.params:
            if isinstance(param, click.Option) and param.required:
                assert param.value_is_missing(param.get_default(ctx)), f"{path} {param.opts[0]}"
                checked.append(f"{path} {param.opts[0]}")
    assert "finetune submit --model" in checked and len(checked) >= 7


def test_finetune_submit_without_a_model_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["finetune", "submit", "--train", "train.jsonl"])
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: Missing option '--model' / '-m'.\n")
