"""`infra`: offline views of the Pulumi program.

`infra plan` runs infra/__main__.py under the Pulumi SDK's mock engine with a stack's config file
and prints what it would declare: a rendering of desired state, not a diff against the cloud. It
needs no credentials and no Pulumi CLI; pulumi is imported only when the command runs.
"""

from __future__ import annotations

from pathlib import Path

import click

from ops.app import App
from ops.errors import UsageError
from ops.options import output_option, pass_app


@click.group()
def infra() -> None:
    """Offline views of the Pulumi program (plan under the mock engine)."""


@infra.command()
@click.option(
    "--stack",
    "stack_name",
    envvar="FOUNDRY_STACK",
    help="Stack whose config to render: stacks/Pulumi.<stack>.yaml (or the root --stack). Env: FOUNDRY_STACK.",
)
@click.option(
    "--stacks-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Directory of Pulumi.<stack>.yaml files (default: the repository's stacks/).",
)
@output_option
@pass_app
def plan(app: App, stack_name: str | None, stacks_dir: Path | None) -> None:
    """Render a stack's desired state offline: resource tree, key properties, dependencies, critical path.

    Runs the Pulumi program under the SDK's mock engine; nothing is read from or sent to Azure, so it is
    not a diff against the cloud. Example: foundry-ops infra plan --stack dev --output json
    """
    stack = stack_name or app.stack
    if not stack:
        raise UsageError("which stack?", hint="pass --stack NAME (stacks/Pulumi.<NAME>.yaml)")
    from infra.plan import STACKS_DIR, PlanError, build_plan, render_text

    try:
        result = build_plan(stack, stacks_dir or STACKS_DIR)
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    app.output.result(result.as_dict(), text=render_text(result))
