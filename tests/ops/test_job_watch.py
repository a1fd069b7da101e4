"""The wait loop: backoff that resets on status change, survives transient errors, fails with the message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.errors import AzureError, JobFailedError, WaitTimeoutError
from ops.azure.errors import TransientError
from ops.azure.records import JobInfo
from ops.flows.waiting import wait_for_job
from ops.polling import Backoff


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def job(status: str) -> JobInfo:
    return JobInfo("j", status, None, None, None, None, None, None, {}, {}, None)


def feed(items: list[object]) -> Iterator[object]:
    yield from items


def fetcher(items: list[object]):  # type: ignore[no-untyped-def]
    it = feed(items)

    def fetch(_name: str) -> JobInfo:
        item = next(it)
        if isinstance(item, Exception):
            raise item
        assert isinstance(item, JobInfo)
        return item

    return fetch


def test_backs_off_while_unchanged_and_resets_on_change() -> None:
    clock = FakeClock()
    statuses = ["Queued", "Queued", "Queued", "Running", "Running", "Completed"]
    lines: list[tuple[str, bool]] = []
    result = wait_for_job(
        "j",
        fetcher([job(s) for s in statuses]),
        clock=clock,
        report=lambda text, changed: lines.append((text, changed)),
        backoff=Backoff(initial=5, factor=2, maximum=15),
    )
    assert result.job.status == "Completed"
    assert result.polls == 6
    # Queued: 5, 10, 15 (capped) ; Running resets: 5, 10
    assert clock.sleeps == [5, 10, 15, 5, 10]
    assert [changed for _, changed in lines] == [True, False, False, True, False, True]


def test_transient_errors_are_survived() -> None:
    clock = FakeClock()
    seen: list[str] = []
    result = wait_for_job(
        "j",
        fetcher([job("Running"), TransientError("boom"), TransientError("boom"), job("Completed")]),
        clock=clock,
        report=lambda text, _c: seen.append(text),
        backoff=Backoff(initial=1, factor=2, maximum=8),
    )
    assert result.job.status == "Completed"
    assert sum("could not read job j" in s for s in seen) == 2


def test_too_many_errors_in_a_row_give_up() -> None:
    with pytest.raises(TransientError, match="boom"):
        wait_for_job(
            "j",
            fetcher([TransientError("boom")] * 3),
            clock=FakeClock(),
            report=lambda *_: None,
            max_consecutive_errors=3,
        )


def test_failed_job_raises_with_service_message() -> None:
    with pytest.raises(JobFailedError) as info:
        wait_for_job(
            "j",
            fetcher([job("Running"), job("Failed")]),
            clock=FakeClock(),
            report=lambda *_: None,
            error_message=lambda job: f"{job.name}: training data contains invalid schema",
        )
    assert info.value.exit_code == 3
    assert "ended Failed: j: training data contains invalid schema" in str(info.value)


def test_timeout_says_how_to_resume() -> None:
    clock = FakeClock()
    with pytest.raises(WaitTimeoutError) as info:
        wait_for_job(
            "j",
            fetcher([job("Running")] * 10),
            clock=clock,
            report=lambda *_: None,
            backoff=Backoff(initial=10, factor=1, maximum=10),
            timeout=25,
        )
    assert "finetune wait j" in info.value.one_line()
    assert info.value.exit_code == 6
    assert clock.t == 25  # the last poll happens at the timeout, not an interval after it


def test_a_refusal_that_is_not_transient_ends_the_wait_at_once() -> None:
    clock = FakeClock()
    with pytest.raises(AzureError, match="denied"):
        wait_for_job(
            "j",
            fetcher([job("Running"), AzureError("denied"), job("Completed")]),
            clock=clock,
            report=lambda *_: None,
            backoff=Backoff(initial=5, factor=1, maximum=5),
        )
    assert clock.sleeps == [5]


def test_retry_after_of_a_throttled_read_is_honoured() -> None:

    clock = FakeClock()
    result = wait_for_job(
        "j",
        fetcher([TransientError("throttled", retry_after=42.0), job("Completed")]),
        clock=clock,
        report=lambda *_: None,
        backoff=Backoff(initial=5, factor=2, maximum=60),
    )
    assert result.job.status == "Completed"
    assert clock.sleeps == [42.0]
