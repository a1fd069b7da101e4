"""`finetune submit | list | show | wait | cancel | metrics`: fine-tuning jobs in the stack's project."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from catalog import MODES
from core.errors import NotFoundError
from ops.app import App
from ops.cli.options import (
    PathType,
    confirm,
    global_options,
    model_option,
    out,
    output_option,
    pass_app,
    poll_interval_option,
    wait_option,
    yes_option,
)
from ops.cli.output import Format
from ops.limits import DEFAULT_VALIDATION_FRACTION, MAX_LEARNING_RATE
from ops.text import iso_z, key_values

if TYPE_CHECKING:
    from pathlib import Path

    from ops.azure.records import JobInfo
    from ops.polling import PollPolicy

JOB_COLUMNS = ("name", "status", "model", "output_model", "created")


@click.group(help="Submit, list, show, wait for and cancel fine-tuning jobs; read their training metrics.")
@global_options
def finetune() -> None:
    pass


def _removed(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is None:
        return
    replacement = {
        "learning_rate_multiplier": "--learning-rate (an absolute rate, e.g. 0.00002: the service takes no multiplier)",
        "batch_size_multiplier": "--batch-size (per_device_train_batch_size)",
    }[str(param.name)]
    raise click.UsageError(f"--{str(param.name).replace('_', '-')} is gone; use {replacement}", ctx=ctx)


@finetune.command("submit")
@model_option(required=True)
@click.option(
    "--model-version",
    default="latest",
    show_default=True,
    help="Registry version, or 'latest' (pinned at submit).",
)
@click.option("--train", required=True, help="Training JSONL file, or a data asset as NAME:VERSION.")
@click.option("--validation", help="Validation JSONL file, or a data asset as NAME:VERSION.")
@click.option(
    "--validation-fraction",
    type=click.FloatRange(0.0, 0.5, min_open=True),
    help=f"Hold out this share of --train for validation (default {DEFAULT_VALIDATION_FRACTION} when --train "
    "is a file and --validation is not given).",
)
@click.option("--epochs", type=int, help="num_train_epochs (default: the service's).")
@click.option(
    "--learning-rate", type=float, help="learning_rate, ABSOLUTE, e.g. 0.00002 (default: the service's)."
)
@click.option("--batch-size", type=int, help="per_device_train_batch_size (default: the service's).")
@click.option("--force", is_flag=True, help=f"Allow a learning rate above {MAX_LEARNING_RATE:g}.")
@click.option("--learning-rate-multiplier", expose_value=False, hidden=True, callback=_removed)
@click.option("--batch-size-multiplier", expose_value=False, hidden=True, callback=_removed)
@click.option("--mode", type=click.Choice(MODES), help="Default: what the model allows.")
@click.option("--suffix", help="Suffix of the fine-tuned model's name (default: a hash of the inputs).")
@click.option("--new", is_flag=True, help="Submit a new job even if one with the same inputs exists.")
@click.option("--allow-secrets", is_flag=True, help="Upload data that looks like it holds credentials.")
@wait_option(False, "the job ends (fine-tuning takes hours)")
@poll_interval_option
@global_options
@pass_app
def submit(
    app: App,
    model: str,
    model_version: str,
    train: str,
    validation: str | None,
    validation_fraction: float | None,
    epochs: int | None,
    learning_rate: float | None,
    batch_size: int | None,
    force: bool,
    mode: str | None,
    suffix: str | None,
    new: bool,
    allow_secrets: bool,
    wait: bool,
    policy: PollPolicy,
) -> None:
    """Submit a fine-tuning job (idempotent: the same inputs return the same job).

    Hyperparameters not given are not sent: the service's defaults apply. The base model is pinned to a
    registry version at submit. Data files are validated, refused if they hold errors or credentials,
    and uploaded once (content-addressed).

    \b
    Examples:
      foundry-ops finetune submit -m Phi-4-mini-instruct --train train.jsonl --epochs 2 --learning-rate 0.00002
      foundry-ops finetune submit -m Phi-3-mini-4k-instruct --mode managed-compute \\
          --train support-train:3f2a9c01b2de --validation support-valid:0aa1b2c3d4e5
    """
    from ops.flows import finetune as flow
    from ops.flows.hyperparameters import Hyperparameters

    request = flow.SubmitRequest(
        model=model,
        model_version=model_version,
        train=train,
        validation=validation,
        validation_fraction=validation_fraction,
        hyperparameters=Hyperparameters(epochs=epochs, learning_rate=learning_rate, batch_size=batch_size),
        mode=mode,
        suffix=suffix,
        new=new,
        force=force,
        allow_secrets=allow_secrets,
    )
    job = flow.submit(app, request)
    if wait:
        job = _wait(app, job.name, None, policy)
    _show(app, job)


@finetune.command("list")
@global_options
@pass_app
def list_jobs(app: App) -> None:
    """List fine-tuning jobs in the project, newest first.

    \b
    Example:
      foundry-ops finetune list -o json
    """
    rows = [job_dict(j) for j in app.jobs.list()]
    out(app).result(rows, rows=rows, columns=JOB_COLUMNS)


@finetune.command("show")
@click.argument("job")
@global_options
@pass_app
def show(app: App, job: str) -> None:
    """Show one job: status, inputs, hyperparameters (sent, or the service's default), the model it makes."""
    from ops.flows import finetune as flow

    info = _get(app, job)
    data = job_dict(info)
    if info.failed:
        data["error"] = flow.job_error(app, info)
    _render(app, data)


@finetune.command("wait")
@click.argument("job")
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    help="Stop waiting after this many seconds (exit 6).",
)
@poll_interval_option
@global_options
@pass_app
def wait(app: App, job: str, timeout: float | None, policy: PollPolicy) -> None:
    """Wait for JOB to end; exit 3 with the service's message if it fails, 6 on --timeout.

    Ctrl-C stops waiting but leaves the job running.

    \b
    Example:
      foundry-ops finetune wait ft-phi-4-mini-instruct-3f2a9c01b2de --timeout 3600
    """
    _show(app, _wait(app, job, timeout, policy))


