"""Training metrics of a job, from the workspace's MLflow tracking service (REST).

Azure ML jobs log their metrics to MLflow; for hub workspaces Microsoft documents MLflow against the
workspace tracking URI as the way to read them (MicrosoftDocs/azure-ai-docs, articles/machine-learning/
how-to-track-experiments-mlflow.md): the job's name is its MLflow run id, child runs carry
`tags.mlflow.rootRunId`. Which metric names a serverless FineTuning job writes is documented nowhere,
so every metric found is returned and the names are interpreted above (ops/flows/training.py).
Routes (mlflow.org/docs/latest/rest-api.html): `GET runs/get`, `POST runs/search`,
`GET metrics/get-history`, under `https://<host>/mlflow/v1.0/<workspace ARM id>/api/2.0/mlflow/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.errors import NotFoundError, ToolkitError
from ops.azure.arm import json_of

if TYPE_CHECKING:
    from ops.azure.transport import Transport
    from ops.azure.workspaces import Workspaces

MAX_RESULTS = 25000  # metrics/get-history page size (the service's maximum)


@dataclass(frozen=True)
class MetricPoint:
    step: int
    value: float
    timestamp: int


@dataclass(frozen=True)
class RunMetrics:
    """Every metric of a job's runs (root and children), by name, points in step order."""

    run_ids: tuple[str, ...]
    series: dict[str, list[MetricPoint]] = field(default_factory=dict)


class Tracking:
    def __init__(self, transport: Transport, workspaces: Workspaces) -> None:
        self.transport = transport
        self.workspaces = workspaces
        self._experiments: dict[str, str] = {}  # job -> its MLflow experiment id

    def _base(self) -> tuple[Any, str]:
        uri = self.workspaces.project.tracking_uri
        if not uri or "://" not in uri:
            raise ToolkitError("the project workspace names no MLflow tracking URI")
        url = "https://" + uri.split("://", 1)[1]
        return self.transport.arm(), url.rstrip("/") + "/api/2.0/mlflow"

    def _runs(self, job: str) -> list[dict[str, Any]]:
        """The job's run and its children (the children log the metrics): one search on
        `tags.mlflow.rootRunId`, which carries the root run too (it is its own root: the run search shape in
        tests/contract/fixtures/registry-and-metrics). `runs/get` is read once per job, for the experiment."""
        client, base = self._base()
        what = f"reading metrics of job {job}"
        experiment = self._experiments.get(job)
        root: dict[str, Any] | None = None
        if experiment is None:
            try:
                root = (
                    json_of(
                        self.transport.send(
                            client, "GET", f"{base}/runs/get?run_id={quote(job)}", what=what, ok=(200,)
                        )
                    ).get("run")
                    or {}
                )
            except NotFoundError:
                raise NotFoundError(f"job {job} has no run in the workspace's tracking service yet") from None
            experiment = self._experiments[job] = str((root.get("info") or {}).get("experiment_id") or "")
        runs: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            body: dict[str, Any] = {
                "experiment_ids": [experiment],
                "filter": f"tags.mlflow.rootRunId = '{job}'",
                "run_view_type": "ACTIVE_ONLY",
                "max_results": 1000,
            }
            if token:
                body["page_token"] = token
            page = json_of(
                self.transport.send(
                    client, "POST", f"{base}/runs/search", what=what, json=body, ok=(200,), safe_post=True
                )
            )
            runs += [r for r in page.get("runs") or [] if isinstance(r, dict)]
            token = page.get("next_page_token") or None
            if not token:
                break
        if root is not None and not any(_run_id(r) == job for r in runs):
            runs.insert(0, root)  # a root run the search did not return (untagged) still counts
        return runs

    def latest(self, job: str) -> dict[str, MetricPoint]:
        """Each metric's last logged value (what a run's `data.metrics` holds): one search, no histories."""
        found: dict[str, MetricPoint] = {}
        for run in self._runs(job):
            for item in (run.get("data") or {}).get("metrics") or []:
                if isinstance(item, dict) and item.get("key") and isinstance(item.get("value"), int | float):
                    point = MetricPoint(
                        int(item.get("step") or 0), float(item["value"]), int(item.get("timestamp") or 0)
                    )
                    if point.step >= found.get(item["key"], point).step:
                        found[str(item["key"])] = point
        return found

    def job_metrics(self, job: str) -> RunMetrics:
        """Every metric of the job's runs, each with its whole history."""
        client, base = self._base()
        what = f"reading metrics of job {job}"
        runs = [r for r in self._runs(job) if _run_id(r)]
        found = RunMetrics(run_ids=tuple(_run_id(r) for r in runs))
        for run in runs:
            run_id = _run_id(run)
            keys = {m.get("key") for m in (run.get("data") or {}).get("metrics") or [] if isinstance(m, dict)}
            for key in sorted(k for k in keys if k):
                found.series.setdefault(str(key), []).extend(
                    self._history(client, base, run_id, str(key), what)
                )
        for points in found.series.values():
            points.sort(key=lambda p: (p.step, p.timestamp))
        return found

    def _history(self, client: Any, base: str, run_id: str, key: str, what: str) -> list[MetricPoint]:
        points: list[MetricPoint] = []
        token: str | None = None
        while True:
            url = f"{base}/metrics/get-history?run_id={quote(run_id)}&metric_key={quote(key)}&max_results={MAX_RESULTS}"
            if token:
                url += f"&page_token={quote(token)}"
            page = json_of(self.transport.send(client, "GET", url, what=what, ok=(200,)))
            for item in page.get("metrics") or []:
                if isinstance(item, dict) and isinstance(item.get("value"), int | float):
                    points.append(
                        MetricPoint(
                            int(item.get("step") or 0), float(item["value"]), int(item.get("timestamp") or 0)
                        )
                    )
            token = page.get("next_page_token") or None
            if not token:
                return points


def _run_id(run: dict[str, Any]) -> str:
    info = run.get("info") or {}
    return str(info.get("run_id") or info.get("run_uuid") or "")
