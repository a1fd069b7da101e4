"""`content-safety show | set`: Azure AI Content Safety on a serverless endpoint.

azure-ai-ml's ServerlessEndpoint has no content-safety field, so this goes through ARM directly
(ops/azure/arm.py: GET the endpoint, PUT it back with properties.contentSafety). Turning filtering
off is a deliberate act: it asks for confirmation unless --yes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ops.azure.arm import content_safety_status
from ops.options import confirm, output_option, pass_app, stack_options, yes_option

if TYPE_CHECKING:
    from ops.app import App


@click.group("content-safety", help="Show or set content safety on a serverless endpoint.")
def content_safety() -> None:
    pass


@content_safety.command("show")
@click.argument("name")
@stack_options
@output_option
@pass_app
def show(app: App, name: str) -> None:
    """Whether content filtering is on for endpoint NAME.

    \b
    Example:
      foundry-ops content-safety show support-bot
    """
    app.output.result(_view(name, app.arm.get_serverless_endpoint(name)))


@content_safety.command("set")
@click.argument("name")
@click.option("--enabled/--disabled", "enabled", required=True, help="Turn filtering on or off.")
@yes_option
@stack_options
@output_option
@pass_app
def set_(app: App, name: str, enabled: bool) -> None:
    """Turn content filtering on (--enabled) or off (--disabled; asks first unless --yes).

    \b
    Examples:
      foundry-ops content-safety set support-bot --enabled
      foundry-ops content-safety set support-bot --disabled --yes
    """
    current = app.arm.get_serverless_endpoint(name)
    desired = "Enabled" if enabled else "Disabled"
    if content_safety_status(current) == desired:
        app.output.progress(f"content safety of {name} is already {desired}")
        app.output.result(_view(name, current))
        return
    if not enabled:
        confirm(
            app, f"Turn content filtering OFF on endpoint {name}? Prompts and answers will not be filtered."
        )
    app.output.progress(f"setting content safety of {name} to {desired} ...")
    app.output.result(_view(name, app.arm.set_content_safety(name, enabled)))


def _view(name: str, endpoint: dict[str, Any]) -> dict[str, Any]:
    props = endpoint.get("properties") or {}
    return {
        "name": name,
        "content_safety": content_safety_status(endpoint),
        "provisioning_state": props.get("provisioningState"),
    }
