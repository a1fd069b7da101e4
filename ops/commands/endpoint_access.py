"""Where to send chat requests for an endpoint: its inference URI and key, both read through ARM."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ops.errors import UsageError

if TYPE_CHECKING:
    from ops.app import App


def endpoint_uri_and_key(app: App, name: str) -> tuple[str, str]:
    """GET the serverless endpoint (must be Succeeded) for inferenceEndpoint.uri; POST listKeys for a key."""
    endpoint = app.arm.get_serverless_endpoint(name)
    props = endpoint.get("properties") or {}
    state = str(props.get("provisioningState") or "Unknown")
    if state.lower() != "succeeded":
        raise UsageError(
            f"endpoint {name} is {state}, not ready for requests", hint=f"foundry-ops deploy show {name}"
        )
    uri = (props.get("inferenceEndpoint") or {}).get("uri")
    if not uri:
        raise UsageError(f"endpoint {name} has no inference URI yet")
    keys = app.arm.list_endpoint_keys(name)
    key = keys.get("primaryKey") or keys.get("secondaryKey")
    if not key:
        raise UsageError(f"endpoint {name} returned no keys (is it AAD-only?)")
    return str(uri), key
