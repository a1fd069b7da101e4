"""Every wait for a state in Azure: one loop, on the shared policy, through the App's clock.

The schedule is ops/polling.py's policy: it backs off while nothing changes and starts over when the
status moves; a longer Retry-After from the service wins. A read that fails transiently after the
transport's own retries is reported and survived (up to MAX_CONSECUTIVE_ERRORS in a row), so a wait
never mistakes a lost poll for an outcome; anything else (no access, not found) ends the wait. The
timeout bounds the wait whether reads succeed or not, and the last poll happens at it. Ctrl-C stops
waiting, never the thing waited for; callers say how to resume.

`poll_until` is the loop; `wait_for_job` is the fine-tuning job's wait on it. The endpoint, provider
registration and teardown waits use `poll_until` directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.errors import JobFailedError, WaitTimeoutError
from ops.azure.errors import TransientError
from ops.azure.records import JobInfo
from ops.polling import Backoff, Timer

T = TypeVar("T")
MAX_CONSECUTIVE_ERRORS = 20


@dataclass(frozen=True)
class Polled(Generic[T]):
    value: T
    polls: int
    elapsed: float


def poll_until(
    read: Callable[[], T],
    *,
    done: Callable[[T], bool],
    status: Callable[[T], str | None],
    clock: Timer,
    backoff: Backoff,
    timeout: float | None,
    timed_out: Callable[[T | None, float], Exception],
    on_poll: Callable[[T, bool, float], None] = lambda _value, _changed, _elapsed: None,
    on_read_error: Callable[[TransientError], None] = lambda _exc: None,
    max_consecutive_errors: int = MAX_CONSECUTIVE_ERRORS,
    first_wait: float = 0.0,
) -> Polled[T]:
    """Read until `done(value)`; `status(value)` is what counts as a change for the backoff.

    `on_poll(value, changed, elapsed)` renders progress, `on_read_error(exc)` a read that failed. Raises
    what `timed_out(last value read or None, elapsed)` returns when `timeout` passes, and the
    TransientError itself after `max_consecutive_errors` failed reads in a row.
    """
    start = clock.now()
    polls = errors = 0
    last: T | None = None
    if first_wait > 0:
        clock.sleep(_bounded(first_wait, start, clock, timeout))
    while True:
        polls += 1
        try:
            value = read()
        except TransientError as exc:
            errors += 1
            if errors >= max_consecutive_errors:
                raise
            on_read_error(exc)
            wait = backoff.next(retry_after=exc.retry_after)
        else:
            errors = 0
            last = value
            elapsed = clock.now() - start
            changed = backoff.observe(status(value))
            on_poll(value, changed, elapsed)
            if done(value):
                return Polled(value, polls, elapsed)
            wait = backoff.next()
        elapsed = clock.now() - start
        if timeout is not None and elapsed >= timeout:
            raise timed_out(last, elapsed)
        clock.sleep(_bounded(wait, start, clock, timeout))


@dataclass
class WaitResult:
    job: JobInfo
    polls: int
    elapsed: float


def wait_for_job(
    name: str,
    fetch: Callable[[str], JobInfo],
    *,
    clock: Timer,
    report: Callable[[str, bool], None],
    backoff: Backoff | None = None,
    max_consecutive_errors: int = MAX_CONSECUTIVE_ERRORS,
    timeout: float | None = None,
    error_message: Callable[[JobInfo], str | None] = lambda _job: None,
    detail: Callable[[JobInfo], str] = lambda _job: "",
    resume: str | None = None,
) -> WaitResult:
    """Poll until the job is terminal. `report(text, news)` renders progress (`news`: a status change,
    or a read that failed, worth a line of its own); `detail(job)` adds to the status line (e.g. the
    latest training loss); `resume` is the command a timeout's hint names (default `finetune wait`).

    Raises JobFailedError (exit 3) when the job ends Failed (with the service's message) or Canceled,
    WaitTimeoutError (exit 6) when `timeout` passes, TransientError after `max_consecutive_errors`
    failed reads in a row.
    """

    def show(job: JobInfo, changed: bool, elapsed: float) -> None:
        extra = detail(job) if not job.terminal else ""
        suffix = f", {extra}" if extra else ""
        report(f"job {name}: {job.status} ({fmt_elapsed(elapsed)} elapsed{suffix})", changed)

    def timed_out(job: JobInfo | None, elapsed: float) -> Exception:
        state = job.status if job is not None else "unread"
        return WaitTimeoutError(
            f"job {name} still {state} after {fmt_elapsed(elapsed)}",
            hint=f"the job goes on; keep waiting with `{resume or f'foundry-ops finetune wait {name}'}`",
        )

    polled = poll_until(
        lambda: fetch(name),
        done=lambda job: job.terminal,
        status=lambda job: job.status,
        clock=clock,
        backoff=backoff or Backoff(),
        timeout=timeout,
        timed_out=timed_out,
        on_poll=show,
        on_read_error=lambda exc: report(
            f"still waiting: could not read job {name} ({exc.one_line()}); trying again", True
        ),
        max_consecutive_errors=max_consecutive_errors,
    )
    job = polled.value
    if job.failed and job.status == "Canceled":  # someone asked for it: no error to look for
        raise JobFailedError(
            f"job {name} was canceled (`finetune cancel`, the portal or the API); it made no model",
            hint=f"submit it again to train: `foundry-ops finetune show {name}` lists what it was given",
        )
    if job.failed:
        message = error_message(job) or "the service gave no error message"
        raise JobFailedError(f"job {name} ended {job.status}: {message}")
    return WaitResult(job=job, polls=polled.polls, elapsed=polled.elapsed)


def _bounded(wait: float, start: float, clock: Timer, timeout: float | None) -> float:
    """Never sleep past the timeout: the last poll happens at it, so `--timeout 3` takes about 3 s."""
    if timeout is None:
        return wait
    return max(0.0, min(wait, start + timeout - clock.now()))


def fmt_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
