"""The state of a run file, step by step, as data: what `run plan` and `run status` show and `run apply`
acts on (ops/flows/runs.py reads it from the cloud, ops/flows/run_apply.py changes the cloud)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from core.errors import ToolkitError
from ops.azure.records import EndpointInfo, JobInfo
from ops.flows import deploy, finetune
from ops.flows.hyperparameters import shown_hyperparameters
from ops.flows.naming import digest, file_sha256

if TYPE_CHECKING:
    from ops.runs.model import RunFile

RUN_TAG = "foundry-ops-run"
SMOKE_TAG = "foundry-ops-smoke"
GATE_TAG = "foundry-ops-gate"
STEPS = (
    "validate",
    "upload",
    "fine-tune",
    "wait",
    "deploy",
    "content safety",
    "smoke",
    "eval gate",
    "expiry",
)
DONE, TODO, CHANGED, RUNNING, FAILED, SKIPPED, BLOCKED = (
    "done",
    "to do",
    "changed",
    "running",
    "failed",
    "skipped",
    "blocked",
)


class GateFailed(ToolkitError):
    """The smoke test or the eval gate of a run failed (exit 1)."""


@dataclass
class Step:
    name: str
    state: str
    detail: str = ""


@dataclass
class DataPart:
    path: Path  # the file to upload (a split part lives in a temporary directory during apply)
    asset: str
    version: str
    validation: bool
    source: str

    @property
    def ref(self) -> str:
        return f"azureml:{self.asset}:{self.version}"


@dataclass
class RunState:
    """What the cloud says about a run file, step by step."""

    run: RunFile
    steps: list[Step] = field(default_factory=list)
    parts: list[DataPart] = field(default_factory=list)
    planned: finetune.PlannedJob | None = None
    job: JobInfo | None = None
    older_jobs: list[JobInfo] = field(default_factory=list)
    endpoint: EndpointInfo | None = None
    previous: list[EndpointInfo] = field(default_factory=list)
    model: tuple[str, str] | None = None  # the fine-tuned model version the job registered
    model_tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def changes(self) -> int:
        return sum(1 for s in self.steps if s.state in (TODO, CHANGED, RUNNING))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.run.name,
            "file": str(self.run.source),
            "model": self.run.model,
            "steps": [{"name": s.name, "state": s.state, "detail": s.detail} for s in self.steps],
            "job": None if self.job is None and self.planned is None else {
                "name": self.planned.name if self.planned else self.job.name if self.job else None,
                "status": self.job.status if self.job else None,
                "base_model": self.planned.base.uri if self.planned else None,
                "hyperparameters": shown_hyperparameters(self.planned.hyperparameters) if self.planned else {},
            },
            "endpoint": None if self.endpoint is None else {
                "name": self.endpoint.name,
                "state": self.endpoint.endpoint_state or self.endpoint.provisioning_state,
                "content_safety": self.endpoint.content_safety,
                "uri": self.endpoint.uri,
                "expires": self.endpoint.tags.get(deploy.EXPIRES_TAG),
            },
            "replaces": [e.name for e in self.previous],
            "metrics": self.metrics,
        }  # fmt: skip


def checks_digest(run: RunFile, what: str) -> str:
    """A short digest of the checks a tag's verdict was reached with: new checks, new verdict."""
    if what == "smoke":
        return digest([[t.prompt, t.system] for t in run.smoke])[:8]
    assert run.eval is not None
    gate = run.eval.gate
    data_sha = file_sha256(run.eval.data) if run.eval.data.is_file() else ""
    return digest(
        [
            data_sha,
            gate.metric if gate else None,
            gate.min if gate else None,
            run.eval.baseline,
            run.eval.limit,
        ]
    )[:8]


class FailedCheck(NamedTuple):
    label: str  # "smoke test" or "eval gate"
    detail: str  # what the verdict recorded, e.g. "token_f1 0.41 < 0.55"


def failed_check(run: RunFile, state: RunState) -> FailedCheck | None:
    """The check that failed on this job's model with the run's current checks (`run apply` does not
    deploy it again; `run plan` shows the deploy blocked)."""
    for kind, tag, label in (("smoke", SMOKE_TAG, "smoke test"), ("eval", GATE_TAG, "eval gate")):
        declared = run.smoke if kind == "smoke" else run.eval
        verdict = recorded(state, tag) if declared else ""
        if verdict.startswith(f"failed:{checks_digest(run, kind)}"):
            return FailedCheck(label, verdict.split(" ", 1)[-1])
    return None


def recorded(state: RunState, tag: str) -> str:
    """A check's verdict: on the endpoint, or on the model version (it outlives a deleted endpoint)."""
    return (state.endpoint.tags.get(tag) if state.endpoint else None) or state.model_tags.get(tag) or ""
