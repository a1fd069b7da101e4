"""`run plan | apply | status FILE`: a fine-tuning run declared in a file, against the stack's outputs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ops.app import App
from ops.cli.options import (
    PathType,
    confirm,
    global_options,
    out,
    pass_app,
    poll_interval_option,
    wait_option,
    yes_option,
)

if TYPE_CHECKING:
    from pathlib import Path

    from ops.flows import run_state
    from ops.polling import PollPolicy
    from ops.runs.model import RunFile

STEP_COLUMNS = ("step", "state", "detail")
FILE = click.argument("file", type=PathType(dir_okay=False))


@click.group(help="Fine-tuning runs declared in files (runs/*.yaml): plan, apply, status.")
@global_options
def run() -> None:
    pass


def _load(app: App, file: Path) -> RunFile:
    from ops.runs.schema import load_run_file

    run_file = load_run_file(file)
    if file.suffix != ".yaml":  # ops.runs.matrix refuses it in runs/: say so before anyone relies on it
        app.report.warn(
            f"{file}: the GitOps workflows apply runs/*.yaml only; they will never pick this file up"
        )
    return run_file


def _assess(app: App, run_file: RunFile) -> run_state.RunState:
    """The run's state; a validation split, if any, lives in a temporary directory meanwhile."""
    from ops.flows import runs as flow

    with flow.assessed(app, run_file) as state:
        return state


def _render(app: App, state: run_state.RunState) -> None:
    rows = [{"step": s.name, "state": s.state, "detail": s.detail} for s in state.steps]
    out(app).result(state.to_dict(), rows=rows, columns=STEP_COLUMNS)


@run.command("plan")
@FILE
@global_options
@pass_app
def plan(app: App, file: Path) -> None:
    """Show each step of FILE's run as done, to do, changed, running or failed; changes nothing.

    State is read from Azure (names and tags), never from a local file. Exit 1 when the run's data does
    not validate, or its job or a check failed (applying it would fail), after the plan is shown.

    \b
    Example:
      foundry-ops --stack dev run plan runs/support-bot.yaml
    """
    from core.errors import DataError, ToolkitError
    from ops.flows import run_state

    run_file = _load(app, file)
    state = _assess(app, run_file)
    _render(app, state)
    invalid = next((s for s in state.steps if s.name == "validate" and s.state == run_state.FAILED), None)
    if invalid is not None:  # applying it would fail: the plan's check fails too (exit 1), after the plan
        raise DataError(
            f"run {run_file.name}: its data does not validate, so nothing can be applied: {invalid.detail}",
            hint="`foundry-ops data validate FILE` lists every problem with its line "
            "(`--for validation` for the validation file)",
        )
    failed = next((s for s in state.steps if s.state == run_state.FAILED), None)
    if failed is not None:  # a failed job or check: applying the run as it is fails the same way
        raise ToolkitError(
            f"run {run_file.name}: its {failed.name} step failed ({failed.detail}); `run apply` stops there too",
            hint="a new job or new checks come from a changed run file (model, data, hyperparameters or the "
            "checks); a check kept with onFailure: keep is run again by each apply",
        )
    app.report.progress(f"{state.changes} step(s) to apply" if state.changes else "nothing to apply")


@run.command("apply")
@FILE
@wait_option(True, "the job completes, then deploy, smoke-test and gate (fine-tuning takes hours)")
@click.option(
    "--timeout",
    type=click.FloatRange(0, min_open=True),
    help="Stop waiting for the job after this many seconds (exit 6).",
)
@click.option(
    "--outputs-dir",
    type=PathType(file_okay=False),
    help="Where to write loss.png, metrics.json, status.json (default: <run file dir>/<name>.outputs).",
)
@yes_option
@poll_interval_option
@global_options
@pass_app
def apply(
    app: App, file: Path, wait: bool, timeout: float | None, outputs_dir: Path | None, policy: PollPolicy
) -> None:
    """Apply FILE's run: upload, fine-tune, wait, deploy, content safety, smoke test, eval gate, expiry.

    Applied twice, the second run changes nothing; interrupted, the next apply resumes where Azure says
    it stopped. A changed run gets a new job, and its endpoint replaces the old one only after passing
    the smoke test and gate. Exit 1 when the smoke test or gate fails (the new endpoint is deleted unless
    the file says keep), 3 when the job fails, 6 on --timeout. Asks before changing anything unless --yes.

    \b
    Examples:
      foundry-ops --stack dev run apply runs/support-bot.yaml
      foundry-ops --outputs outputs.json run apply runs/support-bot.yaml --yes     # in a pipeline
    """
    from ops.flows import run_apply, run_state
    from ops.flows import runs as flow

    run_file = _load(app, file)
    with flow.assessed(app, run_file) as before:  # the plan shown is the plan applied (split parts too)
        if not before.changes and not any(s.state == run_state.FAILED for s in before.steps):
            app.report.progress(f"run {run_file.name} is up to date: nothing to apply")
            _render(app, before)
            return
        for step in before.steps:
            if step.state not in (run_state.DONE, run_state.SKIPPED):
                app.report.progress(f"  {step.name}: {step.state} ({step.detail})")
        confirm(app, f"Apply run {run_file.name} to project {app.outputs.project_name}?")
        where = outputs_dir or run_file.source.parent / f"{run_file.name}.outputs"
        options = run_apply.ApplyOptions(wait=wait, timeout=timeout, policy=policy, outputs_dir=where)
        state = run_apply.apply(app, run_file, options, before)
    run_apply.write_status(state, where)
    _render(app, state)


@run.command("status")
@FILE
@global_options
@pass_app
def status(app: App, file: Path) -> None:
    """FILE's run as it stands: every step, the job, the endpoint, the latest losses and gate result.

    \b
    Example:
      foundry-ops --stack dev run status runs/support-bot.yaml -o json
    """
    run_file = _load(app, file)
    state = _assess(app, run_file)
    _render(app, state)
