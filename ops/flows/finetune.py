"""Fine-tuning as plain functions: choose the mode, pin the base model, plan and submit the job, wait.

Submit checks the model against the catalog (retired or wrong-region combinations are refused with the
alternatives) and then against the live registry (the base model is pinned to a version; a registry
that says fine-tuning retired refuses, disagreements are said). It picks serverless for the Phi-4
family and the stack's GPU cluster for the Phi-3 family, and names the job after a hash of its inputs:
the same inputs give the same job unless `new`.

Hyperparameters are sent as the service means them (keys and string values of the FineTuning bodies
Azure accepted, tests/contract/fixtures): `learning_rate` is an absolute rate such as 0.00002, not a
multiplier. One the user does not give is not sent, so the service's own default applies.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog.models import Mode, ModelInfo, UnknownModelError, explain, get_model
from core.errors import UsageError
from ops.azure.records import FineTuneSpec, JobInfo, RegistryModel
from ops.flows.hyperparameters import Hyperparameters
from ops.flows.naming import digest, job_name, output_model_name
from ops.flows.waiting import wait_for_job
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.app import App


@dataclass(frozen=True)
class SubmitRequest:
    model: str
    train: str
    model_version: str = "latest"
    validation: str | None = None
    validation_fraction: float | None = None
    hyperparameters: Hyperparameters = field(default_factory=Hyperparameters)
    mode: str | None = None
    suffix: str | None = None
    new: bool = False
    force: bool = False
    allow_secrets: bool = False
    tags: dict[str, str] = field(default_factory=dict)


def catalog_model(name: str) -> ModelInfo:
    try:
        return get_model(name)
    except UnknownModelError as exc:
        raise UsageError(str(exc)) from None


def choose_mode(app: App, info: ModelInfo, mode: str | None, today: dt.date) -> tuple[Mode, str | None]:
    """The fine-tuning mode (default: what the model allows in the stack's region) and the compute id."""
    region = app.outputs.location
    modes = info.modes(region, today)
    if not modes:
        raise UsageError(f"{info.name} cannot be fine-tuned in {region}: {explain(info, region, today)}")
    chosen = Mode(mode) if mode else modes[0]
    if chosen not in modes:
        raise UsageError(
            f"{info.name} cannot be fine-tuned {chosen.value} in {region}: {explain(info, region, today)}"
        )
    if chosen is not Mode.MANAGED_COMPUTE:
        return chosen, None
    o = app.outputs
    if not o.compute_name:
        raise UsageError(
            f"{info.name} needs managed compute, but this stack has no compute cluster",
            hint="enable the GPU cluster in the stack config and run `pulumi up`",
        )
    return chosen, f"{o.project_id}/computes/{o.compute_name}"


def pin_base_model(app: App, info: ModelInfo, version: str, mode: Mode, today: dt.date) -> RegistryModel:
    """Resolve the version in the live registry and reconcile its lifecycle tags with the catalog."""
    from catalog.lifecycle import read_tags, reconcile

    found = app.registry.model(info.registry, info.name, version)
    verdict = reconcile(info, found.version, read_tags(found.tags), mode, app.outputs.location, today)
    if verdict.refusal:
        raise UsageError(verdict.refusal, hint="`foundry-ops models list --live` shows what can be tuned")
    for warning in verdict.warnings:
        app.report.warn(warning)
    return found


@dataclass(frozen=True)
class PlannedJob:
    """Everything that defines a job, known before anything is created: its name follows from it."""

    info: ModelInfo
    mode: Mode
    compute: str | None
    base: RegistryModel
    train_ref: str
    valid_ref: str | None
    hyperparameters: dict[str, str]
    suffix: str | None
    name: str
    inputs: dict[str, object]

    def spec(self, tags: dict[str, str]) -> FineTuneSpec:
        return FineTuneSpec(
            name=self.name,
            display_name=f"{self.info.name} fine-tune" + (f" ({self.suffix})" if self.suffix else ""),
            model_uri=self.base.uri,
            training_data=self.train_ref,
            validation_data=self.valid_ref,
            output_model_name=output_model_name(self.info.name, self.suffix, self.inputs),
            hyperparameters=self.hyperparameters,
            tags={
                **tags,
                "model": self.info.name,
                "model_version": self.base.version,
                "mode": self.mode.value,
                "inputs_sha256": digest(self.inputs),
            },
            compute=self.compute,
        )


def plan_job(
    app: App,
    info: ModelInfo,
    mode: Mode,
    compute: str | None,
    base: RegistryModel,
    train_ref: str,
    valid_ref: str | None,
    hyperparameters: Hyperparameters,
    suffix: str | None = None,
    *,
    new: bool = False,
) -> PlannedJob:
    """The job these inputs define; the same inputs always give the same name (unless `new`)."""
    sent = hyperparameters.to_service()
    inputs: dict[str, object] = {
        "model": base.uri,
        "mode": mode.value,
        "train": train_ref,
        "validation": valid_ref,
        "hyperparameters": sent,
        "suffix": suffix,
        "compute": compute,
        "project": app.outputs.project_id.lower(),
    }
    name = job_name(info.name, inputs, new=new)
    return PlannedJob(info, mode, compute, base, train_ref, valid_ref, sent, suffix, name, inputs)


def submit_planned(app: App, planned: PlannedJob, *, tags: dict[str, str] | None = None) -> JobInfo:
    """Find the planned job, or submit it."""
    existing = app.jobs.find(planned.name)
    if existing is not None:
        app.report.progress(
            f"job {planned.name} with these inputs already exists ({existing.status}); pass --new to submit again"
        )
        return existing
    app.report.progress(
        f"submitting {planned.mode.value} fine-tuning job {planned.name} for {planned.info.name} ..."
    )
    return app.jobs.submit(planned.spec(tags or {}))


def submit(app: App, request: SubmitRequest) -> JobInfo:
    """Submit a fine-tuning job, or find the one these inputs already made (see module doc)."""
    if request.validation and request.validation_fraction is not None:
        raise UsageError("give either --validation or --validation-fraction, not both")
    request.hyperparameters.check(force=request.force)
    today = app.clock.today()
    info = catalog_model(request.model)
    mode, compute = choose_mode(app, info, request.mode, today)
    base = pin_base_model(app, info, request.model_version, mode, today)
    app.report.progress(f"base model {info.name} version {base.version} ({base.uri})")
    from ops.flows.job_data import resolve_data

    train_ref, valid_ref = resolve_data(
        app, info, request.train, request.validation, request.validation_fraction, request.allow_secrets
    )
    planned = plan_job(
        app,
        info,
        mode,
        compute,
        base,
        train_ref,
        valid_ref,
        request.hyperparameters,
        request.suffix,
        new=request.new,
    )
    return submit_planned(app, planned, tags=request.tags)


def wait(
    app: App,
    name: str,
    *,
    timeout: float | None = None,
    policy: PollPolicy = DEFAULT_POLICY,
    resume: str | None = None,
) -> JobInfo:
    """Wait for a job to end (see ops/flows/waiting.py); the live line, with the latest training loss,
    goes to the App's reporter. Ctrl-C stops the wait, not the job: the error says how to resume."""
    from core.errors import Interrupted
    from ops.flows.training import LossTicker

    ticker = LossTicker(app, name)
    again = resume or f"foundry-ops finetune wait {name}"
    try:
        result = wait_for_job(
            name,
            app.jobs.get,
            clock=app.clock,
            report=app.report.status,
            backoff=policy.backoff(),
            timeout=timeout,
            error_message=lambda job: job_error(app, job),
            detail=lambda job: ticker(job.status),
            resume=again,
        )
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped waiting; job {name} keeps running", hint=f"resume with: {again}"
        ) from None
    return result.job


def job_error(app: App, job: JobInfo) -> str | None:
    """The service's error for a failed job: run history first, then the job's own properties."""
    from core.errors import ToolkitError

    try:
        found = app.history.run_error(job.name)
    except ToolkitError:
        found = None
    if found:
        return found
    for key, value in job.properties.items():
        if value and ("failure" in key.lower() or "error" in key.lower()):
            return " ".join(value.split())[:300]
    return None


def cancel(app: App, job: JobInfo) -> JobInfo:
    """Cancel a running job (as just read); a job that already ended is left as it is."""
    name = job.name
    if job.terminal:
        app.report.progress(f"job {name} already finished ({job.status}); nothing to cancel")
        return job
    app.report.progress(f"cancelling job {name} ...")
    app.jobs.cancel(name)
    return app.jobs.get(name)
