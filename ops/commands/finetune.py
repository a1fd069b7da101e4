"""`finetune submit | list | show | wait | cancel`: fine-tuning jobs in the stack's project.

Submit checks the model against the catalog (retired or wrong-region combinations are refused with
the alternatives), picks serverless for the Phi-4 family and the stack's GPU cluster for the Phi-3
family, and names the job after a hash of its inputs: submitting the same inputs again returns the
existing job unless --new.
"""

from __future__ import annotations

import re
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.commands.job_watch import Clock, SystemClock, wait_for_job
from ops.commands.ml_names import data_name, digest, job_name, output_model_name
from ops.errors import EXIT_INTERRUPTED, UsageError
from ops.options import output_option, pass_app, poll_interval_option, stack_options
from ops.output import key_values
from ops.polling import INITIAL_INTERVAL, policy_for

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.ml_records import JobInfo

CLOCK: Clock = SystemClock()  # tests replace this so that waiting never sleeps for real
DEFAULT_VALIDATION_FRACTION = 0.1
JOB_COLUMNS = ("name", "status", "model", "output_model", "created")


@click.group(help="Submit, list, show, wait for and cancel fine-tuning jobs.")
def finetune() -> None:
    pass


# ------------------------------------------------------------------------------------------- submit
@finetune.command("submit")
@click.option("--model", "model_name", required=True, help="Catalog model, e.g. Phi-4-mini-instruct.")
@click.option("--model-version", default="latest", show_default=True, help="Registry version (or label).")
@click.option("--train", required=True, help="Training JSONL file, or a data asset as NAME:VERSION.")
@click.option("--validation", help="Validation JSONL file, or a data asset as NAME:VERSION.")
@click.option(
    "--validation-fraction",
    type=click.FloatRange(0.0, 0.5, min_open=True),
    help=f"Hold out this share of --train for validation (default {DEFAULT_VALIDATION_FRACTION} "
    "when --train is a file and --validation is not given).",
)
@click.option("--epochs", type=click.IntRange(1, 50), default=3, show_default=True)
@click.option(
    "--learning-rate-multiplier",
    type=click.FloatRange(0.0, 10.0, min_open=True),
    default=1.0,
    show_default=True,
)
@click.option(
    "--batch-size",
    "--batch-size-multiplier",
    "batch_size",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
)
@click.option(
    "--mode", type=click.Choice(["serverless", "managed-compute"]), help="Default: what the model allows."
)
@click.option("--suffix", help="Suffix of the fine-tuned model's name (default: a hash of the inputs).")
@click.option("--wait", is_flag=True, help="Wait for the job to finish.")
@click.option("--new", is_flag=True, help="Submit a new job even if one with the same inputs exists.")
@poll_interval_option
@stack_options
@output_option
@pass_app
def submit(
    app: App,
    model_name: str,
    model_version: str,
    train: str,
    validation: str | None,
    validation_fraction: float | None,
    epochs: int,
    learning_rate_multiplier: float,
    batch_size: int,
    mode: str | None,
    suffix: str | None,
    wait: bool,
    new: bool,
    poll_interval: float,
) -> None:
    """Submit a fine-tuning job (idempotent: the same inputs return the same job).

    \b
    Examples:
      foundry-ops finetune submit --model Phi-4-mini-instruct --train train.jsonl --epochs 2 --wait
      foundry-ops finetune submit --model Phi-3-mini-4k-instruct --mode managed-compute \\
          --train support-train:3f2a9c01b2de --validation support-valid:0aa1b2c3d4e5
    """
    from catalog.models import Mode, UnknownModelError, explain, get_model

    if validation and validation_fraction is not None:
        raise UsageError("give either --validation or --validation-fraction, not both")
    try:
        info = get_model(model_name)
    except UnknownModelError as exc:
        raise UsageError(str(exc)) from None
    region = app.outputs.location
    modes = info.modes(region)
    if not modes:
        raise UsageError(f"{info.name} cannot be fine-tuned in {region}: {explain(info, region)}")
    chosen = Mode(mode) if mode else modes[0]
    if chosen not in modes:
        raise UsageError(
            f"{info.name} cannot be fine-tuned {chosen.value} in {region}: {explain(info, region)}"
        )
    compute: str | None = None
    if chosen is Mode.MANAGED_COMPUTE:
        if not app.outputs.compute_name:
            raise UsageError(
                f"{info.name} needs managed compute, but this stack has no compute cluster",
                hint="enable the GPU cluster in the stack config and run `pulumi up`",
            )
        o = app.outputs
        compute = (
            f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}/providers/"
            f"Microsoft.MachineLearningServices/workspaces/{o.project_name}/computes/{o.compute_name}"
        )

    train_ref, valid_ref = _resolve_data(app, train, validation, validation_fraction, info.name)
    model_uri = _model_uri(info.registry, info.name, model_version)
    hyperparameters = {
        "num_train_epochs": str(epochs),
        "learning_rate": _fmt_float(learning_rate_multiplier),
        "per_device_train_batch_size": str(batch_size),
    }
    inputs = {
        "model": model_uri,
        "mode": chosen.value,
        "train": train_ref,
        "validation": valid_ref,
        "hyperparameters": hyperparameters,
        "suffix": suffix,
        "compute": compute,
        "project": app.outputs.project_id.lower(),
    }
    name = job_name(info.name, inputs, new=new)
    existing = None if new else app.ml.find_job(name)
    if existing is not None:
        app.output.progress(
            f"job {name} with these inputs already exists ({existing.status}); pass --new to submit again"
        )
        job = existing
    else:
        from ops.azure.ml_records import FineTuneSpec

        spec = FineTuneSpec(
            name=name,
            display_name=f"{info.name} fine-tune" + (f" ({suffix})" if suffix else ""),
            model_uri=model_uri,
            training_data=train_ref,
            validation_data=valid_ref,
            output_model_name=output_model_name(info.name, suffix, inputs),
            hyperparameters=hyperparameters,
            tags={"model": info.name, "mode": chosen.value, "inputs_sha256": digest(inputs)},
            compute=compute,
        )
        app.output.progress(f"submitting {chosen.value} fine-tuning job {name} for {info.name} ...")
        job = app.ml.submit_finetune(spec)
    if wait:
        job = _wait(app, job.name, poll_interval=poll_interval)
    _show_job(app, _job_dict(job))


