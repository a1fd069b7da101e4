"""Fine-tuning runs declared in files: plan (what would change), apply (do it), status (how it stands).

State is read from the cloud, never from a local file (a pipeline runner has no memory between runs):
- data: assets `<run>-train` / `<run>-validation` at the version the files' sha256 gives;
- the job: its name is a hash of everything that defines it (model version, data, hyperparameters), so
  the plan knows which job the file means before it exists; jobs of the run carry the tag `run`;
- the endpoint: the one serving that job's model, tagged `foundry-ops-run`; the results of its smoke
  test and eval gate are tags on it and on the job's model version (which outlives the endpoint), with
  a digest of the checks they ran (`passed:<digest>`); a model version whose endpoint expired and was
  reaped carries `foundry-ops-retired`, so a later apply does not deploy it again.
Applied twice, the second apply creates nothing. Interrupted, the next apply continues where the cloud
says it stopped. A changed file (data, hyperparameters, model version) plans a new job; its endpoint
replaces the run's old one only after it passes its smoke test and gate.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import DataError, JobFailedError, ToolkitError, UsageError
from ops.azure.records import EndpointInfo, JobInfo
from ops.flows import deploy, finetune, safety, training
from ops.flows.naming import data_version, digest, file_sha256
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.app import App
    from ops.runs.schema import RunFile

RUN_TAG = "foundry-ops-run"
SMOKE_TAG = "foundry-ops-smoke"
GATE_TAG = "foundry-ops-gate"
STEPS = (
    "validate",
    "upload",
    "fine-tune",
    "wait",
    "deploy",
    "content safety",
    "smoke",
    "eval gate",
    "expiry",
)
DONE, TODO, CHANGED, RUNNING, FAILED, SKIPPED, BLOCKED = (
    "done",
    "to do",
    "changed",
    "running",
    "failed",
    "skipped",
    "blocked",
)


class GateFailed(ToolkitError):
    """The smoke test or the eval gate of a run failed (exit 1)."""


@dataclass
class Step:
    name: str
    state: str
    detail: str = ""


@dataclass
class DataPart:
    path: Path  # the file to upload (a split part lives in a temporary directory during apply)
    asset: str
    version: str
    validation: bool
    source: str

    @property
    def ref(self) -> str:
        return f"azureml:{self.asset}:{self.version}"


@dataclass
class RunState:
    """What the cloud says about a run file, step by step."""

    run: RunFile
    steps: list[Step] = field(default_factory=list)
    parts: list[DataPart] = field(default_factory=list)
    planned: finetune.PlannedJob | None = None
    job: JobInfo | None = None
    older_jobs: list[JobInfo] = field(default_factory=list)
    endpoint: EndpointInfo | None = None
    previous: list[EndpointInfo] = field(default_factory=list)
    model: tuple[str, str] | None = None  # the fine-tuned model version the job registered
    model_tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)

    @property
    def changes(self) -> int:
        return sum(1 for s in self.steps if s.state in (TODO, CHANGED, RUNNING))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.run.name,
            "file": str(self.run.source),
            "model": self.run.model,
            "steps": [{"name": s.name, "state": s.state, "detail": s.detail} for s in self.steps],
            "job": None if self.job is None and self.planned is None else {
                "name": self.planned.name if self.planned else self.job.name if self.job else None,
                "status": self.job.status if self.job else None,
                "base_model": self.planned.base.uri if self.planned else None,
                "hyperparameters": finetune.shown_hyperparameters(self.planned.hyperparameters) if self.planned else {},
            },
            "endpoint": None if self.endpoint is None else {
                "name": self.endpoint.name,
                "state": self.endpoint.endpoint_state or self.endpoint.provisioning_state,
                "content_safety": self.endpoint.content_safety or "Enabled",
                "uri": self.endpoint.uri,
                "expires": self.endpoint.tags.get(deploy.EXPIRES_TAG),
            },
            "replaces": [e.name for e in self.previous],
            "metrics": self.metrics,
        }  # fmt: skip


def checks_digest(run: RunFile, what: str) -> str:
    """A short digest of the checks a tag's verdict was reached with: new checks, new verdict."""
    if what == "smoke":
        return digest([[t.prompt, t.system] for t in run.smoke])[:8]
    assert run.eval is not None
    gate = run.eval.gate
    data_sha = file_sha256(run.eval.data) if run.eval.data.is_file() else ""
    return digest(
        [
            data_sha,
            gate.metric if gate else None,
            gate.min if gate else None,
            run.eval.baseline,
            run.eval.limit,
        ]
    )[:8]


