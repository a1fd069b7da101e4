"""The wait loop: backoff that resets on status change, survives transient errors, fails with the message."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.azure.ml_records import JobInfo
from ops.commands.job_watch import Backoff, wait_for_job
from ops.errors import AzureError, JobFailedError


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
        fetcher([job("Running"), AzureError("boom"), AzureError("boom"), job("Completed")]),
        clock=clock,
        report=lambda text, _c: seen.append(text),
        backoff=Backoff(initial=1, factor=2, maximum=8),
    )
    assert result.job.status == "Completed"
    assert sum("could not read job j" in s for s in seen) == 2


def test_too_many_errors_in_a_row_give_up() -> None:
    with pytest.raises(AzureError, match="boom"):
        wait_for_job(
            "j",
            fetcher([AzureError("boom")] * 3),
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
            error_message=lambda name: f"{name}: training data contains invalid schema",
        )
    assert info.value.exit_code == 3
    assert "ended Failed: j: training data contains invalid schema" in str(info.value)


def test_timeout_says_how_to_resume() -> None:
    clock = FakeClock()
    with pytest.raises(AzureError) as info:
        wait_for_job(
            "j",
            fetcher([job("Running")] * 10),
            clock=clock,
            report=lambda *_: None,
            backoff=Backoff(initial=10, factor=1, maximum=10),
            timeout=25,
        )
    assert "finetune wait j" in info.value.one_line()


def test_retry_after_of_a_throttled_read_is_honoured() -> None:
    from ops.azure.ml_records import ThrottledError

    clock = FakeClock()
    result = wait_for_job(
        "j",
        fetcher([ThrottledError("throttled", retry_after=42.0), job("Completed")]),
        clock=clock,
        report=lambda *_: None,
        backoff=Backoff(initial=5, factor=2, maximum=60),
    )
    assert result.job.status == "Completed"
    assert clock.sleeps == [42.0]
