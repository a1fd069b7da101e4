"""The polling budget: the policy's own arithmetic, then waits counted request by request in the emulator.

The documented figures come from ops.polling; these tests check that the arithmetic is the worst case of
the real schedule, and that `finetune wait` and the deployment waits stay inside it against the emulator
with an injected clock (the emulator's jobs and operations advance on that simulated clock).
"""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ops.cli import cli
from ops.flows.training import LOSS_INTERVAL
from ops.polling import (
    BACKOFF_FACTOR,
    BUDGET_STATUS_CHANGES,
    DEFAULT_POLICY,
    INITIAL_INTERVAL,
    MAX_DETECTION_DELAY,
    MAX_INTERVAL,
    MAX_POLLS_PER_JOB_HOUR,
    STEADY_STATE_POLLS_PER_HOUR,
    Backoff,
    PollPolicy,
)
from tests.emulator.server import Emulator
from tests.emulator.timeline import Timeline
from tests.ops.ml.helpers import FakeClock

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


# ------------------------------------------------------------------ against the emulator, counted
class SimClock(FakeClock):
    """Simulated time for the whole process, given to the App: the wait loop, azure-core's retries and the
    LRO polls all sleep on it, and the emulator stamps each request with it (`at`)."""


@pytest.fixture
def sim(azure_emulator: Emulator, emulator_env: dict[str, str]) -> SimClock:
    clock = SimClock()
    azure_emulator.settings.clock = clock.now
    azure_emulator.settings.require_job_data = False  # the budget is about polls, not data
    return clock


def cli_on(clock: SimClock, *args: str) -> Result:
    from ops.app import App

    return CliRunner().invoke(cli, list(args), catch_exceptions=False, obj=App(clock=clock))


def submit_job(emulator: Emulator, timeline: Timeline) -> str:
    from ops.app import App
    from ops.azure.records import FineTuneSpec

    emulator.settings.job_timeline = timeline
    app = App(outputs_file=emulator.outputs_file)  # type: ignore[attr-defined]
    try:
        job = app.jobs.submit(
            FineTuneSpec(
                name="ft-budget",
                display_name="budget",
                model_uri="azureml://registries/azureml/models/Phi-4-mini-instruct/versions/1",
                training_data="azureml:t:1",
                validation_data="azureml:v:1",
                output_model_name="phi-4-mini-instruct-ft-budget",
                hyperparameters={"num_train_epochs": "1"},
                tags={},
            )
        )
    finally:
        app.close()
    return job.name


def wait_job(clock: SimClock, name: str, *extra: str) -> Result:
    result = cli_on(clock, "finetune", "wait", name, "-o", "json", *extra)
    assert result.exit_code == 0, result.stderr
    return result


def job_polls(emulator: Emulator, name: str) -> list[dict[str, Any]]:
    return [r for r in emulator.requests if r["method"] == "GET" and r["path"].endswith(f"/jobs/{name}")]


def arm_requests_since(emulator: Emulator, start: int) -> list[dict[str, Any]]:
    """Requests after the first `start` log entries, token traffic left out."""
    return [r for r in emulator.requests[start:] if "/oauth2/" not in r["path"] and "/v2.0/" not in r["path"]]


# Job timelines with 0, 2 and 4 status changes inside the hour, Completed at 3600 s.
JOB_TIMELINES: dict[int, Timeline] = {
    0: ((0, "Running"), (HOUR, "Completed")),
    2: ((0, "Queued"), (1200, "Preparing"), (2400, "Running"), (HOUR, "Completed")),
    4: (
        (0, "NotStarted"),
        (720, "Starting"),
        (1440, "Preparing"),
        (2160, "Queued"),
        (2880, "Running"),
        (HOUR, "Completed"),
    ),
}