# --- assess: read-only --------------------------------------------------------------------------------
def assess(app: App, run: RunFile, workdir: Path) -> RunState:
    """Every step's state, from the files and the cloud; changes nothing. `workdir` holds split parts."""
    if app.stack and run.stacks is not None and app.stack not in run.stacks:
        raise UsageError(
            f"run {run.name} is not for stack {app.stack} (its stacks: {', '.join(run.stacks) or 'none'})",
            hint=f"add {app.stack} to `stacks:` in {run.source.name}",
        )
    state = RunState(run)
    problems = _validate(app, run, state, workdir)
    state.steps.append(
        Step("validate", FAILED if problems else DONE, "; ".join(problems) or "data files are valid")
    )
    if problems:
        state.steps += [Step(name, BLOCKED, "the data must validate first") for name in STEPS[1:]]
        return state
    missing = [p for p in state.parts if app.assets.find_data(p.asset, p.version) is None]
    state.steps.append(
        Step("upload", TODO if missing else DONE, ", ".join(p.ref for p in (missing or state.parts)))
    )
    info = finetune.catalog_model(run.model)
    today = app.clock.today()
    mode, compute = finetune.choose_mode(app, info, None, today)
    base = finetune.pin_base_model(app, info, run.model_version, mode, today)
    hyper = _hyperparameters(run)
    train_ref = state.parts[0].ref
    valid_ref = state.parts[1].ref if len(state.parts) > 1 else None
    state.planned = planned = finetune.plan_job(
        app, info, mode, compute, base, train_ref, valid_ref, hyper, run.name
    )
    state.job = app.jobs.find(planned.name)
    state.older_jobs = [
        j for j in app.jobs.list() if j.tags.get("run") == run.name and j.name != planned.name
    ]
    _assess_job(state)
    _find_model(app, state)
    _assess_endpoint(app, run, state)
    if state.job is not None:
        state.metrics = _metrics(app, state)
    return state


def _find_model(app: App, state: RunState) -> None:
    """The model version a completed job registered, with its tags (verdicts and retirement live there)."""
    job = state.job
    if job is None or job.status != "Completed" or not job.output_model_name:
        return
    versions = app.assets.model_versions(job.output_model_name)
    mine = [v for v in versions if v.job_name in (None, job.name)] or versions
    if mine:
        state.model = (mine[-1].name, mine[-1].version)
        state.model_tags = mine[-1].tags


def _hyperparameters(run: RunFile) -> finetune.Hyperparameters:
    h = run.hyperparameters
    hyper = finetune.Hyperparameters(epochs=h.epochs, learning_rate=h.learning_rate, batch_size=h.batch_size)
    hyper.check(force=run.force)
    return hyper


def _validate(app: App, run: RunFile, state: RunState, workdir: Path) -> list[str]:
    """Offline checks of every file the run names; the parts to upload (a split is made in `workdir`)."""
    from ops.data.validate import validate_file

    problems: list[str] = []
    data = run.data
    train = data.train
    if data.validation_fraction is not None:
        from ops.data.split import split_file

        try:
            result = split_file(
                train,
                validation_fraction=data.validation_fraction,
                seed=0,
                out_dir=workdir,
                model=run.model,
                force=True,
            )
        except ToolkitError as exc:
            return [exc.one_line()]
        files = [
            (Path(result.train.path), False, f"{train.name} (train part)"),
            (Path(result.validation.path), True, f"{train.name} (validation part)"),
        ]
    else:
        files = [(train, False, train.name)] + (
            [(data.validation, True, data.validation.name)] if data.validation else []
        )
    for path, validation, source in files:
        report = validate_file(path, run.model)
        blocking = {
            c: n for c, n in report.error_counts.items() if not (validation and c == "too_few_examples")
        }
        if blocking:
            first = next((i for i in report.errors if i.category in blocking), None)
            where = f" (first at line {first.line}: {first.message})" if first and first.line else ""
            problems.append(
                f"{source}: " + ", ".join(f"{n} {c}" for c, n in sorted(blocking.items())) + where
            )
            continue
        if report.warning_counts.get("secret"):
            problems.append(f"{source}: {report.warning_counts['secret']} line(s) look like credentials")
            continue
        asset = f"{run.name}-{'validation' if validation else 'train'}"
        state.parts.append(DataPart(path, asset, data_version(file_sha256(path)), validation, source))
    if run.eval is not None:
        from ops.data.conversations import read_conversations

        try:
            read_conversations(run.eval.data, need_reference=True)
        except ToolkitError as exc:
            problems.append(exc.one_line())
    return problems


