"""Fine-tuning as plain functions: choose the mode, pin the base model, prepare the data, submit, wait.

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
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.models import Mode, ModelInfo, UnknownModelError, explain, get_model
from core.errors import DataError, UsageError
from ops.azure.records import DataAssetInfo, FineTuneSpec, JobInfo, RegistryModel
from ops.flows.naming import data_name, digest, job_name, output_model_name
from ops.flows.upload import register_file
from ops.flows.waiting import wait_for_job
from ops.limits import DEFAULT_VALIDATION_FRACTION, MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.app import App

SERVICE_DEFAULT = "service default"
# our name -> the key Azure's FineTuning job takes (fine-tune-serverless.md; azureml-examples
# sdk/python/jobs/finetuning/standalone/model-as-a-service; azure-sdk-assets finetuning_job recordings)
SERVICE_KEYS = {
    "epochs": "num_train_epochs",
    "learning_rate": "learning_rate",
    "batch_size": "per_device_train_batch_size",
}


@dataclass(frozen=True)
class Hyperparameters:
    """The three hyperparameters the service documents; None = not sent (the service decides)."""

    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None

    def check(self, *, force: bool = False) -> None:
        if self.epochs is not None and not 1 <= self.epochs <= MAX_EPOCHS:
            raise UsageError(f"epochs must be between 1 and {MAX_EPOCHS}, got {self.epochs}")
        if self.batch_size is not None and not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise UsageError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, got {self.batch_size}")
        if self.learning_rate is not None:
            if not self.learning_rate > 0:
                raise UsageError(f"the learning rate must be above 0, got {self.learning_rate:g}")
            if self.learning_rate > MAX_LEARNING_RATE and not force:
                raise UsageError(
                    f"a learning rate of {self.learning_rate:g} is an absolute rate, and above "
                    f"{MAX_LEARNING_RATE:g} it destroys what the model learned in pretraining "
                    "(Microsoft's samples use 0.00002)",
                    hint="pass a rate such as 0.00002, or --force if you mean it",
                )

    def to_service(self) -> dict[str, str]:
        """Only what was given, as the strings the service takes."""
        values = {"epochs": self.epochs, "learning_rate": self.learning_rate, "batch_size": self.batch_size}
        return {SERVICE_KEYS[k]: format_number(v) for k, v in values.items() if v is not None}


def format_number(value: float) -> str:
    """0.00002 rather than 2e-05: the form Azure's accepted bodies carry."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.12f}".rstrip("0").rstrip(".")


def shown_hyperparameters(sent: dict[str, str]) -> dict[str, str]:
    """Every documented key, with what was sent or `service default`."""
    shown = {key: sent.get(key, SERVICE_DEFAULT) for key in SERVICE_KEYS.values()}
    shown.update({k: v for k, v in sent.items() if k not in shown})
    return shown


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


@dataclass(frozen=True)
class Submitted:
    job: JobInfo
    created: bool
    base_model: RegistryModel
    mode: Mode


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
    compute = (
        f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}/providers/"
        f"Microsoft.MachineLearningServices/workspaces/{o.project_name}/computes/{o.compute_name}"
    )
    return chosen, compute


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


def submit_planned(app: App, planned: PlannedJob, *, tags: dict[str, str] | None = None) -> Submitted:
    """Find the planned job, or submit it."""
    existing = app.jobs.find(planned.name)
    if existing is not None:
        app.report.progress(
            f"job {planned.name} with these inputs already exists ({existing.status}); pass --new to submit again"
        )
        return Submitted(existing, False, planned.base, planned.mode)
    app.report.progress(
        f"submitting {planned.mode.value} fine-tuning job {planned.name} for {planned.info.name} ..."
    )
    return Submitted(app.jobs.submit(planned.spec(tags or {})), True, planned.base, planned.mode)


def submit(app: App, request: SubmitRequest) -> Submitted:
    """Submit a fine-tuning job, or find the one these inputs already made (see module doc)."""
    if request.validation and request.validation_fraction is not None:
        raise UsageError("give either --validation or --validation-fraction, not both")
    request.hyperparameters.check(force=request.force)
    today = app.clock.today()
    info = catalog_model(request.model)
    mode, compute = choose_mode(app, info, request.mode, today)
    base = pin_base_model(app, info, request.model_version, mode, today)
    app.report.progress(f"base model {info.name} version {base.version} ({base.uri})")
    train_ref, valid_ref = resolve_data(app, request, info)
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


def resolve_data(app: App, request: SubmitRequest, info: ModelInfo) -> tuple[str, str | None]:
    """Data asset references for training and validation, uploading local files as needed; a data
    asset is checked against the model before any job exists."""
    train_path = Path(request.train)
    if request.validation_fraction is not None and not train_path.is_file():
        raise UsageError("--validation-fraction needs --train to be a local file")
    if train_path.is_file() and request.validation is None:
        return split_and_upload(
            app,
            train_path,
            request.validation_fraction or DEFAULT_VALIDATION_FRACTION,
            info,
            request.allow_secrets,
        )
    if request.validation is None:
        raise UsageError(
            "no validation data: pass --validation, or give --train as a local file so a split can be made"
        )
    train = asset_or_file(app, request.train, info, allow_secrets=request.allow_secrets)
    return train, asset_or_file(
        app, request.validation, info, validation=True, allow_secrets=request.allow_secrets
    )