def _model_uri(registry: str, name: str, version: str) -> str:
    base = f"azureml://registries/{registry}/models/{name}"
    return f"{base}/versions/{version}" if version[:1].isdigit() else f"{base}/labels/{version}"


def _fmt_float(value: float) -> str:
    return f"{value:g}"


def _resolve_data(
    app: App, train: str, validation: str | None, fraction: float | None, model: str
) -> tuple[str, str]:
    """Data asset references for training and validation, uploading local files as needed."""
    from ops.commands.data_upload import register_file

    train_path = Path(train)
    if fraction is not None and not train_path.is_file():
        raise UsageError("--validation-fraction needs --train to be a local file")
    if train_path.is_file() and validation is None:
        from ops.data.split import split_file

        with tempfile.TemporaryDirectory(prefix="foundry-split-") as tmp:
            result = split_file(
                train_path,
                validation_fraction=fraction or DEFAULT_VALIDATION_FRACTION,
                seed=0,
                out_dir=tmp,
                model=model,
            )
            _enough_to_train(train_path, result.train.examples, result.validation.examples)
            base = re.sub(r"[-_.]?train(ing)?$", "", data_name(train_path), flags=re.I) or "dataset"
            t_asset, _ = register_file(app, Path(result.train.path), f"{base}-train", model=model)
            v_asset, _ = register_file(
                app, Path(result.validation.path), f"{base}-validation", model=model, validation=True
            )
        return t_asset.ref, v_asset.ref
    if validation is None:
        raise UsageError(
            "no validation data: pass --validation, or give --train as a local file so a split can be made"
        )
    return _asset_or_file(app, train, model), _asset_or_file(app, validation, model, validation=True)


def _enough_to_train(source: Path, train: int, held_out: int) -> None:
    """Say it in terms of the user's file, before anything is uploaded (the split is a temp file)."""
    from ops.data.rules import MIN_EXAMPLES

    if train < MIN_EXAMPLES:
        raise UsageError(
            f"{source}: {train + held_out} example(s) leave {train} for training after holding out "
            f"{held_out} for validation; fine-tuning needs at least {MIN_EXAMPLES}",
            hint="add examples"
            + (
                ", or pass --validation FILE to keep them all for training"
                if train + held_out >= MIN_EXAMPLES
                else ""
            ),
        )


def _asset_or_file(app: App, value: str, model: str, *, validation: bool = False) -> str:
    from ops.commands.data_upload import register_file

    path = Path(value)
    if path.is_file():
        asset, _ = register_file(app, path, model=model, validation=validation)
        return asset.ref
    return _asset_ref(app, value)