@pytest.mark.parametrize("changes", BUDGET_STATUS_CHANGES)
def test_a_job_hour_stays_within_the_budget(sim: SimClock, azure_emulator: Emulator, changes: int) -> None:
    name = submit_job(azure_emulator, JOB_TIMELINES[changes])
    start = len(azure_emulator.requests)
    result = wait_job(sim, name)
    assert json.loads(result.stdout)["status"] == "Completed"
    waited = arm_requests_since(azure_emulator, start)
    polls = [r for r in waited if r["method"] == "GET" and r["path"].endswith(f"/jobs/{name}")]
    # a poll costs one request; besides the polls, only the loss for the status line is read: the
    # workspace and the job's run once, then one MLflow search at most every LOSS_INTERVAL seconds
    others = [r for r in waited if r not in polls]
    searches = [r for r in others if r["path"].endswith("/runs/search")]
    once = [r for r in others if r not in searches]
    assert sorted(r["path"].rsplit("/", 1)[-1] for r in once) in ([], sorted(["proj-foundry-dev", "get"]))
    assert len([r for r in searches if r["at"] <= HOUR]) <= HOUR / LOSS_INTERVAL + 1
    in_hour = [r for r in polls if r["at"] <= HOUR]
    assert len(in_hour) <= DEFAULT_POLICY.max_polls(changes)
    if changes == 0:  # nothing to place adversarially: the schedule itself is the worst case
        assert len(in_hour) == MAX_POLLS_PER_JOB_HOUR


@pytest.mark.parametrize("done_at", [307.0, 1800.0, 2999.5, HOUR])
def test_a_terminal_job_is_noticed_within_the_detection_delay(
    sim: SimClock, azure_emulator: Emulator, done_at: float
) -> None:
    name = submit_job(azure_emulator, ((0, "Running"), (done_at, "Completed")))
    wait_job(sim, name)
    polls = job_polls(azure_emulator, name)
    seen = polls[-1]["at"]
    assert all(r["at"] < done_at for r in polls[:-1])  # the last poll is the first at or after it
    assert done_at <= seen <= done_at + MAX_DETECTION_DELAY
    assert sim.now() == seen  # the command returned right then, without another wait


def test_a_retry_after_longer_than_the_interval_is_honoured(sim: SimClock, azure_emulator: Emulator) -> None:
    name = submit_job(azure_emulator, ((0, "Running"), (HOUR, "Completed")))
    azure_emulator.faults.add(
        "status", method="GET", path=f"/jobs/{name}$", status=429, retry_after=150, count=3, skip=2
    )
    start = len(azure_emulator.requests)
    wait_job(sim, name)
    waited = arm_requests_since(azure_emulator, start)
    throttled = [i for i, r in enumerate(waited) if r["status"] == 429]
    assert len(throttled) == 3
    for i in throttled:  # no request at all before the Retry-After has passed
        assert waited[i + 1]["at"] - waited[i]["at"] >= 150
    # the throttled reads were retried; the wait went on and noticed the end in time
    assert waited[-1]["status"] == 200 and waited[-1]["at"] <= HOUR + MAX_DETECTION_DELAY


def test_a_status_change_starts_the_backoff_over(sim: SimClock, azure_emulator: Emulator) -> None:
    timeline: Timeline = ((0, "Queued"), (1000, "Running"), (2000, "Completed"))
    name = submit_job(azure_emulator, timeline)
    wait_job(sim, name)
    ats = [r["at"] for r in job_polls(azure_emulator, name)]
    gaps = [b - a for a, b in itertools.pairwise(ats)]
    first_running = next(i for i, at in enumerate(ats) if at >= 1000)
    assert gaps[: len(DEFAULT_POLICY.ramp())] == DEFAULT_POLICY.ramp()  # grows while Queued ...
    assert gaps[first_running - 1] == MAX_INTERVAL  # ... up to the cap ...
    assert gaps[first_running] == INITIAL_INTERVAL  # ... and starts over once Running is seen
    assert gaps[first_running + 1] == INITIAL_INTERVAL * BACKOFF_FACTOR


def test_poll_interval_sets_the_first_interval(sim: SimClock, azure_emulator: Emulator) -> None:
    name = submit_job(azure_emulator, ((0, "Running"), (600, "Completed")))
    wait_job(sim, name, "--poll-interval", "20")
    ats = [r["at"] for r in job_polls(azure_emulator, name)]
    assert [b - a for a, b in itertools.pairwise(ats)][:3] == [20, 30, 45]


# ------------------------------------------------------------------------------- deployment waits
MODEL = "phi-4-mini-instruct-ft-budget"


def deploy(clock: SimClock, emulator: Emulator, timeline: Timeline) -> dict[str, Any]:
    from tests.emulator.routes.assets import add_model_version

    emulator.settings.lro_timeline = timeline
    add_model_version(  # what a completed fine-tuning job registers
        emulator.ctx,
        emulator.scenario.project_name,
        MODEL,
        {
            "modelType": "mlflow_model",
            "modelUri": "azureml://jobs/ft-budget/outputs/registered_model",
            "jobName": "ft-budget",
            "flavors": {"mlflow": {"data": {}}},
        },
    )
    result = cli_on(clock, "deploy", "create", "--model", f"{MODEL}:1", "-o", "json")
    assert result.exit_code == 0, result.stderr
    endpoint: dict[str, Any] = json.loads(result.stdout)
    assert endpoint["provisioning_state"] == "Succeeded"
    return endpoint