def split_and_upload(
    app: App, train: Path, fraction: float, info: ModelInfo, allow_secrets: bool
) -> tuple[str, str]:
    from ops.data.split import split_file

    with tempfile.TemporaryDirectory(prefix="foundry-split-") as tmp:
        result = split_file(train, validation_fraction=fraction, seed=0, out_dir=tmp, model=info.name)
        enough_to_train(train, result.train.examples, result.validation.examples)
        base = re.sub(r"[-_.]?train(ing)?$", "", data_name(train), flags=re.I) or "dataset"
        parts = []
        for part, suffix, validation in (
            (result.train, "train", False),
            (result.validation, "validation", True),
        ):
            uploaded = register_file(
                app, Path(part.path), f"{base}-{suffix}", model=info.name, validation=validation,
                allow_secrets=allow_secrets, source_name=f"{train.name} ({suffix} part)",
            )  # fmt: skip
            parts.append(uploaded.asset.ref)
    return parts[0], parts[1]


def enough_to_train(source: Path, train: int, held_out: int) -> None:
    """Say it in terms of the user's file, before anything is uploaded (the split is a temp file)."""
    from ops.data.rules import MIN_EXAMPLES

    if train < MIN_EXAMPLES:
        raise DataError(
            f"{source}: {train + held_out} example(s) leave {train} for training after holding out "
            f"{held_out} for validation; fine-tuning needs at least {MIN_EXAMPLES}",
            hint="add examples"
            + (
                ", or pass --validation FILE to keep them all for training"
                if train + held_out >= MIN_EXAMPLES
                else ""
            ),
        )


def asset_or_file(
    app: App, value: str, info: ModelInfo, *, validation: bool = False, allow_secrets: bool = False
) -> str:
    path = Path(value)
    if path.is_file():
        return register_file(
            app, path, model=info.name, validation=validation, allow_secrets=allow_secrets
        ).asset.ref
    if path.suffix.lower() in (".jsonl", ".json") or "/" in value or "\\" in value:
        raise UsageError(f"{value}: no such file")
    ref = value.removeprefix("azureml:")
    name, sep, version = ref.partition(":")
    if not sep or not name or not version:
        raise UsageError(f"{value!r} is neither a file nor a data asset NAME:VERSION")
    asset = app.assets.find_data(name, version)
    if asset is None:
        from core.errors import NotFoundError

        raise NotFoundError(f"data asset {name}:{version} does not exist in the project")
    check_asset(app, asset, info)
    return asset.ref


def check_asset(app: App, asset: DataAssetInfo, info: ModelInfo) -> None:
    """An example longer than the model's context fails the job hours later: refuse it now. The profile
    the upload recorded (tokenizer, longest example) answers when it was made with this model's tokenizer;
    otherwise the file is read back from the datastore and validated for this model."""
    tags = asset.tags
    if tags.get("tokenizer") == info.tokenizer.value and tags.get("max_tokens", "").isdigit():
        longest = int(tags["max_tokens"])
        if longest > info.context_length:
            raise DataError(
                f"data asset {asset.name}:{asset.version} holds an example of {longest:,} tokens; "
                f"{info.name}'s context is {info.context_length:,}",
                hint=f"upload a file without it (`foundry-ops data fix -m {info.name}`)",
            )
        return
    from ops.azure.uris import stored_path
    from ops.flows.upload import check_data

    where = stored_path(asset.uri)
    if where is None or where.datastore is None:
        app.report.warn(
            f"data asset {asset.name}:{asset.version} was not checked against {info.name}: "
            f"its location {asset.uri} is not in a datastore"
        )
        return
    app.report.progress(
        f"reading data asset {asset.name}:{asset.version} to check it against {info.name} ..."
    )
    store = app.assets.datastore(where.datastore)
    secret = app.assets.datastore_secret(store.name) if store.credential_kind not in ("None", "") else None
    with tempfile.TemporaryDirectory(prefix="foundry-asset-") as tmp:
        local = app.blobs.download(store, where.path, secret, Path(tmp) / Path(where.path).name)
        label = f"data asset {asset.name}:{asset.version}"
        check_data(
            app,
            local,
            info.name,
            validation=asset.name.endswith("validation"),
            allow_secrets=True,
            label=label,
        )


def wait(
    app: App,
    name: str,
    *,
    timeout: float | None = None,
    policy: PollPolicy = DEFAULT_POLICY,
    losses: bool = True,
    resume: str | None = None,
) -> JobInfo:
    """Wait for a job to end (see ops/flows/waiting.py); the live line, with the latest training loss,
    goes to the App's reporter. Ctrl-C stops the wait, not the job: the error says how to resume."""
    from core.errors import Interrupted
    from ops.flows.training import LossTicker

    ticker = LossTicker(app, name) if losses else None
    try:
        result = wait_for_job(
            name,
            app.jobs.get,
            clock=app.clock,
            report=app.report.status,
            backoff=policy.backoff(),
            timeout=timeout,
            error_message=lambda job: job_error(app, job),
            detail=(lambda job: ticker(job.status)) if ticker else (lambda job: ""),
        )
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped waiting; job {name} keeps running",
            hint=f"resume with: {resume or f'foundry-ops finetune wait {name}'}",
        ) from None
    return result.job


def job_error(app: App, name: str) -> str | None:
    """The service's error for a failed job: run history first, then the job's own properties."""
    from core.errors import ToolkitError

    try:
        found = app.history.run_error(name)
    except ToolkitError:
        found = None
    if found:
        return found
    try:
        job = app.jobs.get(name)
    except ToolkitError:
        return None
    for key, value in job.properties.items():
        if value and ("failure" in key.lower() or "error" in key.lower()):
            return " ".join(value.split())[:300]
    return None


def cancel(app: App, name: str) -> JobInfo:
    """Cancel a running job; a job that already ended is left as it is."""
    job = app.jobs.get(name)
    if job.terminal:
        app.report.progress(f"job {name} already finished ({job.status}); nothing to cancel")
        return job
    app.report.progress(f"cancelling job {name} ...")
    app.jobs.cancel(name)
    return app.jobs.get(name)