def _asset_ref(app: App, value: str) -> str:
    ref = value.removeprefix("azureml:")
    name, sep, version = ref.partition(":")
    if not sep or not name or not version:
        raise UsageError(f"{value!r} is neither a file nor a data asset NAME:VERSION")
    asset = app.ml.find_data(name, version)
    if asset is None:
        raise UsageError(f"data asset {name}:{version} does not exist in the project")
    return asset.ref


# --------------------------------------------------------------------------------- list/show/wait
@finetune.command("list")
@stack_options
@output_option
@pass_app
def list_jobs(app: App) -> None:
    """List fine-tuning jobs in the project.

    \b
    Example:
      foundry-ops finetune list -o json
    """
    jobs = app.ml.list_jobs()
    rows = [_job_dict(j) for j in jobs]
    app.output.result(rows, rows=rows, columns=JOB_COLUMNS)


@finetune.command("show")
@click.argument("job")
@stack_options
@output_option
@pass_app
def show(app: App, job: str) -> None:
    """Show one job: status, inputs, hyperparameters and the model it registers."""
    info = app.ml.get_job(job)
    data = _job_dict(info)
    if info.status == "Failed":
        data["error"] = app.ml.job_error(job)
    _show_job(app, data)


@finetune.command("wait")
@click.argument("job")
@click.option(
    "--timeout", type=click.FloatRange(0, min_open=True), help="Give up waiting after this many seconds."
)
@poll_interval_option
@stack_options
@output_option
@pass_app
def wait(app: App, job: str, timeout: float | None, poll_interval: float) -> None:
    """Wait for JOB to finish; exit 3 with the service's message if it fails.

    Ctrl-C stops waiting but leaves the job running.

    \b
    Example:
      foundry-ops finetune wait ft-phi-4-mini-instruct-3f2a9c01b2de
    """
    _show_job(app, _job_dict(_wait(app, job, timeout, poll_interval=poll_interval)))


def _wait(
    app: App, name: str, timeout: float | None = None, *, poll_interval: float = INITIAL_INTERVAL
) -> JobInfo:
    live = app.output.is_terminal() and not app.output.quiet
    state = {"width": 0}

    def report(text: str, changed: bool) -> None:
        if app.output.quiet:
            return
        if live:
            if changed and state["width"]:
                sys.stderr.write("\n")
                state["width"] = 0
            pad = max(0, state["width"] - len(text))
            sys.stderr.write("\r" + text + " " * pad)
            sys.stderr.flush()
            state["width"] = len(text)
        elif changed or text.startswith("still waiting"):
            app.output.progress(text)

    try:
        result = wait_for_job(
            name,
            app.ml.get_job,
            clock=CLOCK,
            report=report,
            backoff=policy_for(poll_interval).backoff(),
            timeout=timeout,
            error_message=app.ml.job_error,
        )
    except KeyboardInterrupt:
        if live:
            sys.stderr.write("\n")
        click.echo(
            f"stopped waiting; job {name} keeps running. Resume with: foundry-ops finetune wait {name}",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
    finally:
        if live and state["width"]:
            sys.stderr.write("\n")
            state["width"] = 0
    return result.job


@finetune.command("cancel")
@click.argument("job")
@stack_options
@output_option
@pass_app
def cancel(app: App, job: str) -> None:
    """Cancel JOB (a no-op for a job that has already finished)."""
    info = app.ml.get_job(job)
    if not info.terminal:
        app.output.progress(f"cancelling job {job} ...")
        app.ml.cancel_job(job)
        info = app.ml.get_job(job)
    else:
        app.output.progress(f"job {job} already finished ({info.status}); nothing to cancel")
    _show_job(app, _job_dict(info))


def _show_job(app: App, data: dict[str, Any]) -> None:
    """JSON as is; as a table, hyperparameters read `key=value` rather than as a mapping."""
    hp = data.get("hyperparameters") or {}
    flat = {**data, "hyperparameters": ", ".join(f"{k}={v}" for k, v in hp.items()) or None}
    app.output.result(data, text=key_values(flat))


def _job_dict(job: JobInfo) -> dict[str, Any]:
    data = asdict(job)
    return {
        "name": data["name"],
        "status": data["status"],
        "model": job.tags.get("model") or data["model"],
        "mode": job.tags.get("mode") or ("managed-compute" if job.compute else "serverless"),
        "output_model": data["output_model_name"],
        "training_data": data["training_data"],
        "validation_data": data["validation_data"],
        "hyperparameters": data["hyperparameters"],
        "compute": data["compute"],
        "created": (data["created"] or "")[:19].replace(" ", "T") or None,
    }
