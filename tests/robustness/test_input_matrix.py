"""Every bad-input case, run for real against one emulated stack; the input table of docs/robustness.md is its record."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.harness import (
    assert_clean,
    error_line,
    fresh_bench,
    normalise,
    shared_stack,
    sync_tables,
    table,
)
from tests.robustness.input_cases import CASES, paths

WRITES = ("PUT", "PATCH", "DELETE")
GLOBAL_OPTIONS = ("--stack", "--outputs", "--cloud")


def command(args: list[str]) -> str:
    """The command path of a command line (`finetune submit`): no global options, values or arguments."""
    import click

    from ops.cli import cli

    words: list[str] = []
    current: click.Command = cli
    rest = list(args)
    with click.Context(cli) as ctx:
        while rest and isinstance(current, click.Group):
            arg = rest.pop(0)
            if arg in GLOBAL_OPTIONS:
                rest.pop(0)
                continue
            sub = current.get_command(ctx, arg)
            if sub is None:
                break
            words.append(arg)
            current = sub
    return " ".join(words)


def test_input_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    with (
        shared_stack(tmp_path / "stack", blob=False) as stack,
        fresh_bench(stack, tmp_path / "inputs", monkeypatch) as bench,
    ):
        outer = bench.monkeypatch
        for case in CASES:
            with outer.context() as patch:
                bench.monkeypatch = patch
                run = bench.run(*case.arrange(bench))
            assert_clean(run, bench.secrets())
            message = normalise(error_line(run), paths(bench))
            assert (run.code, case.says in message) == (case.exit_code, True), f"{case.defect}\n{run}"
            rows.append(
                [case.kind, case.defect, f"`foundry-ops {command(run.args)}`", message, str(run.code)]
            )
        writes = [r for r in bench.emulator.requests if r["method"] in WRITES or "/jobs/" in r["path"]]
        assert writes == [], "bad input reached Azure as a write"
    sync_tables("inputs", table(["kind", "defect", "command", "message (first line)", "exit"], rows))
