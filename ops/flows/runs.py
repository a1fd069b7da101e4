"""Fine-tuning runs declared in files: the state of a run, step by step (plan and status show it;
ops/flows/run_apply.py changes it).

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

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ToolkitError, UsageError
from ops.flows import deploy, finetune, training
from ops.flows.hyperparameters import Hyperparameters
from ops.flows.naming import data_version, file_sha256
from ops.flows.run_state import (
    BLOCKED,
    CHANGED,
    DONE,
    FAILED,
    GATE_TAG,
    RUN_TAG,
    RUNNING,
    SKIPPED,
    SMOKE_TAG,
    STEPS,
    TODO,
    DataPart,
    RunState,
    Step,
    checks_digest,
    failed_check,
    recorded,
)

if TYPE_CHECKING:
    from ops.app import App
    from ops.runs.model import RunFile


# --- assess: read-only --------------------------------------------------------------------------------
@contextlib.contextmanager
def assessed(app: App, run: RunFile) -> Iterator[RunState]:
    """`assess` with the split parts in a temporary directory that lives as long as the block: long
    enough for `apply` to upload them."""
    with tempfile.TemporaryDirectory(prefix="foundry-run-") as tmp:
        yield assess(app, run, Path(tmp))


def _check_stack(app: App, run: RunFile) -> None:
    """A run that names its stacks runs on those only: the stack is --stack/FOUNDRY_STACK, or else the one
    the outputs name (so a prod run is not applied to dev because dev's outputs file was at hand)."""
    if run.stacks is None:
        return
    listed = ", ".join(run.stacks) or "none"
    current = app.stack or app.outputs.stack
    if current is None:
        raise UsageError(
            f"run {run.name} is for stack(s) {listed}, and the stack outputs do not say which stack they are",
            hint="pass --stack NAME (or FOUNDRY_STACK), or `pulumi up` the stack with this version, whose "
            "outputs name it, and save them again",
        )
    if current not in run.stacks:
        raise UsageError(
            f"run {run.name} is not for stack {current} (its stacks: {listed}); nothing was done",
            hint=f"add {current} to `stacks:` in {run.source.name}, or give the outputs of one of its stacks",
        )


def assess(app: App, run: RunFile, workdir: Path) -> RunState:
    """Every step's state, from the files and the cloud; changes nothing. `workdir` holds split parts."""
    _check_stack(app, run)
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
    find_model(app, state)
    _assess_endpoint(app, run, state)
    if state.job is not None:
        state.metrics = _metrics(app, state)
    return state


def find_model(app: App, state: RunState) -> None:
    """The model version a completed job registered, with its tags (verdicts and retirement live there)."""
    job = state.job
    if job is None or job.status != "Completed":
        return
    model = app.assets.job_model(job)
    if model is not None:
        state.model = (model.name, model.version)
        state.model_tags = model.tags


def _hyperparameters(run: RunFile) -> Hyperparameters:
    h = run.hyperparameters
    hyper = Hyperparameters(epochs=h.epochs, learning_rate=h.learning_rate, batch_size=h.batch_size)
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
        report = validate_file(path, run.model, validation=validation)
        blocking = report.error_counts
        if blocking:
            first = next((i for i in report.errors if i.category in blocking), None)
            where = ""
            if first is not None and first.line:
                where = f" (first at line {first.line}: {first.message})"
            elif first is not None:  # a rule about the whole file, e.g. too few examples: say its numbers
                split = f" after the {data.validation_fraction} split" if data.validation_fraction else ""
                where = f" ({first.message}{split})"
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
    failed = failed_check(run, state) if endpoint is None else None
    blocked = failed is not None  # `run apply` refuses to deploy it again (GateFailed)
    if failed is not None:
        serving = f"; {', '.join(e.name for e in state.previous)} keeps serving" if state.previous else ""
        state.steps.append(Step("deploy", BLOCKED, f"its {failed.label} failed before: not deployed again until the "
                                f"run file changes the job or the checks{serving}"))  # fmt: skip
    elif endpoint is None:
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
        state.steps.append(Step("content safety", BLOCKED if blocked else TODO, want))
    else:
        have = endpoint.content_safety
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
    if blocked:  # nothing after the deploy runs: only the failed check keeps its verdict
        for step in state.steps[-2:]:
            if step.state not in (FAILED, SKIPPED):
                step.state = BLOCKED
    ttl = run.deploy.ttl
    if blocked:
        state.steps.append(Step("expiry", BLOCKED, f"ttl {ttl}" if ttl else "no ttl in the run file"))
    elif not ttl:
        state.steps.append(Step("expiry", SKIPPED, "no ttl in the run file"))
    elif endpoint is not None and endpoint.tags.get(deploy.EXPIRES_TAG):
        state.steps.append(Step("expiry", DONE, f"expires {endpoint.tags[deploy.EXPIRES_TAG]}"))
    else:
        state.steps.append(Step("expiry", TODO, f"ttl {ttl}"))


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
