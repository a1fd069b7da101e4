"""Content safety on a serverless endpoint: read it, change it (a full PUT, followed to its end)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ops.azure.records import EndpointInfo
from ops.flows import found
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.app import App


@dataclass(frozen=True)
class SafetyState:
    name: str
    status: str  # Enabled | Disabled (an endpoint without the property is Enabled: the service default)
    provisioning_state: str | None

    @property
    def enabled(self) -> bool:
        return self.status.lower() == "enabled"


def state(endpoint: EndpointInfo) -> SafetyState:
    return SafetyState(endpoint.name, endpoint.content_safety, endpoint.provisioning_state)


def show(app: App, name: str) -> SafetyState:
    return state(found.endpoint(app, name))


def set_status(app: App, name: str, enabled: bool, policy: PollPolicy = DEFAULT_POLICY) -> SafetyState:
    """PUT the endpoint back with the new status and wait for the operation."""
    return state(set_endpoint(app, name, enabled, policy))


def set_endpoint(app: App, name: str, enabled: bool, policy: PollPolicy = DEFAULT_POLICY) -> EndpointInfo:
    """As set_status; the endpoint as the operation left it."""
    return app.endpoints.begin_set_content_safety(name, enabled, policy).result()
