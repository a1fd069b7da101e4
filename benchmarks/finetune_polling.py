"""How many requests `finetune wait` costs per job-hour, and what one poll costs through the adapter.

Figures: the polling budget of ops/polling.py (the policy `finetune wait` and the deployment waits
share: 5 s, x1.5 while unchanged, capped at 60 s, back to 5 s on every change) -- worst-case polls per
job-hour with k status changes, computed from the policy, next to the polls the real wait loop makes
when the k changes are evenly spread; HTTP requests per poll, measured through the toolkit's jobs
adapter (ops/azure/jobs.py) against the emulator (one GET at the preview api-version; azure-ai-ml's
jobs.get would make two); the resulting requests per job-hour; the longest detection delay; and the
time to build the client, sign in and read one job.
Run: `python -m benchmarks.finetune_polling`.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path


class _Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def polls_per_hour(changes: int) -> int:
    """Polls the wait loop makes in one hour when the status changes `changes` times, evenly spread."""
    from ops.azure.records import JobInfo
    from ops.flows.waiting import wait_for_job

    clock = _Clock()
    statuses = ["Queued", "Preparing", "Running", "Finalizing", "Running", "Finalizing"]
    polls = 0

    def fetch(name: str) -> JobInfo:
        nonlocal polls
        polls += 1
        if clock.t >= 3600:
            status = "Completed"
        else:
            step = int(clock.t / (3600 / (changes + 1)))
            status = statuses[min(step, len(statuses) - 1)]
        return JobInfo(name, status, None, None, None, None, None, None, {}, {}, None)

    wait_for_job("bench", fetch, clock=clock, report=lambda *_: None)
    return polls - 1  # the last poll is the one that saw Completed after the hour


def requests_per_poll() -> tuple[float, float]:
    """HTTP requests per poll (one `jobs.get`) and seconds of the first call, against the emulator."""
    from ops.app import App
    from ops.azure.records import FineTuneSpec
    from tests.emulator.stack import EmulatedStack

    with tempfile.TemporaryDirectory() as tmp:
        stack = EmulatedStack(Path(tmp), blob=False).start()
        saved = dict(os.environ)
        try:
            os.environ.update(stack.env())
            stack.emulator.settings.polls_per_step = 10**9  # the job stays Queued while we poll
            stack.emulator.settings.require_job_data = False
            app = App(outputs_file=stack.outputs_file)
            t0 = time.perf_counter()
            app.jobs.find("bench-job")
            first = time.perf_counter() - t0
            app.jobs.submit(
                FineTuneSpec(
                    name="bench-job",
                    display_name="bench",
                    model_uri="azureml://registries/azureml/models/Phi-4/versions/1",
                    training_data="azureml:t:1",
                    validation_data="azureml:v:1",
                    output_model_name="bench-ft",
                    hyperparameters={"num_train_epochs": "1"},
                    tags={},
                )
            )
            before = stack.emulator.count("GET", "/jobs/bench-job")
            n = 20
            for _ in range(n):
                app.jobs.get("bench-job")
            per_poll = (stack.emulator.count("GET", "/jobs/bench-job") - before) / n
            app.close()
            return per_poll, first
        finally:
            os.environ.clear()
            os.environ.update(saved)
            stack.stop()


def main() -> None:
    from ops.polling import (
        BUDGET_STATUS_CHANGES,
        DEFAULT_POLICY,
        MAX_DETECTION_DELAY,
        STEADY_STATE_POLLS_PER_HOUR,
    )

    per_poll, first = requests_per_poll()
    print(f"HTTP requests per poll (Jobs.get): {per_poll:.1f}")
    print(f"first job look-up incl. client construction and token: {first * 1000:.0f} ms")
    print(f"longest delay between a terminal state and the wait noticing it: {MAX_DETECTION_DELAY:g} s")
    print(f"steady state (interval at its cap): {STEADY_STATE_POLLS_PER_HOUR} polls/hour")
    for changes in BUDGET_STATUS_CHANGES:
        worst = DEFAULT_POLICY.max_polls(changes)
        polls = polls_per_hour(changes)
        print(
            f"status changes in the hour: {changes}: budget {worst} polls/job-hour (worst case) = "
            f"{worst * per_poll:.0f} HTTP requests; evenly spread changes: {polls} polls = "
            f"{polls * per_poll:.0f} HTTP requests/job-hour"
        )


if __name__ == "__main__":
    main()
