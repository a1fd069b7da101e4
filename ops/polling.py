"""The one polling policy every wait uses (`finetune wait`, `deploy create --wait`, `deploy delete`).

Azure throttles subscriptions that poll too hard, and a pipeline pays for every minute it waits too
long. So the interval starts short, grows while nothing changes, starts over when the status moves,
yields to a longer Retry-After from the service, and is capped. The budget the docs promise is computed
here from the policy's constants, never written down by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ops.clock import Clock, SystemClock, Timer

__all__ = ["Backoff", "Clock", "PollPolicy", "SystemClock", "Timer", "policy_for"]

from ops.limits import INITIAL_INTERVAL, MAX_INTERVAL

BACKOFF_FACTOR = 1.5  # the interval grows by this after every poll that saw no change
# A terminal state that happens just after a poll is seen by the next one, at most one interval later.
MAX_DETECTION_DELAY = MAX_INTERVAL
# Once the interval has reached the cap, a wait costs at most this many polls an hour.
STEADY_STATE_POLLS_PER_HOUR = math.ceil(3600 / MAX_INTERVAL)
BUDGET_STATUS_CHANGES = (0, 2, 4)  # the status changes per hour the documented budget is given for


@dataclass
class Backoff:
    """One wait's interval: `initial`, times `factor` after every unchanged poll, capped at `maximum`.

    `observe(status)` starts over when the status moves; `next(retry_after)` gives the wait before the
    next poll, the service's Retry-After when that is longer.
    """

    initial: float = INITIAL_INTERVAL
    factor: float = BACKOFF_FACTOR
    maximum: float = MAX_INTERVAL
    current: float = field(init=False)
    status: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.current = self.initial

    def reset(self) -> None:
        self.current = self.initial

    def observe(self, status: str | None) -> bool:
        """Record the status a poll saw; True (and the interval starts over) when it changed."""
        changed = status != self.status
        self.status = status
        if changed:
            self.reset()
        return changed

    def next(self, retry_after: float | None = None) -> float:
        value = max(self.current, retry_after or 0.0)
        self.current = min(self.current * self.factor, self.maximum)
        return value


@dataclass(frozen=True)
class PollPolicy:
    """The schedule's parameters; `backoff()` gives a fresh state for one wait."""

    initial: float = INITIAL_INTERVAL
    factor: float = BACKOFF_FACTOR
    maximum: float = MAX_INTERVAL

    def backoff(self) -> Backoff:
        return Backoff(initial=self.initial, factor=self.factor, maximum=self.maximum)

    @property
    def detection_delay(self) -> float:
        """Longest time between a terminal state happening and a poll seeing it (no throttling)."""
        return max(self.initial, self.maximum)

    def ramp(self) -> list[float]:
        """The intervals from a (re)start until the cap, the cap itself excluded."""
        intervals: list[float] = []
        value = self.initial
        while value < self.maximum:
            intervals.append(value)
            value = min(value * self.factor, self.maximum)
        return intervals

    def max_polls(self, changes: int, seconds: float = 3600.0) -> int:
        """Worst-case polls in `seconds` of waiting (the first poll at 0 included) with `changes` resets.

        Every reset restarts the ramp of short intervals, and any poll may be the one that sees a change,
        so the most polls fit when the window is filled with the shortest intervals that `changes + 1`
        ramps offer, topped up with capped intervals.
        """
        short = sorted(self.ramp() * (changes + 1))
        polls, spent = 1, 0.0
        for interval in short:
            if spent + interval > seconds:
                return polls
            spent += interval
            polls += 1
        return polls + int((seconds - spent) // self.detection_delay)

    def budget(self) -> dict[int, int]:
        """Worst-case polls per job-hour for each number of status changes the docs give."""
        return {k: self.max_polls(k) for k in BUDGET_STATUS_CHANGES}


DEFAULT_POLICY = PollPolicy()
# Worst-case polls in the first hour of a wait whose status never changes (each poll is one GET).
MAX_POLLS_PER_JOB_HOUR = DEFAULT_POLICY.max_polls(0)


def policy_for(poll_interval: float) -> PollPolicy:
    """The default policy starting at `--poll-interval` (a longer first interval also raises the cap)."""
    return PollPolicy(initial=poll_interval, maximum=max(MAX_INTERVAL, poll_interval))
