"""`teardown`: delete what the workflow created, in the order the service allows, resumably.

Order: serverless endpoints first (billed hourly, and a deployed model cannot be deleted), waiting until
the service no longer lists them; then fine-tuned models (--delete-models); then data assets this tool
registered (--delete-data; never without it); then `pulumi destroy` (--destroy-stack). The plan is
recomputed from the service on every run, so a run that failed half way is finished by running it
again; a small journal in the user's cache directory remembers what was already done and says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.azure.ml_records import TOOL_TAG
from ops.concurrency import Outcome, batch_error, run_bounded
from ops.errors import AzureError, ToolkitError, UsageError
from ops.options import (
    concurrency_option,
    confirm,
    output_option,
    pass_app,
    poll_interval_option,
    stack_options,
    yes_option,
)
from ops.polling import Clock, PollPolicy, SystemClock, policy_for

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.ml_records import EndpointInfo

CLOCK: Clock = SystemClock()  # tests replace this so that waiting never sleeps for real
ENDPOINT_GONE_TIMEOUT = 1800.0


@dataclass
class Step:
    kind: str  # endpoint | model | data | stack
    name: str
    version: str | None = None
    detail: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.name}" + (f":{self.version}" if self.version else "")

    def label(self) -> str:
        what = {"endpoint": "endpoint", "model": "model", "data": "data asset", "stack": "Pulumi stack"}[
            self.kind
        ]
        ref = f"{self.name}:{self.version}" if self.version else self.name
        shown = self.detail if self.kind != "data" else "and its uploaded file"
        return f"delete {what} {ref}" + (f" ({shown})" if shown else "")


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "foundry-ops"


class Journal:
    """Which steps of an interrupted teardown are done; removed when a teardown completes."""

    def __init__(self, project_id: str) -> None:
        digest = hashlib.sha256(project_id.lower().encode()).hexdigest()[:16]
        self.path = cache_dir() / f"teardown-{digest}.json"
        self.data: dict[str, Any] = {}
        if self.path.is_file():
            try:
                self.data = json.loads(self.path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.data = {}

    @property
    def resuming(self) -> bool:
        return bool(self.data)

    @property
    def done(self) -> list[str]:
        return list(self.data.get("done", []))

    def start(self, flags: dict[str, bool]) -> None:
        if not self.data:
            self.data = {
                "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "flags": flags,
                "done": [],
            }
        self._save()

    def mark(self, step: Step) -> None:
        self.data.setdefault("done", []).append(step.key)
        self._save()

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)
        self.data = {}

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.data, indent=2), encoding="utf-8")
        tmp.replace(self.path)


@click.command("teardown")
@click.option(
    "--delete-models", is_flag=True, help="Also delete the fine-tuned models (for real, not archive)."
)
@click.option("--delete-data", is_flag=True, help="Also delete the data assets this tool registered.")
@click.option("--destroy-stack", is_flag=True, help="Finally run `pulumi destroy` on --stack.")
@concurrency_option("deletions")
@poll_interval_option
@yes_option
@stack_options
@output_option
@pass_app
def teardown(
    app: App,
    delete_models: bool,
    delete_data: bool,
    destroy_stack: bool,
    concurrency: int,
    poll_interval: float,
) -> None:
    """Delete deployments, then (optionally) fine-tuned models, data assets and the stack.

    Shows the plan and asks first (or --yes). Run it again after a failure to finish the job.
    Training data is kept unless --delete-data is given. Deletions of the same kind run
    concurrently (--concurrency); a kind starts only once the one before it is finished.

    \b
    Examples:
      foundry-ops --stack dev teardown                        # endpoints only
      foundry-ops --stack dev teardown --delete-models --delete-data --destroy-stack --yes
    """
    if destroy_stack and not app.stack:
        raise UsageError("--destroy-stack needs --stack NAME (the Pulumi stack to destroy)")
    if destroy_stack and shutil.which("pulumi") is None:
        raise UsageError("--destroy-stack needs the Pulumi CLI on PATH", hint="install it from pulumi.com")
    journal = Journal(app.outputs.project_id)
    if journal.resuming:
        app.output.progress(
            f"resuming the teardown started {journal.data.get('started')} "
            f"({len(journal.done)} step(s) already done)"
        )
    plan = build_plan(app, delete_models=delete_models, delete_data=delete_data, destroy_stack=destroy_stack)
    for note in plan.notes:
        app.output.warn(note)
    if not plan.steps:
        journal.finish()
        app.output.progress("nothing to tear down")
        app.output.result({"steps": [], "done": True}, rows=[], columns=("step", "result"))
        return
    app.output.progress("teardown plan:")
    for i, step in enumerate(plan.steps, 1):
        app.output.progress(f"  {i}. {step.label()}")
    if not delete_data:
        app.output.progress("  (data assets are kept; pass --delete-data to delete them)")
    confirm(app, f"Proceed with these {len(plan.steps)} step(s)?")
    journal.start(
        {"delete_models": delete_models, "delete_data": delete_data, "destroy_stack": destroy_stack}
    )
    results: list[dict[str, Any]] = []
    try:
        _run(app, plan, journal, results, RunSettings(concurrency, policy_for(poll_interval)))
    except ToolkitError as exc:
        exc.hint = "run the same teardown command again to resume"
        raise
    journal.finish()
    app.output.result({"steps": results, "done": True}, rows=results, columns=("step", "result"))


def build_plan(app: App, *, delete_models: bool, delete_data: bool, destroy_stack: bool) -> Plan:
    """What exists now and would be deleted, in the safe order."""
    ml = app.ml
    plan = Plan()
    jobs = [j for j in ml.list_jobs() if j.tags.get(TOOL_TAG)]
    for job in jobs:
        if not job.terminal:
            plan.notes.append(
                f"job {job.name} is still {job.status}; it may register a model after this teardown "
                f"(cancel it with `foundry-ops finetune cancel {job.name}`)"
            )
    model_names = sorted({j.output_model_name for j in jobs if j.output_model_name})
    model_steps: list[Step] = []
    doomed_models: set[tuple[str, str]] = set()
    if delete_models:
        for name in model_names:
            for version in ml.list_model_versions(name):
                model_steps.append(Step("model", name, version.version))
                doomed_models.add((name, version.version))
    endpoints = ml.list_endpoints()
    for ep in endpoints:
        serves = _model_of(ep)
        if ep.tags.get(TOOL_TAG) or (serves is not None and serves in doomed_models):
            plan.steps.append(Step("endpoint", ep.name, detail=f"serving {_fmt_model(serves, ep)}"))
    plan.steps.extend(model_steps)
    if delete_data:
        for asset in ml.list_data():
            plan.steps.append(Step("data", asset.name, asset.version, detail=asset.path))
    if destroy_stack:
        plan.steps.append(Step("stack", str(app.stack), detail="pulumi destroy"))
    return plan


def _model_of(ep: EndpointInfo) -> tuple[str, str] | None:
    if not ep.model_id or "/models/" not in ep.model_id:
        return None
    parts = ep.model_id.split("/models/", 1)[1].split("/")
    return (parts[0], parts[2]) if len(parts) >= 3 else None


def _fmt_model(model: tuple[str, str] | None, ep: EndpointInfo) -> str:
    return f"{model[0]}:{model[1]}" if model else str(ep.model_id)


def _run(app: App, plan: Plan, journal: Journal, results: list[dict[str, Any]], run: RunSettings) -> None:
    """Phase by phase: every deletion within a phase is independent, so they overlap up to the bound;
    a phase with a failure stops the teardown before the next phase (which depends on it)."""
    ml = app.ml
    endpoints = [s for s in plan.steps if s.kind == "endpoint"]
    _phase(
        app, journal, results, endpoints, run, "endpoint deletions",
        lambda step: ml.delete_endpoint(step.name, wait=True, policy=run.policy),
    )  # fmt: skip
    if endpoints:
        _wait_endpoints_gone(app, [s.name for s in endpoints], run.policy)
    models = [s for s in plan.steps if s.kind == "model"]
    _phase(
        app, journal, results, models, run, "model deletions",
        lambda step: ml.delete_model_version(step.name, str(step.version)),
    )  # fmt: skip
    _delete_empty_containers([s.name for s in models], ml.list_model_versions, ml.delete_model_container, run)
    data = [s for s in plan.steps if s.kind == "data"]
    _phase(
        app, journal, results, data, run, "data asset deletions",
        lambda step: ml.delete_data_version(step.name, str(step.version)),
    )  # fmt: skip
    _delete_empty_containers([s.name for s in data], ml.data_versions, ml.delete_data_container, run)
    if data:
        _delete_orphaned_blobs(app, data)
    for step in plan.steps:
        if step.kind == "stack":
            app.output.progress(f"running pulumi destroy on stack {step.name} ...")
            _pulumi_destroy(app, step.name)
            journal.mark(step)
            results.append({"step": step.label(), "result": "destroyed"})


@dataclass(frozen=True)
class RunSettings:
    concurrency: int
    policy: PollPolicy


def _phase(
    app: App,
    journal: Journal,
    results: list[dict[str, Any]],
    steps: list[Step],
    run: RunSettings,
    what: str,
    delete: Callable[[Step], bool],
) -> None:
    """Run one phase's deletions concurrently; journal each as it finishes; fail after the phase if any did."""
    if not steps:
        return
    width = min(run.concurrency, len(steps))
    app.output.progress(f"{what}: {len(steps)}, up to {width} at a time ...")

    def finished(outcome: Outcome[Step, bool]) -> None:
        step = outcome.item
        if outcome.error is not None:
            app.output.progress(f"  failed: {step.label()}: {outcome.error.one_line()}")
            return
        journal.mark(step)
        app.output.progress(f"  done: {step.label()}")

    outcomes = run_bounded(steps, delete, concurrency=run.concurrency, on_done=finished)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error(what, failed, len(steps))
    for outcome in outcomes:
        results.append(
            {"step": outcome.item.label(), "result": "deleted" if outcome.value else "already gone"}
        )


