"""Running one robustness case on a fresh emulated stack, judging what came out, and the tables of docs/robustness.md.

A case's outcome is observed, never declared into the table: the harness runs the command, checks the
run is clean (no traceback, one `Error:` line on failure, no secret in the output), classifies it, and
the test compares that with what the case expects. The tables in docs/robustness.md are rendered from the
observations; a normal test run fails when they differ from what is checked in, and
`FOUNDRY_WRITE_MATRIX=1` (`make robustness`) rewrites them.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.stack import AZURITE_KEY, FOREIGN_ENV, EmulatedStack
from tests.ops.ml.helpers import FakeClock, Run, invoke, patch_sleeps, write_jsonl

TABLES = Path(__file__).resolve().parents[2] / "docs" / "robustness.md"
WRITE_ENV = "FOUNDRY_WRITE_MATRIX"
PHI4 = "Phi-4-mini-instruct"

RETRIED = "retried, succeeded"
CLEAN_ERROR = "clean error"
RESUMABLE = "resumable: the rerun finishes"


@dataclass
class Bench:
    """One fresh emulated stack for one case, the CLI pointed at it, and a clock nobody really waits on."""

    stack: EmulatedStack
    workdir: Path
    clock: FakeClock
    monkeypatch: pytest.MonkeyPatch
    runs: list[Run] = field(default_factory=list)
    real_time: bool = False  # a case whose fault is about time itself (an endpoint's capacity over time)
    _job: str | None = None
    _endpoint: str | None = None

    @property
    def emulator(self) -> Any:
        return self.stack.emulator

    def run(self, *args: str, input: str | None = None) -> Run:
        from ops.clock import SystemClock

        result = invoke(*args, input=input, clock=SystemClock() if self.real_time else None)
        self.runs.append(result)
        return result

    def train_file(self, n: int = 30, name: str = "train.jsonl") -> Path:
        return write_jsonl(self.workdir / name, n)

    def job(self) -> str:
        """A completed fine-tuning job (made once, before any fault is injected)."""
        if self._job is None:
            run = self.run("finetune", "submit", "--model", PHI4, "--train", str(self.train_file()), "--wait",
                           "-o", "json")  # fmt: skip
            assert run.code == 0, run
            self._job = str(run.json()["name"])
        return self._job

    def endpoint(self) -> str:
        """A serverless endpoint serving the job's model."""
        if self._endpoint is None:
            run = self.run("deploy", "create", "--job", self.job(), "-o", "json")
            assert run.code == 0, run
            self._endpoint = str(run.json()["name"])
        return self._endpoint

    def fired(self) -> int:
        """How many injected faults actually happened: emulator rules, capacity refusals, Ctrl-C."""
        faults = sum(int(f["fired"]) for f in self.emulator.faults.list())
        interrupt = self.clock.interrupt_after
        interrupted = int(interrupt is not None and len(self.clock.sleeps) >= interrupt)
        return faults + self.emulator.world.chat_gauge.throttled + interrupted

    def secrets(self) -> list[str]:
        """Everything that must never appear in output: client secret, endpoint keys, issued tokens."""
        world = self.emulator.world
        keys = [k for e in world.endpoints.values() for k in e.get("_keys", {}).values()]
        return [self.emulator.scenario.client_secret, AZURITE_KEY, *keys, *world.tokens]


@contextmanager
def real_stderr_logging() -> Iterator[None]:
    """Let log records reach stderr as they would outside pytest.

    pytest's log capture hangs handlers on the root logger, so a library's WARNING that a real
    `foundry-ops` would print through Python's last-resort handler vanishes from the captured output.
    """
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers = [h for h in saved if not type(h).__module__.startswith("_pytest")]
    try:
        yield
    finally:
        root.handlers = saved


@contextmanager
def shared_stack(workdir: Path, *, blob: bool = True) -> Iterator[EmulatedStack]:
    """One emulator (and Azurite) for a whole matrix; `fresh_bench` resets it for every case."""
    stack = EmulatedStack(workdir, blob=blob).start()
    try:
        yield stack
    finally:
        stack.stop()


@contextmanager
def fresh_bench(stack: EmulatedStack, workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bench]:
    """The stack's emulator as if just started (no state, faults, settings or log; Azurite's blobs
    are kept, which no case reads), the environment pointed at it, all undone afterwards."""
    workdir.mkdir(parents=True)
    stack.emulator.reset()
    with monkeypatch.context() as patch:
        for name in FOREIGN_ENV:
            patch.delenv(name, raising=False)
        for name, value in stack.env().items():
            patch.setenv(name, value)
        clock = FakeClock()
        patch_sleeps(patch, clock, workdir)
        with real_stderr_logging():
            yield Bench(stack, workdir, clock, patch)


def assert_clean(run: Run, secrets: list[str]) -> None:
    """What every run owes its user, whatever happened: no traceback, no secret, one error line."""
    text = run.out + run.err
    assert "Traceback" not in text, run
    for secret in secrets:
        assert secret not in text, f"a secret was printed\n{run}"
    errors = run.errors
    if run.code == 0:
        assert errors == [], run
    elif run.code != 130:  # Ctrl-C says what keeps running instead of an error
        assert len(errors) == 1, run


def error_line(run: Run) -> str:
    return next((line for line in run.err.splitlines() if line.startswith("Error:")), "")


def normalise(text: str, replacements: dict[str, str]) -> str:
    """Make a message stable across runs: temp paths, ports and generated names become placeholders."""
    for old, new in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        if old:
            text = text.replace(old, new)
    return re.sub(r"127\.0\.0\.1:\d+", "<emulator>", text)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def sync_tables(section: str, body: str) -> None:
    """Compare (or, with FOUNDRY_WRITE_MATRIX=1, rewrite) docs/robustness.md between the section's markers."""
    from ops.docgen import splice

    text = TABLES.read_text(encoding="utf-8")
    wanted = splice(text, body, f"<!-- robustness:{section}:start -->", f"<!-- robustness:{section}:end -->")
    if text == wanted:
        return
    if os.environ.get(WRITE_ENV) == "1":
        TABLES.write_text(wanted, encoding="utf-8")
        return
    pytest.fail(f"docs/robustness.md table is stale ({section}): run `make robustness`")
