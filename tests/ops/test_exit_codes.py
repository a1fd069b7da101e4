"""Every exit code of core.errors.EXIT_CODES (the README's table is generated from it), each shown by a
real command against the emulation, and no exit code that the table does not list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import EXIT_CODES
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import FakeClock, Run, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


def submitted(stack: EmulatedStack, tmp_path: Path, *, fail: bool = False) -> str:
    if fail:
        stack.emulator.faults.add("job_fail", method="PUT", path="/jobs/", message="Out of capacity")
    run = invoke(
        "finetune", "submit", "-m", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json"
    )
    assert run.code == 0, run
    return str(run.json()["name"])


def ok(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    return invoke("models", "list", clock=clock)


def failure(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    return invoke("preflight", clock=clock)  # Microsoft.Network starts unregistered


def usage(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    from tests.ops.arm.helpers import deploy_endpoint

    deploy_endpoint(stack.emulator, "bot")
    return invoke("deploy", "delete", "bot", clock=clock)  # no terminal to ask on, no --yes


def job_failed(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    return invoke("finetune", "wait", submitted(stack, tmp_path, fail=True), clock=clock)


def not_found(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    return invoke("deploy", "show", "no-such-endpoint", clock=clock)


def no_credentials(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    import os

    os.environ["AZURE_CLIENT_SECRET"] = "wrong"  # monkeypatched env: restored after the test
    return invoke("finetune", "list", clock=clock)


def timed_out(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    stack.emulator.settings.polls_per_step = 10**6  # the job stays Queued
    run = invoke("finetune", "wait", submitted(stack, tmp_path), "--timeout", "3", clock=clock)
    assert clock.t == pytest.approx(3.0)  # the last poll is at the timeout, not an interval later
    return run


def interrupted(stack: EmulatedStack, tmp_path: Path, clock: FakeClock) -> Run:
    name = submitted(stack, tmp_path)
    clock.interrupt_after = 1
    return invoke("finetune", "wait", name, clock=clock)


CASES: dict[int, tuple[Callable[..., Run], str]] = {
    0: (ok, ""),
    1: (failure, ""),
    2: (usage, "pass --yes"),
    3: (job_failed, "ended Failed: "),
    4: (not_found, "not found"),
    5: (no_credentials, "no working Azure credentials"),
    6: (timed_out, "finetune wait"),
    130: (interrupted, "keeps running"),
}


def test_every_code_in_the_table_has_a_case() -> None:
    assert set(CASES) == set(EXIT_CODES)


@pytest.mark.parametrize("code", sorted(CASES))
def test_exit_code(code: int, emulated_stack: EmulatedStack, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", emulated_stack.emulator.scenario.client_secret)
    arrange, says = CASES[code]
    run = arrange(emulated_stack, tmp_path, FakeClock())
    assert run.code == code, run
    assert says in run.err
    assert "Traceback" not in run.out + run.err
    errors = run.errors
    assert len(errors) == (1 if code not in (0, 1, 130) else 0), run  # 1 here is a failed check table
