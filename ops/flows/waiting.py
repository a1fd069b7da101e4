"""Wait for a fine-tuning job: polite polling on the shared policy, progress through the App's reporter.

The schedule is ops/polling.py's policy, shared with every other wait: it backs off while nothing
changes and starts over when the status moves; a longer Retry-After from the service wins. A read that
fails transiently after the transport's own retries is reported and survived; anything else (no
access, no such job) ends the wait. Ctrl-C stops waiting, never the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import JobFailedError, WaitTimeoutError
from ops.azure.errors import TransientError
from ops.azure.records import JobInfo
from ops.polling import Backoff, Timer


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
    max_consecutive_errors: int = 20,
    timeout: float | None = None,
    error_message: Callable[[JobInfo], str | None] = lambda _job: None,
    detail: Callable[[JobInfo], str] = lambda _job: "",
) -> WaitResult:
    """Poll until the job is terminal. `report(text, news)` renders progress (`news`: a status change,
    or a read that failed, worth a line of its own); `detail(job)` adds to the status line (e.g. the
    latest training loss).

    Raises JobFailedError (exit 3) with the service's message when the job ends Failed/Canceled,
    WaitTimeoutError (exit 6) when `timeout` passes, TransientError after `max_consecutive_errors`
    failed reads in a row.
    """
    backoff = backoff or Backoff()
    start = clock.now()
    polls = 0
    errors = 0
    while True:
        polls += 1
        try:
            job = fetch(name)
            errors = 0
        except TransientError as exc:
            errors += 1
            if errors >= max_consecutive_errors:
                raise
            report(f"still waiting: could not read job {name} ({exc.one_line()}); trying again", True)
            clock.sleep(_bounded(backoff.next(retry_after=exc.retry_after), start, clock, timeout))
            continue
        elapsed = clock.now() - start
        changed = backoff.observe(job.status)
        extra = detail(job) if not job.terminal else ""
        report(
            f"job {name}: {job.status} ({fmt_elapsed(elapsed)} elapsed{', ' + extra if extra else ''})",
            changed,
        )
        if job.terminal:
            if job.failed:
                message = error_message(job) or "the service gave no error message"
                raise JobFailedError(f"job {name} ended {job.status}: {message}")
            return WaitResult(job=job, polls=polls, elapsed=elapsed)
        if timeout is not None and elapsed >= timeout:
            raise WaitTimeoutError(
                f"job {name} still {job.status} after {fmt_elapsed(elapsed)}",
                hint=f"the job goes on; keep waiting with `foundry-ops finetune wait {name}`",
            )
        clock.sleep(_bounded(backoff.next(), start, clock, timeout))


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
