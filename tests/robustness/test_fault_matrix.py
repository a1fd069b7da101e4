"""Every fault case, run for real on a fresh emulated stack; the fault table of docs/robustness.md is its record."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness.fault_cases import CASES, FaultCase
from tests.robustness.harness import (
    CLEAN_ERROR,
    RESUMABLE,
    RETRIED,
    Bench,
    assert_clean,
    fresh_bench,
    shared_stack,
    sync_tables,
    table,
)


def observe(bench: Bench, case: FaultCase) -> tuple[str, tuple[int, ...], str]:
    """Run the case; return (outcome, exit codes, what was verified) as observed."""
    args = case.arrange(bench)
    bench.runs.clear()
    first = bench.run(*args)
    assert_clean(first, bench.secrets())
    assert bench.fired() > 0, f"{case.command}: the fault never happened, so the case proves nothing"
    exits: tuple[int, ...] = (first.code,)
    if first.code == 0:
        outcome = RETRIED
    elif case.rerun:
        bench.emulator.faults.clear()
        bench.clock.interrupt_after = None
        again = bench.run(*args)
        assert_clean(again, bench.secrets())
        exits += (again.code,)
        outcome = RESUMABLE if again.code == 0 else "rerun failed"
    else:
        outcome = CLEAN_ERROR
    return outcome, exits, case.check(bench)


def render(rows: list[tuple[FaultCase, str, tuple[int, ...], str]]) -> str:
    return table(
        ["command", "fault injected", "outcome", "exit", "verified"],
        [
            [f"`{case.command}`", case.fault, outcome, " then ".join(map(str, exits)), verified]
            for case, outcome, exits, verified in rows
        ],
    )


def test_fault_matrix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = []
    with shared_stack(tmp_path / "stack") as stack:
        for index, case in enumerate(CASES):
            with fresh_bench(stack, tmp_path / f"case{index}", monkeypatch) as bench:
                outcome, exits, verified = observe(bench, case)
            assert (outcome, exits) == (case.expect, case.exits), f"{case.command}: {case.fault}"
            rows.append((case, outcome, exits, verified))
    sync_tables("faults", render(rows))
