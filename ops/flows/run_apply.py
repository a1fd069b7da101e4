"""Applying a run file: do what its plan says, in order, and record each check's verdict in Azure.

See ops/flows/run_state.py for the state model and ops/flows/runs.py for what is read from where; this module
changes things.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DataError, JobFailedError, ToolkitError, UsageError
from ops.azure.records import EndpointInfo, JobInfo
from ops.flows import deploy, finetune, safety, training
from ops.flows.run_state import (
    DONE,
    FAILED,
    GATE_TAG,
    RUN_TAG,
    SMOKE_TAG,
    GateFailed,
    RunState,
    checks_digest,
    failed_check,
)
from ops.flows.runs import assessed, find_model
from ops.polling import DEFAULT_POLICY, PollPolicy

# A run's job is named from its inputs, so applying again finds the same ended job.
NEW_JOB = "a run trains again only when its file changes the job: its model, data or hyperparameters"

if TYPE_CHECKING:
    from ops.app import App
    from ops.runs.model import RunFile


@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float | None = None
    policy: PollPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    outputs_dir: Path | None = None


def apply(app: App, run: RunFile, options: ApplyOptions, state: RunState | None = None) -> RunState:
    """Do what the plan says, in order (see module doc); returns the state after it. `state` is the
    plan the caller already assessed (and showed), inside `assessed`'s block; without it, one is made."""
    if state is None:
        with assessed(app, run) as fresh:
            return _apply(app, run, options, fresh)
    return _apply(app, run, options, state)


def _apply(app: App, run: RunFile, options: ApplyOptions, state: RunState) -> RunState:
    if state.step("validate").state == FAILED:
        raise DataError(
            f"{run.source}: the run's data does not validate",
            details=tuple(state.step("validate").detail.split("; ")),
        )
    assert state.planned is not None
    info = state.planned.info
    if state.step("upload").state != DONE:
        from ops.flows.upload import register_file

        for part in state.parts:
            register_file(
                app,
                part.path,
                part.asset,
                model=info.name,
                validation=part.validation,
                source_name=part.source,
            )
    planned = state.planned
    if state.job is None:
        state.job = finetune.submit_planned(app, planned, tags={"run": run.name})
    job = state.job
    if not job.terminal:
        if not options.wait:
            app.report.progress(f"job {job.name} is {job.status}; apply again to continue once it completes")
            return _refresh(app, run)
        resume = f"foundry-ops run apply {run.source}"
        try:
            job = state.job = finetune.wait(
                app, job.name, timeout=options.timeout, policy=options.policy, resume=resume
            )
        except JobFailedError as exc:  # the same words as below, with the run's way to train again
            raise JobFailedError(str(exc), hint=NEW_JOB) from None
    if job.failed and job.status == "Canceled":
        raise JobFailedError(f"job {job.name} was canceled; it made no model", hint=NEW_JOB)
    if job.failed:
        message = finetune.job_error(app, job) or "the service gave no error message"
        raise JobFailedError(f"job {job.name} ended {job.status}: {message}", hint=NEW_JOB)
    find_model(app, state)
    _save_outputs(app, run, job, options)
    if run.deploy is None or (state.endpoint is None and state.model_tags.get(deploy.RETIRED_TAG)):
        return _refresh(app, run)
    failed = failed_check(run, state) if state.endpoint is None else None
    if failed is not None:
        raise GateFailed(
            f"run {run.name}: the {failed.label} of job {planned.name}'s model failed before "
            f"({failed.detail}); it is not deployed again",
            hint="change the run file (data, hyperparameters or the checks) to try again",
        )
    endpoint = _deploy(app, run, state, options)
    _check(app, run, endpoint, state, options)
    for old in state.previous:
        app.report.progress(f"replacing {old.name}: the new endpoint {endpoint.name} passed its checks")
        deploy.delete_or_fail(app, [old.name], concurrency=1, policy=options.policy)
    return _refresh(app, run)


def _refresh(app: App, run: RunFile) -> RunState:
    with assessed(app, run) as state:
        return state


def _deploy(app: App, run: RunFile, state: RunState, options: ApplyOptions) -> EndpointInfo:
    assert run.deploy is not None and state.planned is not None
    endpoint = state.endpoint
    if run.deploy.name and any(e.name == run.deploy.name for e in state.previous):
        raise UsageError(
            f"deploy.name {run.deploy.name} is taken by this run's endpoint for an older job; a changed run "
            "needs a new endpoint before the old one goes",
            hint="remove deploy.name from the run file (names are derived), or delete the old endpoint first",
        )
    ttl = deploy.parse_duration(run.deploy.ttl) if run.deploy.ttl else None
    if endpoint is None or endpoint.failed or not endpoint.provisioned:
        request = deploy.DeployRequest(
            job=state.planned.name,
            name=run.deploy.name,
            content_safety=endpoint.content_safety != "Disabled" if endpoint else run.deploy.content_safety,
            wait=True,
            ttl=ttl,
            tags={RUN_TAG: run.name},
        )
        endpoint = deploy.create(app, request, options.policy)
    want = run.deploy.content_safety
    if endpoint.content_safety != ("Enabled" if want else "Disabled"):
        app.report.progress(
            f"setting content safety of {endpoint.name} to {'Enabled' if want else 'Disabled'} ..."
        )
        endpoint = safety.set_endpoint(app, endpoint.name, want, options.policy)
    if ttl is not None and not endpoint.tags.get(deploy.EXPIRES_TAG):
        endpoint = app.endpoints.set_tags(
            endpoint.name, {**endpoint.tags, deploy.EXPIRES_TAG: deploy.iso(app.clock.utcnow() + ttl)}
        )
    return endpoint


