"""`content-safety show | set`: Azure AI Content Safety on a serverless endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ops.app import App
from ops.cli.options import confirm, global_options, out, pass_app, poll_interval_option, yes_option

if TYPE_CHECKING:
    from ops.flows import safety as flow
    from ops.polling import PollPolicy


@click.group("content-safety", help="Show or set content safety on a serverless endpoint.")
@global_options
def content_safety() -> None:
    pass


def _view(state: flow.SafetyState) -> dict[str, object]:
    return {
        "name": state.name,
        "content_safety": state.status,
        "provisioning_state": state.provisioning_state,
    }


@content_safety.command("show")
@click.argument("name")
@global_options
@pass_app
def show(app: App, name: str) -> None:
    """Whether content filtering is on for endpoint NAME.

    \b
    Example:
      foundry-ops content-safety show support-bot
    """
    from ops.flows import safety as flow

    out(app).result(_view(flow.show(app, name)))


@content_safety.command("set")
@click.argument("name")
@click.option(
    "--enabled/--disabled", "enabled", default=None, help="Turn filtering on or off (one is needed)."
)
@yes_option
@poll_interval_option
@global_options
@pass_app
def set_(app: App, name: str, enabled: bool | None, policy: PollPolicy) -> None:
    """Turn content filtering on (--enabled) or off (--disabled; asks first unless --yes).

    \b
    Examples:
      foundry-ops content-safety set support-bot --enabled
      foundry-ops content-safety set support-bot --disabled --yes
    """
    from ops.flows import safety as flow

    if enabled is None:  # Click would name only --enabled, as if turning it on were the only choice
        raise click.UsageError("say which: --enabled (filtering on) or --disabled (off)")
    current = flow.show(app, name)
    if current.enabled == enabled:
        app.report.progress(f"content safety of {name} is already {current.status}")
        out(app).result(_view(current))
        return
    if not enabled:
        confirm(
            app, f"Turn content filtering OFF on endpoint {name}? Prompts and answers will not be filtered."
        )
    app.report.progress(f"setting content safety of {name} to {'Enabled' if enabled else 'Disabled'} ...")
    out(app).result(_view(flow.set_status(app, name, enabled, policy)))
