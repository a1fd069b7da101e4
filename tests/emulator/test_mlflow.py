"""Training metrics through the workspace's MLflow REST API: runs/search, runs/get, metrics/get-history."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.client import Rest, finetune_body
from tests.emulator.server import Emulator
from tests.emulator.state import AZURE_OPENAI_METRICS, HF_TRAINER_METRICS

JOBS_API = "2024-10-01-preview"


@pytest.fixture
def rest(azure_emulator: Emulator) -> Rest:
    azure_emulator.settings.require_job_data = False
    return Rest(azure_emulator)


def _tracking(rest: Rest) -> str:
    """The REST base from the project's mlFlowTrackingUri (azureml:// -> https://)."""
    uri = rest.get(rest.project).json()["properties"]["mlFlowTrackingUri"]
    assert uri == f"azureml://{rest.emulator.base_url.split('://')[1]}/mlflow/v1.0{rest.project}"
    return "https://" + uri.removeprefix("azureml://")


def _submit(rest: Rest, name: str = "ft1") -> None:
    sc = rest.emulator.scenario
    body = finetune_body(sc.subscription_id, sc.resource_group, sc.project_name)
    assert rest.put(f"{rest.project}/jobs/{name}", body, JOBS_API).status_code == 201


def _poll(rest: Rest, name: str = "ft1") -> str:
    return str(rest.get(f"{rest.project}/jobs/{name}", JOBS_API).json()["properties"]["status"])


def _search(rest: Rest, base: str, filter: str) -> list[dict[str, Any]]:
    answer = rest.post(f"{base}/api/2.0/mlflow/runs/search", {"filter": filter, "max_results": 50}, None)
    assert answer.status_code == 200, answer.text
    runs: list[dict[str, Any]] = answer.json()["runs"]
    return runs