def _check(app: App, run: RunFile, endpoint: EndpointInfo, state: RunState, options: ApplyOptions) -> None:
    """Smoke test, then eval gate; each verdict is recorded on the endpoint; a failure takes the
    endpoint out of service as the file says (deleted by default) and fails the apply."""
    from ops.flows import chat

    if run.smoke and not _passed(endpoint, SMOKE_TAG, checks_digest(run, "smoke")):
        to = chat.target(app, endpoint.name)
        failures = []
        for test in run.smoke:
            try:
                result = app.inference.chat(
                    to.uri, to.key, chat.user_prompt(test.prompt, test.system), max_tokens=256
                )
            except ToolkitError as exc:
                failures.append(f"{test.prompt!r}: {exc.one_line()}")
                continue
            if result.filtered or not (result.text or "").strip():
                failures.append(
                    f"{test.prompt!r}: {'blocked by the content filter' if result.filtered else 'no answer'}"
                )
        verdict = "passed" if not failures else "failed"
        endpoint = _record(
            app,
            endpoint,
            state,
            SMOKE_TAG,
            f"{verdict}:{checks_digest(run, 'smoke')} {len(run.smoke) - len(failures)}/{len(run.smoke)}",
        )
        if failures:
            _out_of_service(app, run, endpoint, options, f"smoke test failed: {failures[0]}", failures)
        app.report.progress(f"smoke test passed: {len(run.smoke)} prompt(s) answered")
    if run.eval is not None and not _passed(endpoint, GATE_TAG, checks_digest(run, "eval")):
        from ops.flows.evaluate import evaluate

        evaluation = evaluate(
            app, endpoint.name, run.eval.data, baseline=run.eval.baseline, limit=run.eval.limit
        )
        evaluation.raise_failure()
        score = evaluation.scores[endpoint.name]
        gate = run.eval.gate
        if gate is None:
            _record(app, endpoint, state, GATE_TAG, f"passed:{checks_digest(run, 'eval')} no-gate")
            return
        value = score.get(gate.metric)
        ok = value is not None and value >= gate.min
        shown = "n/a" if value is None else f"{value:.3f}"
        verdict = f"{'passed' if ok else 'failed'}:{checks_digest(run, 'eval')} {gate.metric}={shown}{'>=' if ok else '<'}{gate.min:g}"
        endpoint = _record(app, endpoint, state, GATE_TAG, verdict)
        if not ok:
            _out_of_service(
                app, run, endpoint, options, f"eval gate failed: {gate.metric} {shown} < {gate.min:g}", ()
            )
        app.report.progress(f"eval gate passed: {gate.metric} {shown} >= {gate.min:g}")


def _passed(endpoint: EndpointInfo, tag: str, checks: str) -> bool:
    return endpoint.tags.get(tag, "").startswith(f"passed:{checks}")


def _record(app: App, endpoint: EndpointInfo, state: RunState, tag: str, verdict: str) -> EndpointInfo:
    """On the endpoint (for status), and on the model version (it outlives an endpoint a failed check
    deletes, so the next apply knows not to deploy it again)."""
    verdict = verdict[:256]
    if state.model is not None:
        state.model_tags = {**state.model_tags, tag: verdict}
        app.assets.set_model_tags(*state.model, state.model_tags)
    return app.endpoints.set_tags(endpoint.name, {**endpoint.tags, tag: verdict})


def _out_of_service(
    app: App, run: RunFile, endpoint: EndpointInfo, options: ApplyOptions, why: str, details: Any
) -> None:
    on_failure = run.eval.on_failure if run.eval else "delete"
    if on_failure == "delete":
        app.report.progress(
            f"{why}; deleting {endpoint.name} (the run's earlier endpoint, if any, keeps serving)"
        )
        deploy.delete_or_fail(app, [endpoint.name], concurrency=1, policy=options.policy)
        kept = "it was deleted"
    else:
        kept = f"{endpoint.name} is kept, marked failed; the run's earlier endpoint keeps serving"
    raise GateFailed(f"run {run.name}: {why}; {kept}", details=tuple(details))


def _save_outputs(app: App, run: RunFile, job: JobInfo, options: ApplyOptions) -> None:
    """The training curves next to the run file: `<dir>/<run>.outputs/loss.png` and metrics.json."""
    where = options.outputs_dir or run.source.parent / f"{run.name}.outputs"
    try:
        curves = training.metrics(app, job.name)
    except ToolkitError as exc:
        app.report.warn(f"no training metrics for {job.name}: {exc.one_line()}")
        return
    try:
        where.mkdir(parents=True, exist_ok=True)
        (where / "metrics.json").write_text(json.dumps(curves.to_dict(), indent=2), encoding="utf-8")
        if curves.train_loss or curves.valid_loss:
            training.plot(curves, where / "loss.png", title=f"{run.name}: {job.name}")
            app.report.progress(f"training curves: {where / 'loss.png'}")
    except OSError as exc:
        app.report.warn(f"cannot write the run's outputs to {where}: {exc.strerror or exc}")


def write_status(state: RunState, where: Path) -> None:
    where.mkdir(parents=True, exist_ok=True)
    (where / "status.json").write_text(json.dumps(state.to_dict(), indent=2, default=str), encoding="utf-8")