@finetune.command("cancel")
@click.argument("job")
@yes_option
@global_options
@pass_app
def cancel(app: App, job: str) -> None:
    """Cancel JOB (asks first unless --yes; a no-op for a job that has already ended)."""
    from ops.flows import finetune as flow

    info = _get(app, job)
    if not info.terminal:
        confirm(app, f"Cancel fine-tuning job {job} ({info.status})? Its progress is lost.")
    _show(app, flow.cancel(app, info))


@finetune.command("metrics")
@click.argument("job")
@click.option("--plot", "plot", type=PathType(dir_okay=False), help="Write the curves as a PNG.")
@global_options
@output_option((Format.TABLE, Format.JSON, Format.CSV))
@pass_app
def metrics(app: App, job: str, plot: Path | None) -> None:
    """JOB's training metrics per step (training and validation loss, and whatever else it records).

    Read from the workspace's MLflow tracking service, where Azure ML jobs log their metrics.

    \b
    Examples:
      foundry-ops finetune metrics ft-phi-4-mini-instruct-3f2a9c01b2de
      foundry-ops finetune metrics ft-phi-4-mini-instruct-3f2a9c01b2de -o csv > metrics.csv
      foundry-ops finetune metrics ft-phi-4-mini-instruct-3f2a9c01b2de --plot loss.png
    """
    from ops.flows import training

    found = _get(app, job)
    curves = training.metrics(app, job)
    if not curves.series:  # an empty table alone reads like a broken command
        later = "; they appear as it trains" if not found.terminal else ""
        app.report.warn(f"job {job} has logged no metrics (it is {found.status}){later}")
    if plot is not None:
        training.plot(curves, plot, title=job)
        app.report.progress(f"wrote {plot}")
    output = out(app)
    if output.format is Format.CSV:
        click.echo(training.to_csv(curves), nl=False)
        return
    rows = training.rows(curves)
    output.result(curves.to_dict(), rows=rows, columns=["step", *curves.names] if rows else None)


def _get(app: App, job: str) -> JobInfo:
    from ops.flows import found

    return found.job(app, job)


def _wait(app: App, name: str, timeout: float | None, policy: PollPolicy) -> JobInfo:
    from ops.flows import finetune as flow
    from ops.flows import found

    try:
        return flow.wait(app, name, timeout=timeout, policy=policy)
    except NotFoundError as exc:
        raise found.job_not_found(app, name) from exc


def _show(app: App, job: JobInfo) -> None:
    _render(app, job_dict(job))


def _render(app: App, data: dict[str, Any]) -> None:
    """JSON as is; as text, hyperparameters read `key=value`."""
    from ops.flows.hyperparameters import as_text

    flat = {**data, "hyperparameters": as_text(data.get("hyperparameters") or {}) or None}
    out(app).result(data, text=key_values(flat, width=out(app).width()))


def job_dict(job: JobInfo) -> dict[str, Any]:
    from ops.flows.hyperparameters import shown_hyperparameters

    return {
        "name": job.name,
        "status": job.status,
        "model": job.tags.get("model") or job.model,
        "model_version": job.tags.get("model_version") or _version(job.model),
        "base_model_uri": job.model,
        "mode": job.tags.get("mode") or ("managed-compute" if job.compute else "serverless"),
        "output_model": job.output_model_name,
        "training_data": job.training_data,
        "validation_data": job.validation_data,
        "hyperparameters": shown_hyperparameters(job.hyperparameters),
        "compute": job.compute,
        "created": iso_z(job.created),
    }


def _version(uri: str | None) -> str | None:
    if not uri or "/versions/" not in uri:
        return None
    return uri.rsplit("/versions/", 1)[1]
