"""Progressions on a test's simulated clock instead of poll counts, for tests that count requests over time.

By default a job moves one status per GET and an operation finishes after `lro_polls` polls, which
says nothing about how often a client polls. With `settings.clock` (a callable returning the test's
simulated seconds) and a timeline, status depends only on when a request arrives:

    emulator.settings.clock = clock.now
    emulator.settings.job_timeline = ((0, "Queued"), (600, "Running"), (3600, "Completed"))
    emulator.settings.lro_timeline = ((0, "InProgress"), (90, "Succeeded"))

Times are seconds after the PUT that created the job, or after the PUT/DELETE that started the
operation. Every logged request then carries `at`, the simulated time it arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Timeline = Sequence[tuple[float, str]]


def status_at(timeline: Timeline, elapsed: float) -> str:
    """The status in effect `elapsed` seconds after the start: the last entry not later than that."""
    current = timeline[0][1]
    for start, status in timeline:
        if start <= elapsed:
            current = status
    return current


def now(clock: Callable[[], float] | None) -> float | None:
    return None if clock is None else float(clock())
