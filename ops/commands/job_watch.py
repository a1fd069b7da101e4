"""Wait for a fine-tuning job: polite polling, a live line on a terminal, plain lines in CI.

The schedule is ops/polling.py's policy, shared with the deployment waits: it backs off while nothing
changes and starts over when the status moves, so a long job costs few requests per hour; a longer
Retry-After from the service wins over the schedule. The clock is injectable so
tests never sleep for real. Transient read failures are reported and survived; Ctrl-C stops waiting,
never the job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ops.azure.ml_records import JOB_FAILED, JobInfo
from ops.errors import AzureError, JobFailedError
from ops.polling import Backoff, Clock, SystemClock

__all__ = [
    "Backoff",
    "Clock",
    "JobGone",
    "SystemClock",
    "WaitResult",
    "wait_for_job",
]  # teardown imports these


@dataclass
class WaitResult:
    job: JobInfo
    polls: int
    elapsed: float


class JobGone(Exception):
    pass


def wait_for_job(
    name: str,
    fetch: Callable[[str], JobInfo],
    *,
    clock: Clock,
    report: Callable[[str, bool], None],
    backoff: Backoff | None = None,
    max_consecutive_errors: int = 20,
    timeout: float | None = None,
    error_message: Callable[[str], str | None] = lambda _name: None,
) -> WaitResult:
    """Poll until the job is terminal. `report(text, status_changed)` renders progress.

    Raises JobFailedError (exit 3) with the service's message when the job ends Failed/Canceled,
    AzureError after `max_consecutive_errors` failed polls in a row or when `timeout` passes.
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
        except AzureError as exc:
            errors += 1
            if errors >= max_consecutive_errors:
                raise
            report(f"still waiting: could not read job {name} ({exc}); retrying", False)
            clock.sleep(backoff.next(retry_after=float(getattr(exc, "retry_after", 0.0) or 0.0)))
            continue
        elapsed = clock.now() - start
        changed = backoff.observe(job.status)
        report(f"job {name}: {job.status} ({_fmt_elapsed(elapsed)} elapsed)", changed)
        if job.terminal:
            if job.status in JOB_FAILED:
                detail = error_message(name) or "the service gave no error message"
                raise JobFailedError(f"job {name} ended {job.status}: {detail}")
            return WaitResult(job=job, polls=polls, elapsed=elapsed)
        if timeout is not None and elapsed >= timeout:
            raise AzureError(
                f"job {name} still {job.status} after {_fmt_elapsed(elapsed)}",
                hint=f"keep waiting with `foundry-ops finetune wait {name}`",
            )
        clock.sleep(backoff.next())


def _fmt_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
