"""Deploying fine-tuned models as serverless endpoints: create (honestly), wait, delete, expire.

The service allows one deployment per custom model. `create` first looks for an endpoint already serving
the model: if it matches the request it is returned (and waited for if it is still provisioning); if it
does not (another name, content safety the other way) nothing changes and the error says which command
would make the change. Content safety is set in the PUT that creates the endpoint.

An endpoint may carry an expiry (tag `foundry-ops-expires`, ISO 8601 UTC): a deployed fine-tuned model is
billed every hour it exists, used or not, and nothing in Azure deletes it. `reap` deletes those of this
toolkit past their expiry, never an endpoint it did not create.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.errors import (
    AzureError,
    Interrupted,
    JobFailedError,
    NotFoundError,
    ToolkitError,
    UsageError,
    WaitTimeoutError,
)
from ops.azure.errors import TransientError
from ops.azure.records import TOOL_TAG, EndpointInfo, JobInfo
from ops.concurrency import Outcome, batch_error, run_bounded
from ops.flows import found
from ops.flows.naming import endpoint_name
from ops.flows.waiting import poll_until
from ops.polling import DEFAULT_POLICY, PollPolicy
from ops.text import iso, parse_iso

if TYPE_CHECKING:
    from ops.app import App

NAME_ATTEMPTS = 3  # serverless endpoint names are unique beyond the project: try a few derived names
EXPIRES_TAG = "foundry-ops-expires"
RETIRED_TAG = "foundry-ops-retired"  # on a model version: its endpoint expired and was reaped
ONLINE_TIMEOUT = 3600.0
_DURATION = re.compile(r"^\s*(?:(?P<d>\d+)d)?\s*(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m)?\s*(?:(?P<s>\d+)s)?\s*$")


@dataclass(frozen=True)
class DeployRequest:
    job: str | None = None
    model: str | None = None
    name: str | None = None
    content_safety: bool = True
    wait: bool = True
    ttl: dt.timedelta | None = None
    tags: dict[str, str] = field(default_factory=dict)

    def again(self) -> str:
        """The command that repeats this request (to resume a wait)."""
        what = f"--job {self.job}" if self.job else f"--model {self.model}"
        name = f" --name {self.name}" if self.name else ""
        safety = "" if self.content_safety else " --no-content-safety"
        return f"foundry-ops deploy create {what}{name}{safety}"


def parse_duration(text: str) -> dt.timedelta:
    """`8h`, `2d`, `1d12h`, `90m`, `45s` -> a timedelta; anything else is a usage error."""
    match = _DURATION.match(text or "")
    if not text or not match or not any(match.groupdict().values()):
        raise UsageError(f"duration {text!r} is not like 8h, 2d, 1d12h, 90m or 45s")
    parts = {k: int(v) for k, v in match.groupdict().items() if v}
    value = dt.timedelta(
        days=parts.get("d", 0), hours=parts.get("h", 0), minutes=parts.get("m", 0), seconds=parts.get("s", 0)
    )
    if value <= dt.timedelta(0):
        raise UsageError(f"duration {text!r} must be longer than zero")
    return value


def model_of_job(app: App, job_name: str) -> tuple[str, str]:
    job = found.job(app, job_name)
    if job.status != "Completed":
        raise UsageError(
            f"job {job_name} is {job.status}; only a completed job has a model to deploy",
            hint=f"wait for it with `foundry-ops finetune wait {job_name}`",
        )
    if not job.output_model_name:
        raise UsageError(f"job {job_name} registered no model")
    _warn_if_managed(app, job)
    model = app.assets.job_model(job)
    if model is None:
        raise NotFoundError(
            f"model {job.output_model_name} of job {job_name} is not registered in the project"
        )
    return job.output_model_name, model.version


def _warn_if_managed(app: App, job: JobInfo) -> None:
    """Said, not refused: no public source says the service refuses it either."""
    if job.compute:
        app.report.warn(
            f"job {job.name} was fine-tuned on managed compute ({job.compute.rsplit('/', 1)[-1]}); Microsoft "
            "documents serverless deployment for models fine-tuned serverless only (fine-tune-serverless.md), "
            "so the service may refuse this one: a managed online endpoint, outside this toolkit, serves it"
        )


def model_of_ref(app: App, ref: str) -> tuple[str, str]:
    name, _, version = ref.removeprefix("azureml:").partition(":")
    versions = app.assets.model_versions(name)
    if not versions:
        raise NotFoundError(f"model {name} not found in the project")
    chosen = versions[-1] if not version else next((v for v in versions if v.version == version), None)
    if chosen is None:
        raise NotFoundError(f"model {name} has no version {version}")
    try:  # only to say how it was made: a job that cannot be read is no reason not to deploy
        made_by = app.jobs.find(chosen.job_name) if chosen.job_name else None
    except ToolkitError:
        made_by = None
    if made_by is not None:
        _warn_if_managed(app, made_by)
    return name, chosen.version


def create(app: App, request: DeployRequest, policy: PollPolicy = DEFAULT_POLICY) -> EndpointInfo:
    """Deploy the model the request names, or return the endpoint that already serves it as asked."""
    if bool(request.job) == bool(request.model):
        raise UsageError("give exactly one of --job or --model")
    model_name, version = (
        model_of_job(app, request.job) if request.job else model_of_ref(app, str(request.model))
    )
    model_id = app.workspaces.model_id(model_name, version)
    tags = {
        "model": model_name,
        "model_version": version,
        **({"job": request.job} if request.job else {}),
        **request.tags,
    }
    if request.ttl is not None:
        tags[EXPIRES_TAG] = iso(app.clock.utcnow() + request.ttl)
    listed = {e.name: e for e in app.endpoints.list()}
    serving = [e for e in listed.values() if e.model_id == model_id]
    if serving:
        return _existing(app, request, serving[0], model_id, tags, policy)
    candidates = (
        [request.name]
        if request.name
        else [endpoint_name(model_name, model_id, i) for i in range(NAME_ATTEMPTS)]
    )
    for i, target in enumerate(candidates):
        clash = listed.get(target)
        if clash is not None and clash.model_id != model_id:
            raise UsageError(
                f"endpoint {target} already serves another model ({clash.model_id})",
                hint="pass another --name",
            )
        safety = "on" if request.content_safety else "off"
        app.report.progress(
            f"creating endpoint {target} for {model_name}:{version} (content safety {safety}) ..."
        )
        try:
            return _provision(app, request, target, model_id, tags, policy)
        except AzureError as exc:
            if "not available" in str(exc) and i + 1 < len(candidates):
                app.report.progress(f"the name {target} is taken elsewhere in the region; trying another")
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _existing(
    app: App,
    request: DeployRequest,
    found: EndpointInfo,
    model_id: str,
    tags: dict[str, str],
    policy: PollPolicy,
) -> EndpointInfo:
    model = f"{tags['model']}:{tags['model_version']}"
    if request.name and request.name != found.name:
        raise UsageError(
            f"{model} is already deployed as endpoint {found.name} (one endpoint per model); nothing was changed",
            hint=f"use that endpoint, or delete it first: foundry-ops deploy delete {found.name}",
        )
    current = found.content_safety.lower() == "enabled"
    if current != request.content_safety:
        state = "enabled" if current else "disabled"
        flag = "--enabled" if request.content_safety else "--disabled"
        raise UsageError(
            f"endpoint {found.name} serves {model} with content safety {state}; nothing was changed",
            hint=f"to change it: foundry-ops content-safety set {found.name} {flag}",
        )
    if found.failed:
        app.report.progress(f"endpoint {found.name} failed to provision earlier; trying again ...")
        return _provision(app, request, found.name, model_id, {**found.tags, **tags}, policy)
    app.report.progress(f"{model} is already deployed as {found.name}")
    if request.ttl is not None and found.tags.get(EXPIRES_TAG) != tags[EXPIRES_TAG]:
        found = app.endpoints.set_tags(found.name, {**found.tags, EXPIRES_TAG: tags[EXPIRES_TAG]})
        app.report.progress(f"endpoint {found.name} now expires at {tags[EXPIRES_TAG]}")
    if request.wait and not found.provisioned:
        found = wait_online(app, found.name, policy, again=request.again())
    return found


def _provision(
    app: App, request: DeployRequest, name: str, model_id: str, tags: dict[str, str], policy: PollPolicy
) -> EndpointInfo:
    """PUT the endpoint and, with `wait`, follow the operation; a poll that fails after its retries is
    not a failed deployment: the endpoint itself says how it stands."""
    poller = app.endpoints.begin_create(
        name, model_id, location=app.workspaces.project.location, content_safety=request.content_safety,
        tags=tags, policy=policy,
    )  # fmt: skip
    if not request.wait:
        return poller.started
    try:
        endpoint = poller.result()
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped waiting; endpoint {name} keeps provisioning in Azure",
            hint=f"resume with: {request.again()}",
        ) from None
    except JobFailedError as exc:
        detail = str(exc).split(" failed: ", 1)[-1]
        raise JobFailedError(f"deployment of endpoint {name} failed: {detail}") from None
    except TransientError as exc:
        # a poll that could not be made (throttled past the retry budget, the connection lost) says
        # nothing about the deployment: follow the endpoint itself instead, after the service's Retry-After
        app.report.progress(f"could not follow the operation of {name}; watching the endpoint instead")
        return wait_online(app, name, policy, again=request.again(), first_wait=exc.retry_after)
    if endpoint.failed:
        raise JobFailedError(f"deployment of endpoint {name} ended {endpoint.provisioning_state}")
    return endpoint


def wait_online(
    app: App,
    name: str,
    policy: PollPolicy,
    *,
    again: str,
    timeout: float = ONLINE_TIMEOUT,
    first_wait: float = 0.0,
) -> EndpointInfo:
    """Wait for an endpoint to finish provisioning when there is no operation to follow (an earlier run
    started it, or its operation could not be polled): its state is polled on the shared policy, and
    reads that fail transiently are survived (ops/flows/waiting.py)."""

    def timed_out(endpoint: EndpointInfo | None, _elapsed: float) -> Exception:
        state = endpoint.provisioning_state if endpoint is not None else "unreadable"
        return WaitTimeoutError(
            f"endpoint {name} still {state} after {int(timeout)} s",
            hint=f"it keeps provisioning; resume with: {again}",
        )

    try:
        endpoint = poll_until(
            lambda: app.endpoints.get(name),
            done=lambda e: e.provisioned or e.failed,
            status=lambda e: e.provisioning_state,
            clock=app.clock,
            backoff=policy.backoff(),
            timeout=timeout,
            timed_out=timed_out,
            on_poll=lambda e, changed, _: app.report.status(
                f"endpoint {name}: {e.provisioning_state}", changed
            ),
            on_read_error=lambda exc: app.report.progress(
                f"still waiting: could not read endpoint {name} ({exc.one_line()}); trying again"
            ),
            first_wait=first_wait,
        ).value
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped waiting; endpoint {name} keeps provisioning in Azure", hint=f"resume with: {again}"
        ) from None
    if endpoint.failed:
        raise JobFailedError(f"deployment of endpoint {name} ended {endpoint.provisioning_state}")
    return endpoint


def delete(
    app: App,
    names: Sequence[str],
    *,
    concurrency: int,
    policy: PollPolicy = DEFAULT_POLICY,
    on_done: Callable[[Outcome[str, bool]], None] | None = None,
) -> list[Outcome[str, bool]]:
    """Delete endpoints, each waited for until gone, up to `concurrency` at once; every outcome returned."""

    def one(name: str) -> bool:
        poller = app.endpoints.begin_delete(name, policy)
        if poller is None:
            return False
        poller.result()
        return True

    return run_bounded(list(names), one, concurrency=concurrency, on_done=on_done)


def require_all(app: App, names: Sequence[str]) -> dict[str, EndpointInfo]:
    """Every name must exist before anything is deleted; a misspelt one gets a suggestion."""
    return {name: found.endpoint(app, name) for name in dict.fromkeys(names)}


@dataclass(frozen=True)
class Billing:
    created: dt.datetime | None
    expires: dt.datetime | None
    hours_billed: int | None  # started hours since creation: hosting is billed per hour while it exists
    expired: bool


def billing(endpoint: EndpointInfo, now: dt.datetime) -> Billing:
    created = parse_iso(endpoint.created)
    expires = parse_iso(endpoint.tags.get(EXPIRES_TAG))
    hours = None if created is None else max(1, math.ceil((now - created).total_seconds() / 3600))
    return Billing(created, expires, hours, expires is not None and now >= expires)


def expired(app: App) -> list[tuple[EndpointInfo, Billing]]:
    """Endpoints of this toolkit (tagged) past their expiry; never one it did not create."""
    now = app.clock.utcnow()
    found = []
    for endpoint in app.endpoints.list():
        if not endpoint.tags.get(TOOL_TAG):
            continue
        bill = billing(endpoint, now)
        if bill.expired:
            found.append((endpoint, bill))
    return found


def reap(
    app: App, endpoints: Sequence[EndpointInfo], *, concurrency: int, policy: PollPolicy
) -> list[Outcome[str, bool]]:
    """Delete expired endpoints. Each one's model version is tagged RETIRED_TAG first, so that a run
    reconciled later knows its endpoint expired and does not deploy it again (ops/flows/runs.py)."""
    stamp = iso(app.clock.utcnow())
    for endpoint in endpoints:
        model, version = endpoint.tags.get("model"), endpoint.tags.get("model_version")
        if not model or not version:
            continue
        try:
            current = next((m for m in app.assets.model_versions(model) if m.version == version), None)
            if current is not None and RETIRED_TAG not in current.tags:
                app.assets.set_model_tags(
                    model, version, {**current.tags, RETIRED_TAG: f"{stamp} (endpoint {endpoint.name})"}
                )
        except ToolkitError as exc:  # the deletion matters more than the note; say it and go on
            app.report.warn(f"could not mark {model}:{version} as retired: {exc.one_line()}")
    return delete_or_fail(app, [e.name for e in endpoints], concurrency=concurrency, policy=policy)


def delete_or_fail(
    app: App, names: Sequence[str], *, concurrency: int, policy: PollPolicy
) -> list[Outcome[str, bool]]:
    """`delete`, reporting each endpoint as it goes; a batch with failures raises after all finished."""

    def finished(outcome: Outcome[str, bool]) -> None:
        state = "deleted" if outcome.ok else f"failed: {outcome.error.one_line() if outcome.error else ''}"
        app.report.progress(f"  {outcome.item}: {state}")

    outcomes = delete(app, names, concurrency=concurrency, policy=policy, on_done=finished)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error("endpoint deletions", failed, len(names))
    return outcomes