def status_polls(emulator: Emulator) -> list[dict[str, Any]]:
    return [r for r in emulator.requests if r["method"] == "GET" and "/mfeOperationsStatus/" in r["path"]]


def test_an_hour_long_deployment_stays_within_the_budget_and_is_noticed_in_time(
    sim: SimClock, azure_emulator: Emulator
) -> None:
    deploy(sim, azure_emulator, ((0, "InProgress"), (HOUR, "Succeeded")))
    polls = status_polls(azure_emulator)
    assert len([r for r in polls if r["at"] <= HOUR]) == MAX_POLLS_PER_JOB_HOUR
    assert HOUR <= polls[-1]["at"] <= HOUR + MAX_DETECTION_DELAY


@pytest.mark.parametrize("done_at", [42.0, 333.0, 1200.0])
def test_a_finished_deployment_is_noticed_within_the_detection_delay(
    sim: SimClock, azure_emulator: Emulator, done_at: float
) -> None:
    deploy(sim, azure_emulator, ((0, "InProgress"), (done_at, "Succeeded")))
    polls = status_polls(azure_emulator)
    assert all(r["at"] < done_at for r in polls[:-1])
    assert done_at <= polls[-1]["at"] <= done_at + MAX_DETECTION_DELAY


def test_deployment_status_change_starts_the_backoff_over(sim: SimClock, azure_emulator: Emulator) -> None:
    deploy(sim, azure_emulator, ((0, "InProgress"), (400, "Provisioning"), (900, "Succeeded")))
    ats = [r["at"] for r in status_polls(azure_emulator)]
    gaps = [b - a for a, b in itertools.pairwise(ats)]
    changed = next(i for i, at in enumerate(ats) if at >= 400)
    assert gaps[: len(DEFAULT_POLICY.ramp())] == DEFAULT_POLICY.ramp()
    assert gaps[changed - 1] == MAX_INTERVAL
    assert gaps[changed] == INITIAL_INTERVAL


def test_deployment_honours_retry_after_on_answers_and_on_throttling(
    sim: SimClock, azure_emulator: Emulator
) -> None:
    azure_emulator.settings.retry_after_lro = 100  # every InProgress answer asks for 100 s
    azure_emulator.faults.add(
        "status", method="GET", path="/mfeOperationsStatus/", status=429, retry_after=150, count=1, skip=2
    )
    deploy(sim, azure_emulator, ((0, "InProgress"), (600, "Succeeded")))
    polls = status_polls(azure_emulator)
    gaps = [(b["at"] - a["at"], a["status"]) for a, b in itertools.pairwise(polls)]
    assert gaps and all(gap >= 100 for gap, _ in gaps)  # the answers' Retry-After
    throttled = next(r for r in polls if r["status"] == 429)
    # 150 s is more than one call waits out: the operation is left, the endpoint is watched instead,
    # and nothing goes out before the 150 s have passed
    later = [r for r in arm_requests_since(azure_emulator, 0) if r["at"] > throttled["at"]]
    assert later and min(r["at"] for r in later) - throttled["at"] >= 150
    assert all("/mfeOperationsStatus/" not in r["path"] for r in later)


def test_deploy_delete_waits_on_the_same_schedule(sim: SimClock, azure_emulator: Emulator) -> None:
    name = deploy(sim, azure_emulator, ((0, "InProgress"), (10, "Succeeded")))["name"]
    azure_emulator.settings.lro_timeline = ((0, "InProgress"), (300, "Succeeded"))
    start, began = len(status_polls(azure_emulator)), sim.now()
    result = cli_on(sim, "deploy", "delete", name, "--yes", "-o", "json")
    assert result.exit_code == 0, result.stderr
    ats = [r["at"] - began for r in status_polls(azure_emulator)[start:]]
    gaps = [b - a for a, b in itertools.pairwise(ats)]
    ramp = DEFAULT_POLICY.ramp()
    assert gaps == ramp + [MAX_INTERVAL] * (len(gaps) - len(ramp))
    assert 300 <= ats[-1] <= 300 + MAX_DETECTION_DELAY