def _history(rest: Rest, base: str, run_id: str, key: str, **extra: str) -> dict[str, Any]:
    answer = rest.get(
        f"{base}/api/2.0/mlflow/metrics/get-history", None, run_id=run_id, metric_key=key, **extra
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _child(runs: list[dict[str, Any]]) -> dict[str, Any]:
    (child,) = [r for r in runs if any(t["key"] == "mlflow.parentRunId" for t in r["data"]["tags"])]
    return child


def test_metrics_grow_while_running_and_are_complete_when_done(rest: Rest) -> None:
    base = _tracking(rest)
    _submit(rest)
    (root,) = _search(rest, base, "tags.mlflow.rootRunId = 'ft1'")  # queued: no child run yet
    assert (root["info"]["run_id"], root["info"]["status"]) == ("ft1", "SCHEDULED")
    seen: list[int] = []
    while (status := _poll(rest)) != "Completed":
        runs = _search(rest, base, "tags.mlflow.rootRunId = 'ft1'")
        if status in ("Running", "Finalizing"):
            child = _child(runs)
            assert child["info"]["status"] == "RUNNING"
            seen.append(len(_history(rest, base, child["info"]["run_id"], "loss")["metrics"]))
    assert seen and seen == sorted(seen) and seen[0] > 0
    runs = _search(rest, base, "tags.mlflow.rootRunId = 'ft1'")
    assert {r["info"]["status"] for r in runs} == {"FINISHED"}
    child = _child(runs)
    tags = {t["key"]: t["value"] for t in child["data"]["tags"]}
    assert (tags["mlflow.rootRunId"], tags["mlflow.parentRunId"]) == ("ft1", "ft1")
    assert {m["key"] for m in child["data"]["metrics"]} == set(HF_TRAINER_METRICS)
    losses = _history(rest, base, child["info"]["run_id"], "loss")["metrics"]
    assert [p["step"] for p in losses] == list(range(1, rest.emulator.settings.metric_steps + 1))
    values = [p["value"] for p in losses]
    assert values == sorted(values, reverse=True) and len(set(values)) == len(values)
    last = {m["key"]: m for m in child["data"]["metrics"]}["loss"]
    assert last == losses[-1]
    assert child["data"]["params"] == [
        {"key": "num_train_epochs", "value": "2"},
        {"key": "learning_rate", "value": "0.0002"},
    ]


def test_history_pages_and_unknown_runs(rest: Rest) -> None:
    base = _tracking(rest)
    _submit(rest)
    while _poll(rest) != "Completed":
        pass
    child = _child(
        _search(rest, base, "attributes.run_id IN ('ft1', 'nope')")
        + _search(rest, base, "tags.mlflow.parentRunId = 'ft1'")
    )
    run_id = child["info"]["run_id"]
    first = _history(rest, base, run_id, "eval_loss", max_results="3")
    assert [p["step"] for p in first["metrics"]] == [2, 4, 6]  # evaluation every second step
    rest_of = _history(rest, base, run_id, "eval_loss", page_token=first["next_page_token"])
    assert [p["step"] for p in rest_of["metrics"]] == [
        8,
        10,
        12,
        14,
        16,
        18,
        20,
    ] and "next_page_token" not in rest_of
    assert _history(rest, base, "ft1", "loss")["metrics"] == []  # the root run holds none
    missing = rest.get(f"{base}/api/2.0/mlflow/metrics/get-history", None, run_id="nope", metric_key="loss")
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    bad = rest.post(f"{base}/api/2.0/mlflow/runs/search", {"filter": "tags.x != 'y'"}, None)
    assert (bad.status_code, bad.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    got = rest.get(f"{base}/api/2.0/mlflow/runs/get", None, run_id=run_id).json()["run"]
    assert got["info"]["run_id"] == run_id


def test_azure_openai_metric_names_and_failed_jobs(rest: Rest) -> None:
    rest.emulator.settings.metric_names = AZURE_OPENAI_METRICS
    rest.emulator.faults.add("job_fail", method="PUT", path="/jobs/", message="bad data")
    base = _tracking(rest)
    _submit(rest)
    while _poll(rest) not in ("Completed", "Failed"):
        pass
    child = _child(_search(rest, base, "tags.mlflow.rootRunId = 'ft1'"))
    assert child["info"]["status"] == "FAILED" and "end_time" in child["info"]
    assert {m["key"] for m in child["data"]["metrics"]} == set(AZURE_OPENAI_METRICS)
    accuracy = [
        p["value"]
        for p in _history(rest, base, child["info"]["run_id"], "train_mean_token_accuracy")["metrics"]
    ]
    assert accuracy == sorted(accuracy) and len(accuracy) < rest.emulator.settings.metric_steps


def test_metrics_follow_a_simulated_clock(rest: Rest) -> None:
    now = [0.0]
    settings = rest.emulator.settings
    settings.clock = lambda: now[0]
    settings.job_timeline = ((0, "Queued"), (100, "Running"), (1100, "Completed"))
    base = _tracking(rest)
    _submit(rest)
    counts = []
    for at in (50, 150, 600, 1050, 1200):
        now[0] = at
        _poll(rest)
        runs = _search(rest, base, "tags.mlflow.rootRunId = 'ft1'")
        child = [r for r in runs if r["info"]["run_id"] != "ft1"]
        counts.append(
            len(_history(rest, base, child[0]["info"]["run_id"], "loss")["metrics"]) if child else 0
        )
    assert counts == [0, 1, 10, 19, 20]


def test_mlflow_routes_need_a_token_and_obey_faults(rest: Rest) -> None:
    base = _tracking(rest)
    rest.emulator.faults.add(
        "status", method="POST", path=r"/mlflow/v1\.0/.*/runs/search$", status=429, retry_after=1
    )
    assert rest.post(f"{base}/api/2.0/mlflow/runs/search", {}, None).status_code == 429
    assert rest.post(f"{base}/api/2.0/mlflow/runs/search", {}, None).json() == {"runs": []}
    rest.session.headers.pop("Authorization")
    assert rest.post(f"{base}/api/2.0/mlflow/runs/search", {}, None).status_code == 401
