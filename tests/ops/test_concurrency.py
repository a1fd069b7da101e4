"""ops.concurrency: the bound holds, outcomes keep input order, domain errors are outcomes, bugs are not."""

from __future__ import annotations

import threading
import time

import pytest

from core.errors import EXIT_FAILURE, AuthError, NotFoundError, ToolkitError
from ops.concurrency import BatchError, Outcome, batch_error, run_bounded


def test_bound_holds_and_order_is_kept() -> None:
    lock = threading.Lock()
    state = {"now": 0, "max": 0}
    finished: list[int] = []

    def work(i: int) -> int:
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.02 * (i % 3))  # uneven durations: completion order differs from input order
        with lock:
            state["now"] -= 1
        return i * i

    outcomes = run_bounded(list(range(12)), work, concurrency=3, on_done=lambda o: finished.append(o.item))
    assert state["max"] == 3
    assert [o.value for o in outcomes] == [i * i for i in range(12)]
    assert sorted(finished) == list(range(12)) and finished != list(range(12))


def test_domain_errors_become_outcomes_and_the_rest_still_run() -> None:
    def work(i: int) -> int:
        if i == 1:
            raise NotFoundError("item 1 is gone")
        return i

    outcomes = run_bounded([0, 1, 2, 3], work, concurrency=2)
    assert [o.ok for o in outcomes] == [True, False, True, True]
    assert isinstance(outcomes[1].error, NotFoundError)


def test_a_bug_propagates_and_stops_new_work() -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        if i == 0:
            raise RuntimeError("bug")
        time.sleep(0.05)
        return i

    with pytest.raises(RuntimeError, match="bug"):
        run_bounded(list(range(10)), work, concurrency=1)
    assert started == [0]


def test_empty_and_invalid() -> None:
    assert run_bounded([], lambda i: i, concurrency=4) == []
    with pytest.raises(ValueError):
        run_bounded([1], lambda i: i, concurrency=0)


def test_batch_error_keeps_a_lone_error_and_counts_several() -> None:
    lone = AuthError("no token", hint="az login")
    assert batch_error("deletions", [Outcome("a", error=lone)], 3) is lone
    both_auth: list[Outcome[str, None]] = [
        Outcome("a", error=AuthError("a refused")),
        Outcome("b", error=AuthError("b refused")),
    ]
    error = batch_error("deletions", both_auth, 5)
    assert isinstance(error, BatchError) and error.exit_code == AuthError.exit_code
    assert error.one_line() == "2 of 5 deletions failed, the first: a refused"
    mixed: list[Outcome[str, None]] = [
        Outcome("a", error=AuthError("a")),
        Outcome("b", error=ToolkitError("b")),
    ]
    assert batch_error("deletions", mixed, 2).exit_code == EXIT_FAILURE
