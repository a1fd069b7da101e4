"""The polling budget: the policy's own arithmetic, then waits counted request by request in the emulator.

The documented figures come from ops.polling; these tests check that the arithmetic is the worst case of
the real schedule, and that `finetune wait` and the deployment waits stay inside it against the emulator
with an injected clock (the emulator's jobs and operations advance on that simulated clock).
"""

from __future__ import annotations

import random

import pytest

from ops.polling import (
    BUDGET_STATUS_CHANGES,
    DEFAULT_POLICY,
    MAX_DETECTION_DELAY,
    MAX_INTERVAL,
    MAX_POLLS_PER_JOB_HOUR,
    STEADY_STATE_POLLS_PER_HOUR,
    Backoff,
    PollPolicy,
)

HOUR = 3600.0


def simulate(policy: PollPolicy, reset_at: set[int], seconds: float = HOUR) -> int:
    """Polls made in `seconds` by the real Backoff when the polls numbered in `reset_at` see a change."""
    backoff = policy.backoff()
    t, polls = 0.0, 0
    while t <= seconds:
        polls += 1
        if polls in reset_at:
            backoff.reset()
        t += backoff.next()
    return polls


@pytest.mark.parametrize("changes", BUDGET_STATUS_CHANGES)
def test_max_polls_is_the_worst_case_of_the_real_schedule(changes: int) -> None:
    ramp = len(DEFAULT_POLICY.ramp())
    # a change seen just as the interval reaches the cap restarts a full ramp: the most polls
    full_ramps = {1 + ramp * (i + 1) for i in range(changes)}
    assert simulate(DEFAULT_POLICY, full_ramps) == DEFAULT_POLICY.max_polls(changes)
    rng = random.Random(changes)
    for _ in range(500):
        placement = set(rng.sample(range(2, 80), changes))
        assert simulate(DEFAULT_POLICY, placement) <= DEFAULT_POLICY.max_polls(changes)


def test_the_named_budget() -> None:
    assert MAX_DETECTION_DELAY == MAX_INTERVAL == DEFAULT_POLICY.detection_delay
    assert STEADY_STATE_POLLS_PER_HOUR == 60
    assert MAX_POLLS_PER_JOB_HOUR == DEFAULT_POLICY.max_polls(0) == 65
    assert DEFAULT_POLICY.budget() == {0: 65, 2: 73, 4: 82}
    # the second hour of an unchanging wait is pure steady state
    assert DEFAULT_POLICY.max_polls(0, 2 * HOUR) - DEFAULT_POLICY.max_polls(0) == STEADY_STATE_POLLS_PER_HOUR


def test_backoff_grows_resets_on_change_and_yields_to_a_longer_retry_after() -> None:
    backoff = Backoff(initial=5, factor=2, maximum=15)
    assert backoff.observe("Queued") is True
    assert [backoff.next() for _ in range(4)] == [5, 10, 15, 15]
    assert backoff.observe("Queued") is False
    assert backoff.next(retry_after=40) == 40  # longer than the interval: the service wins
    assert backoff.next(retry_after=2) == 15  # shorter: the schedule wins
    assert backoff.observe("Running") is True
    assert backoff.next() == 5
