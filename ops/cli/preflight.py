"""`preflight`: is the stack ready to fine-tune and deploy this model? One row per check, with a fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from catalog import DEFAULT_MODEL, MODES
from core.errors import EXIT_FAILURE
from ops.app import App
from ops.cli.options import global_options, model_option, out, pass_app, poll_interval_option

if TYPE_CHECKING:
    from ops.polling import PollPolicy


@click.command(short_help="Check that the stack is ready for fine-tuning, with how to fix each problem.")
@model_option(default=DEFAULT_MODEL)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default=None,
    help="Fine-tuning mode (default: serverless where the model offers it, else managed-compute).",
)
@click.option("--fix", is_flag=True, help="Register missing resource providers (needs */register/action).")
@poll_interval_option
@global_options
@pass_app
def preflight(app: App, model: str, mode: str | None, fix: bool, policy: PollPolicy) -> None:
    """Check outputs, model and region, credentials, workspace, providers and permissions.

    Exits 1 when any check fails; each failed row says how to fix it.

    \b
    Examples:
      foundry-ops preflight --outputs outputs.json
      foundry-ops preflight --stack dev -m Phi-4 --fix
      foundry-ops preflight -m Phi-3.5-mini-instruct --mode managed-compute -o json
    """
    from dataclasses import asdict

    from ops.flows import preflight as flow
    from ops.flows.finetune import catalog_model

    info = catalog_model(model)
    checks = flow.run_checks(app, info, mode, fix=fix, policy=policy)
    ok = not any(c.failed for c in checks)
    data = {"ok": ok, "model": info.name, "checks": [asdict(c) for c in checks]}
    rows = [
        {"check": c.name, "status": c.status.upper(), "detail": c.detail, "fix": c.fix or "-"} for c in checks
    ]
    out(app).result(data, rows=rows, columns=["check", "status", "detail", "fix"])
    if not ok:
        click.get_current_context().exit(EXIT_FAILURE)