def _assess_job(state: RunState) -> None:
    planned, job = state.planned, state.job
    assert planned is not None
    if job is not None:
        state.steps.append(Step("fine-tune", DONE, f"job {job.name}"))
    elif state.older_jobs:
        older = state.older_jobs[0]
        state.steps.append(
            Step("fine-tune", CHANGED, f"new job {planned.name}: the run's inputs changed since {older.name}")
        )
    else:
        state.steps.append(Step("fine-tune", TODO, f"job {planned.name} ({planned.base.uri})"))
    if job is None:
        state.steps.append(Step("wait", TODO, "until the job completes"))
    elif job.status == "Completed":
        state.steps.append(Step("wait", DONE, "Completed"))
    elif job.failed:
        state.steps.append(Step("wait", FAILED, f"job ended {job.status}"))
    else:
        state.steps.append(Step("wait", RUNNING, job.status))


def _assess_endpoint(app: App, run: RunFile, state: RunState) -> None:
    planned = state.planned
    assert planned is not None
    mine = [e for e in app.endpoints.list() if e.tags.get(RUN_TAG) == run.name]
    state.endpoint = next((e for e in mine if e.tags.get("job") == planned.name), None)
    state.previous = [e for e in mine if e.tags.get("job") != planned.name]
    endpoint = state.endpoint
    if run.deploy is None:
        state.steps += [Step(name, SKIPPED, "no deploy in the run file") for name in STEPS[4:]]
        return
    retired = state.model_tags.get(deploy.RETIRED_TAG)
    if endpoint is None and retired:
        job = planned.name
        state.steps.append(Step("deploy", DONE, f"retired {retired}: its ttl passed and it was reaped "
                                f"(deploy it again with `foundry-ops deploy create --job {job}`)"))  # fmt: skip
        state.steps += [Step(name, SKIPPED, "the endpoint was retired") for name in STEPS[5:]]
        return
    replaces = (
        f"; replaces {', '.join(e.name for e in state.previous)} once smoke and gate pass"
        if state.previous
        else ""
    )
    if endpoint is None:
        state.steps.append(Step("deploy", TODO, f"an endpoint for the job's model{replaces}"))
    elif endpoint.failed:
        state.steps.append(Step("deploy", TODO, f"{endpoint.name} failed to provision; it is tried again"))
    elif not endpoint.provisioned:
        state.steps.append(
            Step("deploy", RUNNING, f"{endpoint.name} is {endpoint.provisioning_state}{replaces}")
        )
    else:
        state.steps.append(Step("deploy", DONE, f"{endpoint.name}{replaces}"))
    want = "Enabled" if run.deploy.content_safety else "Disabled"
    if endpoint is None:
        state.steps.append(Step("content safety", TODO, want))
    else:
        have = endpoint.content_safety or "Enabled"
        state.steps.append(
            Step(
                "content safety",
                DONE if have == want else CHANGED,
                want if have == want else f"{have} -> {want}",
            )
        )
    state.steps.append(
        _verdict_step("smoke", run.smoke and "smoke", state, SMOKE_TAG, run, f"{len(run.smoke)} prompt(s)")
    )
    gate = run.eval.gate if run.eval else None
    what = (
        f"{gate.metric} >= {gate.min:g} on {run.eval.data.name}"
        if run.eval and gate
        else "eval without a gate"
    )
    state.steps.append(_verdict_step("eval gate", run.eval and "eval", state, GATE_TAG, run, what))
    ttl = run.deploy.ttl
    if not ttl:
        state.steps.append(Step("expiry", SKIPPED, "no ttl in the run file"))
    elif endpoint is not None and endpoint.tags.get(deploy.EXPIRES_TAG):
        state.steps.append(Step("expiry", DONE, f"expires {endpoint.tags[deploy.EXPIRES_TAG]}"))
    else:
        state.steps.append(Step("expiry", TODO, f"ttl {ttl}"))


def recorded(state: RunState, tag: str) -> str:
    """A check's verdict: on the endpoint, or on the model version (it outlives a deleted endpoint)."""
    return (state.endpoint.tags.get(tag) if state.endpoint else None) or state.model_tags.get(tag) or ""


