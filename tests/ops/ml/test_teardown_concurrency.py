"""Concurrent deletions: `teardown --concurrency` and `deploy delete NAME...` overlap up to the bound,
keep the phase order, report every item, and a failure stops before the next phase and is resumable."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ops.azure.endpoints import Endpoints
from ops.azure.records import TOOL_TAG
from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import invoke

NAMES = [f"ep-{i}" for i in range(5)]
BASE = "azureml://registries/azureml/models/Phi-4-mini-instruct"


def endpoint_names(emulator: Emulator) -> list[str]:
    return sorted(name for (_ws, name) in emulator.world.endpoints)


class InFlight:
    """Counts deletions in flight: from the DELETE until its operation's result (wrapping the real adapter
    method: real HTTPS still happens)."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self.calls: list[str] = []
        self._lock = threading.Lock()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def counted(client: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.now += 1
                self.max = max(self.max, self.now)
                self.calls.append(name)
            try:
                operation = real(client, name, *args, **kwargs)
            except BaseException:
                self._done()
                raise
            return _Tracked(operation, self._done)

        return counted

    def _done(self) -> None:
        with self._lock:
            self.now -= 1


class _Tracked:
    def __init__(self, operation: Any, done: Callable[[], None]) -> None:
        self.operation, self.done = operation, done

    def result(self) -> Any:
        try:
            return self.operation.result() if self.operation is not None else None
        finally:
            self.done()


@pytest.fixture
def endpoints(emulated_stack: EmulatedStack) -> list[str]:
    for name in NAMES:
        deploy_endpoint(emulated_stack.emulator, name, tags={TOOL_TAG: "1"})
    return NAMES


@pytest.fixture
def in_flight(monkeypatch: pytest.MonkeyPatch, emulated_stack: EmulatedStack) -> Iterator[InFlight]:
    counter = InFlight()
    monkeypatch.setattr(Endpoints, "begin_delete", counter.wrap(Endpoints.begin_delete))
    # every DELETE takes a while at the service, so that concurrent ones really overlap
    emulated_stack.emulator.faults.add(
        "delay", method="DELETE", path="/serverlessEndpoints/", seconds=0.15, count=-1
    )
    yield counter


@pytest.mark.parametrize("concurrency", [1, 3])
def test_endpoint_deletions_overlap_up_to_the_bound(
    emulated_stack: EmulatedStack, endpoints: list[str], in_flight: InFlight, concurrency: int
) -> None:
    run = invoke("teardown", "--yes", "--concurrency", str(concurrency), "-o", "json")
    assert run.code == 0, run
    assert in_flight.max == concurrency
    assert sorted(in_flight.calls) == endpoints
    assert emulated_stack.emulator.world.endpoints == {}
    # results come in plan order whatever the completion order was
    assert [s["step"] for s in run.json()["steps"]] == [
        f"delete endpoint {n} (serving {BASE})" for n in endpoints
    ]
    assert f"endpoint deletions: 5, up to {concurrency} at a time ..." in run.err
    for name in endpoints:
        assert f"  done: delete endpoint {name} (serving {BASE})" in run.err


def test_one_failure_lets_the_phase_finish_then_stops_before_the_next(
    emulated_stack: EmulatedStack, endpoints: list[str], in_flight: InFlight, tmp_path: Path
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.clear()  # the first matching fault wins: the failure goes before the delay
    emulator.faults.add(
        "status", method="DELETE", path="/serverlessEndpoints/ep-2", status=409, code="Conflict",
        message="The endpoint is being updated; try again later", count=-1,
    )  # fmt: skip
    emulator.faults.add("delay", method="DELETE", path="/serverlessEndpoints/", seconds=0.15, count=-1)
    failed = invoke("teardown", "--yes", "--concurrency", "4", "--delete-models")
    assert failed.code == 1, failed
    error_lines = failed.errors
    assert len(error_lines) == 1 and "Traceback" not in failed.err
    assert "The endpoint is being updated" in error_lines[0]
    assert "run the same teardown command again to resume" in error_lines[0]
    assert "  failed: delete endpoint ep-2" in failed.err
    assert endpoint_names(emulator) == ["ep-2"]  # the other four went anyway
    emulator.faults.clear()
    resumed = invoke("teardown", "--yes", "--delete-models", "-o", "json")
    assert resumed.code == 0, resumed
    assert [s["step"] for s in resumed.json()["steps"]] == [f"delete endpoint ep-2 (serving {BASE})"]
    assert emulator.world.endpoints == {}


def test_two_teardowns_at_once_both_end_cleanly(emulated_stack: EmulatedStack, endpoints: list[str]) -> None:
    """Two processes: there is no local journal to race on; each reads Azure, and a deletion the other
    one already made is `already gone`, not an error."""
    import os
    import subprocess
    import sys

    emulated_stack.emulator.faults.add(
        "delay", method="DELETE", path="/serverlessEndpoints/", seconds=0.1, count=-1
    )
    exe = str(Path(sys.executable).parent / "foundry-ops")
    procs = [
        subprocess.Popen([exe, "teardown", "--yes", "-o", "json"], env=dict(os.environ), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0, 0], results
    assert all("Traceback" not in err for _, _, err in results)
    assert emulated_stack.emulator.world.endpoints == {}


def test_several_failures_are_counted_in_one_line(
    emulated_stack: EmulatedStack, endpoints: list[str], in_flight: InFlight
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.clear()  # the first matching fault wins: the failures go before the delay
    emulator.faults.add(
        "status", method="DELETE", path="/serverlessEndpoints/ep-[13]", status=400, code="BadRequest",
        message="Deletion is blocked by a lock", count=-1,
    )  # fmt: skip
    emulator.faults.add("delay", method="DELETE", path="/serverlessEndpoints/", seconds=0.15, count=-1)
    failed = invoke("teardown", "--yes")
    assert failed.code == 1, failed
    error_lines = failed.errors
    assert len(error_lines) == 1, failed
    assert error_lines[0].startswith(
        "Error: 2 of 5 endpoint deletions failed, the first: deleting endpoint ep-"
    )
    assert "Deletion is blocked by a lock" in error_lines[0]
    assert endpoint_names(emulator) == ["ep-1", "ep-3"]


def test_deploy_delete_takes_several_names(
    emulated_stack: EmulatedStack, endpoints: list[str], in_flight: InFlight
) -> None:
    run = invoke("deploy", "delete", "ep-0", "ep-1", "ep-2", "--yes", "--concurrency", "2", "-o", "json")
    assert run.code == 0, run
    assert run.json() == [{"name": n, "deleted": True} for n in ("ep-0", "ep-1", "ep-2")]
    assert in_flight.max == 2
    assert endpoint_names(emulated_stack.emulator) == ["ep-3", "ep-4"]


def test_deploy_delete_checks_every_name_before_deleting_any(
    emulated_stack: EmulatedStack, endpoints: list[str], in_flight: InFlight
) -> None:
    run = invoke("deploy", "delete", "ep-0", "nope", "--yes")
    assert run.code == 4, run
    assert run.err.strip().splitlines()[-1] == "Error: endpoint nope not found in the project"
    assert in_flight.calls == []
    assert len(emulated_stack.emulator.world.endpoints) == 5
