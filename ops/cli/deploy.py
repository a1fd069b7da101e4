"""`deploy create | list | show | delete | keys | reap`: serverless endpoints serving fine-tuned models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ops.app import App
from ops.cli.options import (
    concurrency_option,
    confirm,
    global_options,
    out,
    pass_app,
    poll_interval_option,
    wait_option,
    yes_option,
)
from ops.text import iso

if TYPE_CHECKING:
    from ops.polling import PollPolicy

    pass

ENDPOINT_COLUMNS = ("name", "model", "state", "content_safety", "created", "expires", "hours_billed")


@click.group(help="Deploy fine-tuned models as serverless endpoints; list, show, delete, keys, reap.")
@global_options
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
    help="Azure AI Content Safety filtering (turning it off asks first unless --yes).",
)
@click.option("--ttl", help="Delete the endpoint after this long (e.g. 8h, 2d): `deploy reap` does it.")
@wait_option(True, "the endpoint is online (minutes)")
@yes_option
@poll_interval_option
@global_options
@pass_app
def create(
    app: App,
    job: str | None,
    model_ref: str | None,
    name: str | None,
    content_safety: bool,
    ttl: str | None,
    wait: bool,
    policy: PollPolicy,
) -> None:
    """Deploy a fine-tuned model as a serverless endpoint (one per model).

    An endpoint that already serves the model as asked is returned (and waited for); one that serves it
    differently (another name, content safety the other way) is left alone, and the error says which
    command would change it. Hosting is billed every hour the endpoint exists: --ttl records an expiry.

    \b
    Examples:
      foundry-ops deploy create --job ft-phi-4-mini-instruct-3f2a9c01b2de --ttl 8h
      foundry-ops deploy create --model phi-4-mini-instruct-ft-support:1 --name support-bot
    """
    from ops.flows import deploy as flow

    if not content_safety:
        confirm(app, "Deploy with content filtering OFF? Prompts and answers will not be filtered.")
    request = flow.DeployRequest(
        job=job,
        model=model_ref,
        name=name,
        content_safety=content_safety,
        wait=wait,
        ttl=flow.parse_duration(ttl) if ttl else None,
    )
    endpoint = flow.create(app, request, policy)
    shown = endpoint_dict(endpoint, app)
    out(app).result(shown)
    if not shown.get("expires"):  # a forgotten endpoint is the usual surprise on the bill
        app.report.warn(
            f"endpoint {endpoint.name} has no expiry: it is billed every hour until `foundry-ops deploy delete "
            f"{endpoint.name}` (--ttl 8h records one that `deploy reap` acts on)"
        )


@deploy.command("list")
@global_options
@pass_app
def list_endpoints(app: App) -> None:
    """List serverless endpoints in the project, with when each was created, expires, and hours billed."""
    rows = [endpoint_dict(e, app) for e in app.endpoints.list()]
    out(app).result(rows, rows=rows, columns=ENDPOINT_COLUMNS)


@deploy.command("show")
@click.argument("name")
@global_options
@pass_app
def show(app: App, name: str) -> None:
    """Show one endpoint: model, state, inference URI, content safety, expiry (never its keys)."""
    out(app).result(endpoint_dict(_get(app, name), app))


@deploy.command("delete")
@click.argument("names", metavar="NAME...", nargs=-1, required=True)
@concurrency_option("deletions")
@yes_option
@poll_interval_option
@global_options
@pass_app
def delete(app: App, names: tuple[str, ...], concurrency: int, policy: PollPolicy) -> None:
    """Delete endpoints and wait until they are gone (hosting is billed while they exist).

    Every NAME is checked before any is deleted; several are deleted concurrently (--concurrency).
    One NAME prints one object with -o json; several print a list.

    \b
    Examples:
      foundry-ops deploy delete support-bot --yes
      foundry-ops deploy delete bot-a bot-b bot-c --yes --concurrency 3 -o json
    """
    from ops.flows import deploy as flow

    found = flow.require_all(app, names)
    serving = ", ".join(f"{n} (serving {e.model_id})" for n, e in found.items())
    confirm(app, f"Delete endpoint{'s' if len(found) > 1 else ''} {serving}?")
    app.report.progress(
        f"deleting {len(found)} endpoint(s), up to {min(concurrency, len(found))} at a time ..."
    )
    outcomes = flow.delete_or_fail(app, list(found), concurrency=concurrency, policy=policy)
    rows = [{"name": o.item, "deleted": True} for o in outcomes]
    out(app).result(rows[0] if len(rows) == 1 else rows, rows=rows, columns=("name", "deleted"))


@deploy.command("keys")
@click.argument("name")
@click.option("--show-keys", is_flag=True, help="Print the keys themselves (they are secrets).")
@global_options
@pass_app
def keys(app: App, name: str, show_keys: bool) -> None:
    """The endpoint's keys: printed only with --show-keys; otherwise whether each exists.

    \b
    Example:
      foundry-ops deploy keys support-bot --show-keys -o json
    """
    _get(app, name)
    found = app.endpoints.keys(name)
    if show_keys:
        out(app).result({"name": name, "primary_key": found["primary"], "secondary_key": found["secondary"]})
        return
    app.report.progress("keys are not printed; pass --show-keys to print them")
    out(app).result(
        {
            "name": name,
            "has_primary_key": bool(found["primary"]),
            "has_secondary_key": bool(found["secondary"]),
        }
    )


@deploy.command("reap")
@concurrency_option("deletions")
@yes_option
@poll_interval_option
@global_options
@pass_app
def reap(app: App, concurrency: int, policy: PollPolicy) -> None:
    """Delete every endpoint of this toolkit past its expiry (--ttl); never one it did not create.

    \b
    Examples:
      foundry-ops deploy reap            # lists what is expired, asks, deletes
      foundry-ops deploy reap --yes      # what the scheduled reap workflow runs per stack
    """
    from ops.flows import deploy as flow

    now = app.clock.utcnow()
    expired = flow.expired(app)
    rows: list[dict[str, Any]] = [
        {
            "name": e.name,
            "expired": iso(b.expires) if b.expires else None,
            "age_hours": round((now - b.created).total_seconds() / 3600, 1) if b.created else None,
            "hours_billed": b.hours_billed,
        }
        for e, b in expired
    ]
    if not expired:
        app.report.progress("no endpoint of this toolkit is past its expiry")
        out(app).result([], rows=[], columns=("name",))
        return
    for row in rows:
        app.report.progress(f"  {row['name']}: expired {row['expired']}, {row['age_hours']} h old")
    confirm(app, f"Delete {len(rows)} expired endpoint(s)?")
    flow.reap(app, [e for e, _ in expired], concurrency=concurrency, policy=policy)
    for row in rows:
        row["deleted"] = True
    out(app).result(rows, rows=rows, columns=("name", "expired", "age_hours", "hours_billed", "deleted"))


def _get(app: App, name: str) -> Any:
    from ops.flows import deploy as flow

    return flow.require_all(app, [name])[name]


def endpoint_dict(endpoint: Any, app: App) -> dict[str, Any]:
    from ops.flows import deploy as flow

    bill = flow.billing(endpoint, app.clock.utcnow())
    return {
        "name": endpoint.name,
        "model": endpoint.tags.get("model") or _model_name(endpoint.model_id),
        "model_version": endpoint.tags.get("model_version"),
        "model_id": endpoint.model_id,
        "state": endpoint.endpoint_state or endpoint.provisioning_state,
        "provisioning_state": endpoint.provisioning_state,
        "content_safety": endpoint.content_safety,
        "uri": endpoint.uri,
        "auth_mode": endpoint.auth_mode,
        "created": iso(bill.created) if bill.created else None,
        "expires": iso(bill.expires) if bill.expires else None,
        "hours_billed": bill.hours_billed,
    }


def _model_name(model_id: str | None) -> str | None:
    from ops.azure.uris import model_version

    parsed = model_version(model_id)
    return f"{parsed[0]}:{parsed[1]}" if parsed else model_id
