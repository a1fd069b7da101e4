"""Teardown: delete what the workflow created, in the order the service allows, resumably.

Order: serverless endpoints first (billed hourly, and a deployed model cannot be deleted), waiting
until the service no longer lists them; then fine-tuned models (if asked); then data assets this tool
registered and the files it uploaded for them (if asked; never otherwise); then `pulumi destroy` (if
asked). The plan is recomputed from the service on every run: a run that failed half way is finished
by running it again, with nothing kept on the local disk (two teardowns at once cannot corrupt state
that does not exist). Every phase waits for the one before it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.errors import WaitTimeoutError
from ops.azure.records import TOOL_TAG, DataAssetInfo, DatastoreInfo, EndpointInfo, JobInfo
from ops.azure.uris import data_asset_of, model_version, stored_path
from ops.concurrency import Outcome, batch_error, run_bounded
from ops.flows import deploy
from ops.flows.waiting import poll_until
from ops.limits import DEFAULT_CONCURRENCY
from ops.polling import PollPolicy

if TYPE_CHECKING:
    from ops.app import App

ENDPOINT_GONE_TIMEOUT = 1800.0
UPLOADS = f"{TOOL_TAG}/data/"


@dataclass(frozen=True)
class Step:
    kind: str  # endpoint | model | data | stack
    name: str
    version: str | None = None
    detail: str = ""

    def label(self) -> str:
        what = {"endpoint": "endpoint", "model": "model", "data": "data asset", "stack": "Pulumi stack"}[
            self.kind
        ]
        ref = f"{self.name}:{self.version}" if self.version else self.name
        shown = "and the file foundry-ops uploaded for it" if self.kind == "data" else self.detail
        return f"delete {what} {ref}" + (f" ({shown})" if shown else "")


@dataclass
class Plan:
    scope: dict[str, str]
    steps: list[Step] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, DataAssetInfo] = field(default_factory=dict)  # by name:version, for their files


@dataclass(frozen=True)
class Options:
    delete_models: bool = False
    delete_data: bool = False
    destroy_stack: str | None = None  # the stack to `pulumi destroy`
    concurrency: int = DEFAULT_CONCURRENCY
    policy: PollPolicy = field(default_factory=PollPolicy)


def build_plan(app: App, options: Options) -> Plan:
    """What exists now and would be deleted, in the safe order, and what is kept."""
    o = app.outputs
    plan = Plan(
        scope={
            "subscription": o.subscription_id,
            "resource_group": o.resource_group_name,
            "project": o.project_name,
        }
    )
    every_job = app.jobs.list()
    jobs = [j for j in every_job if j.tags.get(TOOL_TAG)]
    for job in jobs:
        if not job.terminal:
            plan.notes.append(
                f"job {job.name} is still {job.status}; it may register a model after this teardown "
                f"(cancel it with `foundry-ops finetune cancel {job.name}`)"
            )
    model_names = sorted({j.output_model_name for j in jobs if j.output_model_name})
    model_steps: list[Step] = []
    doomed: set[tuple[str, str]] = set()
    for name in model_names:
        versions = app.assets.model_versions(name)
        if options.delete_models:
            model_steps += [Step("model", name, v.version) for v in versions]
            doomed |= {(name, v.version) for v in versions}
        elif versions:
            plan.kept.append(
                f"{len(versions)} fine-tuned model version(s) of {name} (--delete-models deletes them)"
            )
    for ep in app.endpoints.list():
        serves = model_version(ep.model_id)
        if ep.tags.get(TOOL_TAG) or (serves is not None and serves in doomed):
            plan.steps.append(Step("endpoint", ep.name, detail=f"serving {_fmt_model(serves, ep)}"))
    plan.steps.extend(model_steps)
    data = app.assets.tool_data()
    if options.delete_data:
        in_use = _trained_on(every_job)  # a job of the portal's may train on our data too
        for asset in data:
            user = in_use.get((asset.name, asset.version))
            if user is not None:  # its job reads it when it starts or resumes: deleting fails the job
                plan.kept.append(
                    f"data asset {asset.name}:{asset.version}: job {user.name} is {user.status} on it"
                )
                continue
            plan.steps.append(Step("data", asset.name, asset.version))
            plan.data[f"{asset.name}:{asset.version}"] = asset
    elif data:
        plan.kept.append(
            f"{len(data)} data asset version(s) and their uploaded files (--delete-data deletes them)"
        )
    if options.destroy_stack:
        plan.steps.append(Step("stack", options.destroy_stack, detail="pulumi destroy"))
    else:
        plan.kept.append("the infrastructure (hub, project, storage, key vault; --destroy-stack destroys it)")
    return plan


def _trained_on(jobs: list[JobInfo]) -> dict[tuple[str, str], JobInfo]:
    """The data versions that jobs not yet ended train or validate on (a Paused job reads its data again
    when it resumes)."""
    found: dict[tuple[str, str], JobInfo] = {}
    for job in jobs:
        if job.terminal and job.status != "Paused":
            continue
        for ref in (job.training_data, job.validation_data):
            key = data_asset_of(ref)
            if key is not None:
                found.setdefault(key, job)
    return found


def _fmt_model(model: tuple[str, str] | None, ep: EndpointInfo) -> str:
    return f"{model[0]}:{model[1]}" if model else str(ep.model_id)


def run(app: App, plan: Plan, options: Options) -> list[dict[str, Any]]:
    """Phase by phase: deletions within a phase are independent and overlap up to the bound; a phase
    with a failure stops the teardown before the next phase (which depends on it)."""
    results: list[dict[str, Any]] = []
    endpoints = [s for s in plan.steps if s.kind == "endpoint"]
    if endpoints:
        app.report.progress(
            f"endpoint deletions: {len(endpoints)}, up to {min(options.concurrency, len(endpoints))} at a time ..."
        )
        labels = {s.name: s.label() for s in endpoints}
        outcomes = deploy.delete(
            app, [s.name for s in endpoints], concurrency=options.concurrency, policy=options.policy,
            on_done=lambda o: _said(app, labels[o.item], o),
        )  # fmt: skip
        _collect(endpoints, outcomes, results, "endpoint deletions")
        wait_endpoints_gone(app, [s.name for s in endpoints], options.policy)
    models = [s for s in plan.steps if s.kind == "model"]
    _phase(
        app,
        models,
        options,
        results,
        "model deletions",
        lambda s: app.assets.delete_model(s.name, str(s.version)),
    )
    _delete_empty_containers(
        app, [s.name for s in models], app.assets.model_versions, app.assets.delete_model_container, options
    )
    data = [s for s in plan.steps if s.kind == "data"]
    if data:
        # jobs listed again now, as the assets below: one submitted while the user read the plan keeps its data
        in_use = _trained_on(app.jobs.list())
        for step in [s for s in data if (s.name, str(s.version)) in in_use]:
            user = in_use[(step.name, str(step.version))]
            results.append({"step": step.label(), "result": f"kept: job {user.name} is {user.status} on it"})
            app.report.warn(
                f"data asset {step.name}:{step.version} is kept: job {user.name} is {user.status} on it"
            )
            data.remove(step)
    if data:
        doomed = [plan.data[f"{s.name}:{s.version}"] for s in data]
        # listed again now, not taken from the plan: an asset registered while the user read the
        # plan may use one of these files, and a file still in use is never deleted
        files = FileKeeper(app, doomed, app.assets.tool_data())
        _phase(
            app,
            data,
            options,
            results,
            "data asset deletions",
            lambda s: files.delete(plan.data[f"{s.name}:{s.version}"]),
        )
        results += files.results
    _delete_empty_containers(
        app, [s.name for s in data], app.assets.data_versions, app.assets.delete_data_container, options
    )
    for step in plan.steps:
        if step.kind == "stack":
            from ops.pulumi_cli import destroy

            app.report.progress(f"running pulumi destroy on stack {step.name} ...")
            destroy(step.name, lambda line: app.report.progress(f"  pulumi: {line}"))
            results.append({"step": step.label(), "result": "destroyed"})
    return results


def _said(app: App, label: str, outcome: Outcome[Any, Any]) -> None:
    if outcome.error is not None:
        app.report.progress(f"  failed: {label}: {outcome.error.one_line()}")
    else:
        app.report.progress(f"  done: {label}")


def _collect(
    steps: list[Step], outcomes: list[Outcome[Any, bool]], results: list[dict[str, Any]], what: str
) -> None:
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error(what, failed, len(steps))
    for step, outcome in zip(steps, outcomes, strict=True):
        results.append({"step": step.label(), "result": "deleted" if outcome.value else "already gone"})


def _phase(
    app: App, steps: list[Step], options: Options, results: list[dict[str, Any]], what: str,
    delete: Callable[[Step], bool],
) -> None:  # fmt: skip
    if not steps:
        return
    app.report.progress(f"{what}: {len(steps)}, up to {min(options.concurrency, len(steps))} at a time ...")
    outcomes = run_bounded(
        steps, delete, concurrency=options.concurrency, on_done=lambda o: _said(app, o.item.label(), o)
    )
    _collect(steps, outcomes, results, what)


def _delete_empty_containers(
    app: App,
    names: list[str],
    versions: Callable[[str], list[Any]],
    delete: Callable[[str], bool],
    options: Options,
) -> None:
    """A model or data container goes once its last version has; another version keeps it."""
    empty = [name for name in sorted(set(names)) if not versions(name)]
    outcomes = run_bounded(empty, delete, concurrency=options.concurrency)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error("container deletions", failed, len(empty))


class FileKeeper:
    """Deletes a data asset's uploaded file before the asset (so a failure leaves the asset, and the next
    run, pointing at it), whatever URI form the service answered with, unless an asset that stays still
    uses it (`registered`: every data version this tool registered, listed just before deleting). A file that
    is not ours, or whose location cannot be read, is kept and reported. Each datastore is read once."""

    def __init__(self, app: App, doomed: list[DataAssetInfo], registered: list[DataAssetInfo]) -> None:
        self.app = app
        leaving = {(a.name, a.version) for a in doomed}
        self.in_use = {_location(a.uri) for a in registered if (a.name, a.version) not in leaving}
        self.results: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._stores: dict[str, DatastoreInfo] = {}
        self._stores_lock = threading.Lock()

    def delete(self, asset: DataAssetInfo) -> bool:
        self._file(asset)
        return self.app.assets.delete_data(asset.name, asset.version)

    def _note(self, label: str, result: str) -> None:
        with self._lock:
            self.results.append({"step": label, "result": result})

    def _file(self, asset: DataAssetInfo) -> None:
        label = f"delete the uploaded file of {asset.name}:{asset.version}"
        where = stored_path(asset.uri)
        if where is None or where.datastore is None:
            self._note(label, f"kept: unknown location {asset.uri!r}")
            self.app.report.warn(
                f"the file of {asset.name}:{asset.version} is kept: cannot read its location {asset.uri}"
            )
            return
        if not where.path.startswith(UPLOADS):
            self._note(label, f"kept: {where.path} was not uploaded by foundry-ops")
            return
        if (where.datastore.lower(), where.path) in self.in_use:
            self._note(label, "kept: a data asset that stays still uses it")
            return
        store = self._store(where.datastore)
        secret = self.app.assets.blob_credential(store)
        gone = self.app.blobs.delete(store, where.path, secret)  # a failure fails this asset's step
        self._note(label, f"deleted {where.path}" if gone else "already gone")

    def _store(self, name: str) -> DatastoreInfo:
        with self._stores_lock:  # concurrent deletions wait for the one read
            store = self._stores.get(name.lower())
            if store is None:
                store = self._stores[name.lower()] = self.app.assets.datastore(name)
            return store


def _location(uri: str) -> tuple[str, str] | None:
    where = stored_path(uri)
    return None if where is None or where.datastore is None else (where.datastore.lower(), where.path)


def wait_endpoints_gone(app: App, names: list[str], policy: PollPolicy) -> None:
    """The service finishes deleting after the operation; models can only go once it lists none of these."""
    wanted = set(names)

    def listed() -> frozenset[str]:
        return frozenset(wanted & {e.name for e in app.endpoints.list()})

    def progress(left: frozenset[str], _changed: bool, _elapsed: float) -> None:
        if left:
            app.report.progress(f"waiting for {len(left)} endpoint(s) to disappear ...")

    def timed_out(left: frozenset[str] | None, _elapsed: float) -> Exception:
        still = ", ".join(sorted(left if left is not None else wanted))
        return WaitTimeoutError(
            f"endpoints still listed {int(ENDPOINT_GONE_TIMEOUT)} s after deletion: {still}",
            hint="the service is still deleting them; run teardown again later to remove the rest",
        )

    poll_until(
        listed,
        done=lambda left: not left,
        status=lambda left: ",".join(sorted(left)),
        clock=app.clock,
        backoff=policy.backoff(),
        timeout=ENDPOINT_GONE_TIMEOUT,
        timed_out=timed_out,
        on_poll=progress,
        on_read_error=lambda exc: app.report.progress(
            f"still waiting: could not list endpoints ({exc.one_line()}); trying again"
        ),
    )
