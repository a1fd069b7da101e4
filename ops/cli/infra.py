"""`infra`: offline views of the Pulumi program.

`infra plan` runs infra/__main__.py under the Pulumi SDK's mock engine with a stack's config file and
prints what it would declare: a rendering of desired state, not a diff against the cloud. It needs no
credentials and no Pulumi CLI; pulumi is imported only when the command runs. This is the one place
ops imports infra (the import-direction test allows exactly this arrow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.errors import UsageError
from ops.app import App
from ops.cli.options import PathType, global_options, out, pass_app

if TYPE_CHECKING:
    from pathlib import Path


@click.group()
@global_options
def infra() -> None:
    """Offline views of the Pulumi program (plan under the mock engine)."""


@infra.command()
@click.option(
    "--stacks-dir",
    type=PathType(file_okay=False),
    default=None,
    help="Directory of Pulumi.<stack>.yaml files (default: the repository's stacks/).",
)
@global_options
@pass_app
def plan(app: App, stacks_dir: Path | None) -> None:
    """Render --stack's desired state offline: resource tree, key properties, dependencies, critical path.

    Runs the Pulumi program under the SDK's mock engine with stacks/Pulumi.<stack>.yaml; nothing is read
    from or sent to Azure, so it is not a diff against the cloud.

    \b
    Example:
      foundry-ops infra plan --stack dev -o json
    """
    if not app.stack:
        raise UsageError("which stack?", hint="pass --stack NAME (stacks/Pulumi.<NAME>.yaml)")
    from infra.plan import STACKS_DIR, PlanError, build_plan, render_text

    try:
        result = build_plan(app.stack, stacks_dir or STACKS_DIR)
    except PlanError as exc:
        raise UsageError(str(exc), details=exc.details) from None
    out(app).result(result.as_dict(), text=render_text(result))
