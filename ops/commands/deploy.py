"""`deploy create | list | show | delete | keys`: serverless endpoints serving fine-tuned models.

The service allows one deployment per custom model, so `create` first looks for an endpoint already
serving the model and returns it. Content safety is set in the same PUT that creates the endpoint, so
there is no moment in which a new endpoint runs unfiltered. Keys are printed only with --show-keys.
Waiting (create --wait, delete) follows the same polling policy as `finetune wait` (ops/polling.py).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import click

from ops.commands.ml_names import endpoint_name
from ops.concurrency import Outcome, batch_error, run_bounded
from ops.errors import AzureError, NotFoundError, UsageError
from ops.options import (
    concurrency_option,
    confirm,
    output_option,
    pass_app,
    poll_interval_option,
    stack_options,
    yes_option,
)
from ops.polling import policy_for

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.ml_records import EndpointInfo

NAME_ATTEMPTS = 3  # serverless endpoint names are unique beyond the project: try a few derived names
ENDPOINT_COLUMNS = ("name", "model", "state", "content_safety", "uri")


@click.group(help="Deploy fine-tuned models as serverless endpoints; list, show, delete, keys.")
def deploy() -> None:
    pass


@deploy.command("create")
@click.option("--job", help="A completed fine-tuning job: deploy the model it registered.")
@click.option("--model", "model_ref", help="A fine-tuned model in the project, as NAME or NAME:VERSION.")
@click.option("--name", help="Endpoint name (default: the model's name plus a short hash).")
@click.option(
    "--content-safety/--no-content-safety",
    default=True,
    show_default=True,
    help="Azure AI Content Safety filtering on the endpoint.",
)
@click.option("--wait/--no-wait", default=True, show_default=True, help="Wait until the endpoint is online.")
@poll_interval_option
@stack_options
@output_option
@pass_app
def create(
    app: App,
    job: str | None,
    model_ref: str | None,
    name: str | None,
    content_safety: bool,
    wait: bool,
    poll_interval: float,
) -> None:
    """Deploy a fine-tuned model as a serverless endpoint (one per model; an existing one is returned).

    \b
    Examples:
      foundry-ops deploy create --job ft-phi-4-mini-instruct-3f2a9c01b2de
      foundry-ops deploy create --model phi-4-mini-instruct-ft-support:1 --name support-bot
    """
    if bool(job) == bool(model_ref):
        raise UsageError("give exactly one of --job or --model")
    model_name, version = _model_for_job(app, job) if job else _model_from_ref(app, str(model_ref))
    model_id = app.ml.model_id(model_name, version)
    tags = {"model": model_name, "model_version": version, **({"job": job} if job else {})}
    policy = policy_for(poll_interval)
    serving = [e for e in app.ml.list_endpoints() if e.model_id == model_id]
    if serving and (serving[0].provisioning_state or "").lower() == "failed":
        found = serving[0]
        app.output.progress(f"endpoint {found.name} failed to provision earlier; trying again ...")
        endpoint = app.ml.create_endpoint(
            found.name, model_id, content_safety=content_safety, tags=tags, wait=wait, policy=policy
        )
        app.output.result(_endpoint_dict(endpoint))
        return
    if serving:
        found = serving[0]
        if name and name != found.name:
            app.output.warn(
                f"model {model_name}:{version} is already deployed as {found.name}; one per model"
            )
        app.output.progress(f"{model_name}:{version} is already deployed as {found.name}")
        app.output.result(_endpoint_dict(found))
        return
    candidates = [name] if name else [endpoint_name(model_name, model_id, i) for i in range(NAME_ATTEMPTS)]
    safety = "on" if content_safety else "off"
    for i, target in enumerate(candidates):
        clash = app.ml.find_endpoint(target)
        if clash is not None:
            if clash.model_id == model_id:  # created by an earlier, interrupted run
                app.output.result(_endpoint_dict(clash))
                return
            raise UsageError(f"endpoint {target} already serves another model ({clash.model_id})")
        app.output.progress(
            f"creating endpoint {target} for {model_name}:{version} (content safety {safety}) ..."
        )
        try:
            endpoint = app.ml.create_endpoint(
                target, model_id, content_safety=content_safety, tags=tags, wait=wait, policy=policy
            )
        except AzureError as exc:
            if "not available" in str(exc) and i + 1 < len(candidates):
                app.output.progress(f"the name {target} is taken elsewhere in the region; trying another")
                continue
            raise
        app.output.result(_endpoint_dict(endpoint))
        return


def _model_for_job(app: App, job_name: str) -> tuple[str, str]:
    job = app.ml.get_job(job_name)
    if job.status != "Completed":
        raise UsageError(
            f"job {job_name} is {job.status}; only a completed job has a model to deploy",
            hint=f"wait for it with `foundry-ops finetune wait {job_name}`",
        )
    if not job.output_model_name:
        raise UsageError(f"job {job_name} registered no model")
    versions = app.ml.list_model_versions(job.output_model_name)
    mine = [v for v in versions if v.job_name in (None, job_name)] or versions
    if not mine:
        raise NotFoundError(
            f"model {job.output_model_name} of job {job_name} is not registered in the project"
        )
    return job.output_model_name, mine[-1].version


def _model_from_ref(app: App, ref: str) -> tuple[str, str]:
    name, _, version = ref.removeprefix("azureml:").partition(":")
    versions = app.ml.list_model_versions(name)
    if not versions:
        raise NotFoundError(f"model {name} does not exist in the project")
    if not version:
        return name, versions[-1].version
    if version not in {v.version for v in versions}:
        raise NotFoundError(f"model {name} has no version {version}")
    return name, version


@deploy.command("list")
@stack_options
@output_option
@pass_app
def list_endpoints(app: App) -> None:
    """List serverless endpoints in the project."""
    rows = [_endpoint_dict(e) for e in app.ml.list_endpoints()]
    app.output.result(rows, rows=rows, columns=ENDPOINT_COLUMNS)


@deploy.command("show")
@click.argument("name")
@stack_options
@output_option
@pass_app
def show(app: App, name: str) -> None:
    """Show one endpoint: model, state, inference URI, content safety (never its keys)."""
    app.output.result(_endpoint_dict(app.ml.get_endpoint(name)))


@deploy.command("delete")
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@concurrency_option("deletions")
@yes_option
@poll_interval_option
@stack_options
@output_option
@pass_app
def delete(app: App, names: tuple[str, ...], concurrency: int, poll_interval: float) -> None:
    """Delete endpoints and wait until they are gone (hosting is billed while they exist).

    Every NAME is checked before any is deleted; several are deleted concurrently (--concurrency).
    One NAME prints one object with -o json; several print a list.

    \b
    Examples:
      foundry-ops deploy delete support-bot --yes
      foundry-ops deploy delete bot-a bot-b bot-c --yes --concurrency 3 -o json
    """
    unique = list(dict.fromkeys(names))
    found = {name: app.ml.find_endpoint(name) for name in unique}
    for name, endpoint in found.items():
        if endpoint is None:
            raise NotFoundError(f"endpoint {name} does not exist in the project")
    serving = ", ".join(f"{n} (serving {e.model_id})" for n, e in found.items() if e is not None)
    confirm(app, f"Delete endpoint{'s' if len(unique) > 1 else ''} {serving}?")
    policy = policy_for(poll_interval)
    app.output.progress(
        f"deleting {len(unique)} endpoint(s), up to {min(concurrency, len(unique))} at a time ..."
    )

    def finished(outcome: Outcome[str, bool]) -> None:
        state = "deleted" if outcome.ok else f"failed: {outcome.error.one_line() if outcome.error else ''}"
        app.output.progress(f"  {outcome.item}: {state}")

    outcomes = run_bounded(
        unique,
        lambda name: app.ml.delete_endpoint(name, wait=True, policy=policy),
        concurrency=concurrency,
        on_done=finished,
    )
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error("endpoint deletions", failed, len(unique))
    rows = [{"name": o.item, "deleted": True} for o in outcomes]
    app.output.result(rows[0] if len(rows) == 1 else rows, rows=rows, columns=("name", "deleted"))


@deploy.command("keys")
@click.argument("name")
@click.option("--show-keys", is_flag=True, help="Print the keys themselves (they are secrets).")
@stack_options
@output_option
@pass_app
def keys(app: App, name: str, show_keys: bool) -> None:
    """The endpoint's keys: printed only with --show-keys; otherwise only whether they exist.

    \b
    Example:
      foundry-ops deploy keys support-bot --show-keys -o json
    """
    found = app.ml.endpoint_keys(name)
    if show_keys:
        app.output.result({"name": name, **found})
        return
    hidden = {k: ("(hidden)" if v else None) for k, v in found.items()}
    app.output.progress("keys are hidden; pass --show-keys to print them")
    app.output.result({"name": name, **hidden})


def _endpoint_dict(endpoint: EndpointInfo) -> dict[str, Any]:
    data = asdict(endpoint)
    return {
        "name": data["name"],
        "model": endpoint.tags.get("model") or _model_from_id(endpoint.model_id),
        "model_version": endpoint.tags.get("model_version"),
        "model_id": data["model_id"],
        "state": endpoint.endpoint_state or endpoint.provisioning_state,
        "provisioning_state": data["provisioning_state"],
        "content_safety": data["content_safety"],
        "uri": data["uri"],
        "auth_mode": data["auth_mode"],
    }


def _model_from_id(model_id: str | None) -> str | None:
    if not model_id or "/models/" not in model_id:
        return model_id
    tail = model_id.split("/models/", 1)[1].split("/")
    return f"{tail[0]}:{tail[2]}" if len(tail) >= 3 else tail[0]