def _verdict_step(name: str, kind: Any, state: RunState, tag: str, run: RunFile, what: str) -> Step:
    if not kind:
        return Step(name, SKIPPED, f"no {'smoke' if name == 'smoke' else 'eval'} in the run file")
    verdict = recorded(state, tag)
    status, _, rest = verdict.partition(":")
    checks, _, detail = rest.partition(" ")
    if not verdict or checks != checks_digest(run, kind):
        return Step(name, TODO if not verdict else CHANGED, what)
    return Step(name, DONE if status == "passed" else FAILED, detail or what)


def _metrics(app: App, state: RunState) -> dict[str, Any]:
    found: dict[str, Any] = {}
    job = state.job
    if job is not None and job.status in ("Running", "Completed", "Failed", "Canceled"):
        try:
            curves = training.metrics(app, job.name)
        except ToolkitError:
            curves = None
        if curves is not None:
            for key, name in (("training_loss", curves.train_loss), ("validation_loss", curves.valid_loss)):
                point = curves.latest(name)
                if point is not None:
                    found[key] = {"metric": name, "step": point.step, "value": point.value}
    if recorded(state, GATE_TAG):
        found["gate"] = recorded(state, GATE_TAG)
    return found


# --- apply ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ApplyOptions:
    wait: bool = True
    timeout: float | None = None
    policy: PollPolicy = field(default_factory=lambda: DEFAULT_POLICY)
    outputs_dir: Path | None = None


def apply(app: App, run: RunFile, options: ApplyOptions) -> RunState:
    """Do what the plan says, in order (see module doc); returns the state after it."""
    with tempfile.TemporaryDirectory(prefix="foundry-run-") as tmp:
        state = assess(app, run, Path(tmp))
        if state.step("validate").state == FAILED:
            raise DataError(
                f"{run.source}: the run's data does not validate",
                details=tuple(state.step("validate").detail.split("; ")),
            )
        assert state.planned is not None
        info = state.planned.info
        for part in state.parts:
            if state.step("upload").state != DONE:
                from ops.flows.upload import register_file

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
        state.job = finetune.submit_planned(app, planned, tags={"run": run.name}).job
    job = state.job
    if not job.terminal:
        if not options.wait:
            app.report.progress(f"job {job.name} is {job.status}; apply again to continue once it completes")
            return _refresh(app, run)
        resume = f"foundry-ops run apply {run.source}"
        job = state.job = finetune.wait(
            app, job.name, timeout=options.timeout, policy=options.policy, resume=resume
        )
    if job.failed:
        raise JobFailedError(
            f"job {job.name} ended {job.status}: {finetune.job_error(app, job.name) or 'no message'}"
        )
    _find_model(app, state)
    _save_outputs(app, run, job, options)
    if run.deploy is None or (state.endpoint is None and state.model_tags.get(deploy.RETIRED_TAG)):
        return _refresh(app, run)
    for kind, tag, label in (("smoke", SMOKE_TAG, "smoke test"), ("eval", GATE_TAG, "eval gate")):
        declared = run.smoke if kind == "smoke" else run.eval
        verdict = recorded(state, tag) if declared else ""
        if state.endpoint is None and verdict.startswith(f"failed:{checks_digest(run, kind)}"):
            raise GateFailed(
                f"run {run.name}: the {label} of job {planned.name}'s model failed before "
                f"({verdict.split(' ', 1)[-1]}); it is not deployed again",
                hint="change the run file (data, hyperparameters or the checks) to try again",
            )
    endpoint = _deploy(app, run, state, options)
    _check(app, run, endpoint, state, options)
    for old in state.previous:
        app.report.progress(f"replacing {old.name}: the new endpoint {endpoint.name} passed its checks")
        deploy.delete_or_fail(app, [old.name], concurrency=1, policy=options.policy)
    return _refresh(app, run)


def _refresh(app: App, run: RunFile) -> RunState:
    with tempfile.TemporaryDirectory(prefix="foundry-run-") as tmp:
        return assess(app, run, Path(tmp))


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
        endpoint = deploy.create(app, request, options.policy).endpoint
    want = run.deploy.content_safety
    if (endpoint.content_safety or "Enabled") != ("Enabled" if want else "Disabled"):
        app.report.progress(
            f"setting content safety of {endpoint.name} to {'Enabled' if want else 'Disabled'} ..."
        )
        safety.set_status(app, endpoint.name, want, options.policy)
        endpoint = app.endpoints.get(endpoint.name)
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
