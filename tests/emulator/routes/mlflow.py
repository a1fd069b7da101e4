"""Training metrics of fine-tuning jobs through the workspace's MLflow REST API (tests/contract/fixtures/
registry-and-metrics/NOTES.md section C; mlflow-*.shape.json are shapes, not recordings).

The project's `mlFlowTrackingUri` is `azureml://<emulator host:port>/mlflow/v1.0/<workspace ARM id>`;
the REST base is the same with `https://`. Served, with the ARM bearer token:

- `POST {base}/api/2.0/mlflow/runs/search` {experiment_ids?, filter?, max_results?, page_token?}:
  filters `tags.mlflow.rootRunId = '<job>'`, `tags.mlflow.parentRunId = '<job>'`,
  `attributes.run_id = '<id>'` / `attributes.run_id IN ('a', 'b')`, `attributes.status = 'FINISHED'`,
  `tags.<key> = '<value>'`, joined with AND. Each job has a root run (run_id = the job name) and, once it
  has started, ONE child run holding the metrics (tags mlflow.rootRunId/mlflow.parentRunId = the job);
  `data.metrics` holds each metric's last value.
- `GET {base}/api/2.0/mlflow/runs/get?run_id=`.
- `GET {base}/api/2.0/mlflow/metrics/get-history?run_id=&metric_key=[&max_results][&page_token]`
  -> {metrics: [{key, value, timestamp, step}], next_page_token?}.

Metric names come from `settings.metric_names` (HF-Trainer style by default; state.AZURE_OPENAI_METRICS
for the Azure OpenAI results.csv style). No public source says which names a serverless Phi job logs:
clients must discover them from the run. Values are deterministic (losses fall, accuracies rise, step
from 1); `eval_*`/`valid_*` metrics are logged every second step. They appear as the job progresses:
none while queued, `settings.metric_steps_per_poll` more per job poll while it runs (or, on a
simulated clock with a job timeline, in proportion to the running time passed), all
`settings.metric_steps` once Completed; a failed or canceled job keeps what it had.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.http import Request, Response, Router
from tests.emulator.routes.common import WS, Context, check_scope, require_token, workspace
from tests.emulator.state import stable_guid

BASE = r"/mlflow/v1\.0" + WS + r"/api/2\.0/mlflow"
STATUS = {
    "Completed": "FINISHED",
    "Failed": "FAILED",
    "Canceled": "KILLED",
    "Running": "RUNNING",
    "Finalizing": "RUNNING",
    "CancelRequested": "RUNNING",
}
_CLAUSE = re.compile(
    r"^\s*(?P<field>[A-Za-z_.`\"]+(?:\.[A-Za-z_.`\"]+)*)\s*(?P<op>=|IN)\s*(?P<value>'[^']*'|\([^)]*\))\s*$",
    re.IGNORECASE,
)


class MlflowError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> Response:
        return Response(self.status, {"error_code": self.code, "message": self.message})


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def guarded(handler: Any) -> Any:
        def run(request: Request) -> Response:
            require_token(ctx, request)
            check_scope(ctx, request)
            workspace(ctx, request)
            try:
                with world.lock:
                    return handler(request)  # type: ignore[no-any-return]
            except MlflowError as exc:
                return exc.response()

        return run

    def search(request: Request) -> Response:
        body = request.json() if request.body else {}
        runs = all_runs(ctx, request.params["ws"])
        experiments = [str(e) for e in body.get("experiment_ids") or []]
        if experiments:
            runs = [r for r in runs if r["info"]["experiment_id"] in experiments]
        for clause in _clauses(str(body.get("filter") or "")):
            runs = [r for r in runs if _matches(r, *clause)]
        start = _token(body.get("page_token"))
        size = int(body.get("max_results") or 1000)
        answer: dict[str, Any] = {"runs": runs[start : start + size]}
        if start + size < len(runs):
            answer["next_page_token"] = str(start + size)
        return Response(200, answer)

    def get_run(request: Request) -> Response:
        run_id = _required(request, "run_id")
        found = find_run(ctx, request.params["ws"], run_id)
        return Response(200, {"run": found})

    def history(request: Request) -> Response:
        run_id = _required(request, "run_id")
        key = _required(request, "metric_key")
        find_run(ctx, request.params["ws"], run_id)
        points = [p for p in _series(ctx, request.params["ws"], run_id) if p["key"] == key]
        start = _token(request.query.get("page_token"))
        size = int(request.query.get("max_results") or 25000)
        if size > 25000:
            raise MlflowError(400, "INVALID_PARAMETER_VALUE", "max_results must be at most 25000.")
        answer: dict[str, Any] = {"metrics": points[start : start + size]}
        if start + size < len(points):
            answer["next_page_token"] = str(start + size)
        return Response(200, answer)

    router.add("POST", BASE + "/runs/search", guarded(search))
    router.add("GET", BASE + "/runs/get", guarded(get_run))
    router.add("GET", BASE + "/metrics/get-history", guarded(history))


# --- runs ---------------------------------------------------------------------------------------
def all_runs(ctx: Context, ws_name: str) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = []
    for (ws, _), job in list(ctx.world.jobs.items()):
        if ws == ws_name.lower():
            runs += _job_runs(ctx, job)
    return runs


def find_run(ctx: Context, ws_name: str, run_id: str) -> dict[str, Any]:
    for run in all_runs(ctx, ws_name):
        if run["info"]["run_id"] == run_id:
            return run
    raise MlflowError(404, "RESOURCE_DOES_NOT_EXIST", f"Run with id={run_id} not found")


def child_run_id(job_name: str) -> str:
    return stable_guid("mlflow-child-run", job_name)


def _job_runs(ctx: Context, job: dict[str, Any]) -> list[dict[str, Any]]:
    name = job["view"]["name"]
    props = job["view"]["properties"]
    status = STATUS.get(props["status"], "SCHEDULED")
    experiment = stable_guid("experiment", str(props.get("experimentName") or "Default"))
    steps = visible_steps(ctx, job)
    start_ms = int(job["created_wall"] * 1000)
    user = ctx.scenario.user_name
    params = [{"key": k, "value": str(v)} for k, v in _hyperparameters(job).items()]

    def info(run_id: str, run_name: str) -> dict[str, Any]:
        found: dict[str, Any] = {
            "run_id": run_id,
            "run_uuid": run_id,
            "run_name": run_name,
            "experiment_id": experiment,
            "user_id": user,
            "status": status,
            "start_time": start_ms,
            "artifact_uri": f"azureml://experiments/{experiment}/runs/{run_id}/artifacts",
            "lifecycle_stage": "active",
        }
        if status in ("FINISHED", "FAILED", "KILLED"):
            found["end_time"] = start_ms + (steps + 4) * 15_000
        return found

    root = {
        "info": info(name, str(props.get("displayName") or name)),
        "data": {
            "metrics": [],
            "params": [],
            "tags": [
                {"key": "mlflow.rootRunId", "value": name},
                {"key": "mlflow.runName", "value": str(props.get("displayName") or name)},
                {"key": "mlflow.user", "value": user},
            ],
        },
    }
    runs = [root]
    if _started(job):
        child_id = child_run_id(name)
        last: dict[str, dict[str, Any]] = {}
        for point in _points(ctx, job, steps):
            last[point["key"]] = point
        runs.append(
            {
                "info": info(child_id, "finetune"),
                "data": {
                    "metrics": list(last.values()),
                    "params": params,
                    "tags": [
                        {"key": "mlflow.rootRunId", "value": name},
                        {"key": "mlflow.parentRunId", "value": name},
                        {"key": "mlflow.runName", "value": "finetune"},
                        {"key": "mlflow.user", "value": user},
                    ],
                },
            }
        )
    return runs


def _started(job: dict[str, Any]) -> bool:
    props = job["view"]["properties"]
    return "StartTimeUtc" in (props.get("properties") or {}) or props["status"] in ("Running", "Finalizing")


# --- metrics ------------------------------------------------------------------------------------
def visible_steps(ctx: Context, job: dict[str, Any]) -> int:
    """How many training steps the job has logged so far (see the module doc)."""
    settings = ctx.world.settings
    total = max(1, settings.metric_steps)
    status = job["view"]["properties"]["status"]
    if status == "Completed":
        return total
    if not _started(job):
        return 0
    timeline = settings.job_timeline
    if timeline and settings.clock is not None and job.get("created_at") is not None:
        elapsed = settings.clock() - job["created_at"]
        run_start = next((t for t, s in timeline if s in ("Running", "Finalizing")), None)
        run_end = next((t for t, s in timeline if s in ("Completed", "Failed", "Canceled")), None)
        if run_start is None or elapsed < run_start:
            return 0
        if run_end is None or run_end <= run_start:
            return total - 1
        share = (min(elapsed, run_end) - run_start) / (run_end - run_start)
        return max(1, min(total - 1, int(share * total)))
    return max(1, min(total - 1, settings.metric_steps_per_poll * (int(job.get("ticks", 0)) + 1)))


def _series(ctx: Context, ws_name: str, run_id: str) -> list[dict[str, Any]]:
    for (ws, _), job in list(ctx.world.jobs.items()):
        if ws == ws_name.lower() and child_run_id(job["view"]["name"]) == run_id:
            return _points(ctx, job, visible_steps(ctx, job))
    return []  # a root run logs no metrics


def _points(ctx: Context, job: dict[str, Any], steps: int) -> list[dict[str, Any]]:
    settings = ctx.world.settings
    total = max(1, settings.metric_steps)
    hyper = _hyperparameters(job)
    epochs = _number(hyper.get("num_train_epochs") or hyper.get("n_epochs") or hyper.get("nEpochs"), 1.0)
    rate = _number(hyper.get("learning_rate"), 2e-5)
    start = job["created_wall"]
    points: list[dict[str, Any]] = []
    for step in range(1, steps + 1):
        for key in settings.metric_names:
            evaluation = key.startswith(("eval_", "valid_", "validation_"))
            if evaluation and step % 2 and step != total:
                continue
            points.append(
                {
                    "key": key,
                    "value": round(metric_value(key, step, total, epochs, rate), 6),
                    "timestamp": int((start + 60 + 15 * step) * 1000),
                    "step": step,
                }
            )
    return points


def metric_value(key: str, step: int, total: int, epochs: float = 1.0, rate: float = 2e-5) -> float:
    """Deterministic values: losses fall, accuracies rise, the learning rate decays linearly."""
    lowered = key.lower()
    evaluation = lowered.startswith(("eval_", "valid_", "validation_"))
    if "accuracy" in lowered:
        return 0.55 + 0.4 * (1 - 0.85**step) - (0.02 if evaluation else 0.0)
    if "loss" in lowered:
        return 0.35 + 2.4 * 0.85 ** (step - 1) + (0.08 if evaluation else 0.0)
    if "learning_rate" in lowered or lowered == "lr":
        return rate * (1 - (step - 1) / total)
    if lowered == "epoch":
        return epochs * step / total
    return 1.0 / step


def _hyperparameters(job: dict[str, Any]) -> dict[str, Any]:
    details = job["submitted"].get("fineTuningDetails") or {}
    found = details.get("hyperParameters") or {}
    return dict(found) if isinstance(found, dict) else {}


def _number(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


# --- filters ------------------------------------------------------------------------------------
def _clauses(text: str) -> list[tuple[str, str, list[str]]]:
    if not text.strip():
        return []
    found = []
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(part)
        if match is None:
            raise MlflowError(
                400, "INVALID_PARAMETER_VALUE", f"Invalid filter '{text}': cannot parse '{part}'."
            )
        field = match["field"].replace("`", "").replace('"', "")
        raw = match["value"]
        values = re.findall(r"'([^']*)'", raw)
        if match["op"].upper() == "IN" and not raw.startswith("("):
            raise MlflowError(400, "INVALID_PARAMETER_VALUE", f"Invalid filter '{text}'.")
        found.append((field, match["op"].upper(), values))
    return found


def _matches(run: dict[str, Any], field: str, op: str, values: list[str]) -> bool:
    lowered = field.lower()
    if lowered.startswith(("tags.", "tag.")):
        key = field.split(".", 1)[1]
        tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
        return tags.get(key) in values
    if lowered.startswith(("attributes.", "attribute.", "attr.", "run.")):
        lowered = lowered.split(".", 1)[1]
    if lowered in ("run_id", "run_uuid", "status", "run_name"):
        return str(run["info"].get(lowered)) in values
    raise MlflowError(400, "INVALID_PARAMETER_VALUE", f"Invalid filter field '{field}'.")


def _required(request: Request, name: str) -> str:
    value = request.query.get(name)
    if not value:
        raise MlflowError(400, "INVALID_PARAMETER_VALUE", f"Missing value for required parameter '{name}'.")
    return value


def _token(value: Any) -> int:
    if not value:
        return 0
    try:
        return max(0, int(str(value)))
    except ValueError:
        raise MlflowError(400, "INVALID_PARAMETER_VALUE", f"Invalid page token '{value}'.") from None
