"""`teardown`: delete what the workflow created, in the order the service allows, resumably."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.errors import ToolkitError, UsageError
from ops.app import App
from ops.cli.options import (
    concurrency_option,
    confirm,
    global_options,
    out,
    pass_app,
    poll_interval_option,
    yes_option,
)

if TYPE_CHECKING:
    from ops.polling import PollPolicy


@click.command("teardown")
@click.option(
    "--delete-models", is_flag=True, help="Also delete the fine-tuned models (for real, not archive)."
)
@click.option(
    "--delete-data",
    is_flag=True,
    help="Also delete the data assets this tool registered, and their files (not those a job that has not "
    "ended uses).",
)
@click.option("--destroy-stack", is_flag=True, help="Finally run `pulumi destroy` on --stack.")
@concurrency_option("deletions")
@poll_interval_option
@yes_option
@global_options
@pass_app
def teardown(
    app: App,
    delete_models: bool,
    delete_data: bool,
    destroy_stack: bool,
    concurrency: int,
    policy: PollPolicy,
) -> None:
    """Delete deployments, then (optionally) fine-tuned models, data assets and the stack.

    Shows the plan (where it deletes, what it keeps) and asks first (or --yes). The plan is read from
    Azure on every run: after a failure, the same command finishes the job. Deletions of one kind run
    concurrently (--concurrency); a kind starts only once the one before it is finished.

    \b
    Examples:
      foundry-ops --stack dev teardown                        # endpoints only
      foundry-ops --stack dev teardown --delete-models --delete-data --destroy-stack --yes
    """
    from ops.flows import teardown as flow

    if destroy_stack and not app.stack:
        raise UsageError("--destroy-stack needs --stack NAME (the Pulumi stack to destroy)")
    if destroy_stack:
        from ops.pulumi_cli import executable

        executable()
    options = flow.Options(
        delete_models=delete_models,
        delete_data=delete_data,
        destroy_stack=app.stack if destroy_stack else None,
        concurrency=concurrency,
        policy=policy,
    )
    plan = flow.build_plan(app, options)
    for note in plan.notes:
        app.report.warn(note)
    scope = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in plan.scope.items())
    if not plan.steps:
        app.report.progress(f"nothing to tear down in {scope}")
        out(app).result(
            {"scope": plan.scope, "steps": [], "kept": plan.kept, "done": True},
            rows=[],
            columns=("step", "result"),
        )
        return
    app.report.progress(f"teardown plan for {scope}:")
    for i, step in enumerate(plan.steps, 1):
        app.report.progress(f"  {i}. {step.label()}")
    for kept in plan.kept:
        app.report.progress(f"  kept: {kept}")
    confirm(app, f"Proceed with these {len(plan.steps)} step(s) in {plan.scope['project']}?")
    try:
        results = flow.run(app, plan, options)
    except ToolkitError as exc:
        resume = "run the same teardown command again to resume (the plan is read again from Azure)"
        exc.hint = f"{exc.hint}; then {resume}" if exc.hint else resume
        raise
    out(app).result(
        {"scope": plan.scope, "steps": results, "kept": plan.kept, "done": True},
        rows=results,
        columns=("step", "result"),
    )