def _delete_empty_containers(
    names: list[str],
    versions: Callable[[str], list[Any]],
    delete: Callable[[str], bool],
    run: RunSettings,
) -> None:
    """A model or data container goes once its last version has; another version keeps it."""
    empty = [name for name in sorted(set(names)) if not versions(name)]
    outcomes = run_bounded(empty, delete, concurrency=run.concurrency)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error("container deletions", failed, len(empty))


def _delete_orphaned_blobs(app: App, deleted: list[Step]) -> None:
    """The uploaded files behind deleted data assets, unless another asset still points at them."""
    still_used = {a.path for a in app.ml.list_data()}
    for path in sorted({s.detail for s in deleted if s.detail} - still_used):
        if app.ml.delete_uploaded_blob(path):
            app.output.progress(f"deleted uploaded file {path}")


def _wait_endpoints_gone(app: App, names: list[str], policy: PollPolicy) -> None:
    """The service finishes deleting after the LRO; models can only go once it lists none of these."""
    backoff = policy.backoff()
    start = CLOCK.now()
    pending = set(names)
    while True:
        listed = {e.name for e in app.ml.list_endpoints()}
        pending &= listed
        if not pending:
            return
        if CLOCK.now() - start > ENDPOINT_GONE_TIMEOUT:
            raise AzureError(f"endpoints still listed after deletion: {', '.join(sorted(pending))}")
        app.output.progress(f"waiting for {len(pending)} endpoint(s) to disappear ...")
        CLOCK.sleep(backoff.next())


def _pulumi_destroy(app: App, stack: str) -> None:
    exe = shutil.which("pulumi")
    if exe is None:
        raise UsageError("the Pulumi CLI is not on PATH", hint="install it from pulumi.com")
    proc = subprocess.run(
        [exe, "destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in (proc.stdout + proc.stderr).splitlines():
        app.output.progress(f"  pulumi: {line}")
    if proc.returncode != 0:
        raise ToolkitError(f"pulumi destroy of stack {stack!r} failed (exit {proc.returncode})")
