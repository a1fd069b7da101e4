"""Serverless endpoints of the project at ONE api-version: create, read, delete, keys, content safety, tags.

2024-10-01 is GA and carries `properties.contentSafety` (present from 2024-04-01), so content safety is
set in the same PUT that creates an endpoint: there is no moment in which a new endpoint runs
unfiltered. The request and response shapes are those of Microsoft's published REST examples
(Azure/azure-rest-api-specs, ServerlessEndpoint/*.json; tests/contract/fixtures/rest-examples).
Long-running PUT, PATCH and DELETE are followed by ARMPolling on the shared polling policy
(transport.py). ARMPolling ends a PUT or PATCH with the endpoint itself (its final GET of the resource,
or the answer when there was nothing to poll): that answer is the result, with no read after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import AzureError, NotFoundError
from ops.azure.arm import ArmAdapter, json_of
from ops.azure.records import TOOL_TAG, EndpointInfo, endpoint_info
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.azure.transport import Operation

API_VERSION = "2024-10-01"


class Endpoints(ArmAdapter):
    api_version = API_VERSION

    def _path(self, name: str = "") -> str:
        return f"{self.workspace_path()}/serverlessEndpoints" + (f"/{name}" if name else "")

    def get(self, name: str) -> EndpointInfo:
        return endpoint_info(self.get_raw(name))

    def get_raw(self, name: str) -> dict[str, Any]:
        return self.get_json(self._path(name), f"reading endpoint {name}")

    def find(self, name: str) -> EndpointInfo | None:
        try:
            return self.get(name)
        except NotFoundError:
            return None

    def list(self) -> list[EndpointInfo]:
        return [endpoint_info(e) for e in self.list_json(self._path(), "listing endpoints")]

    def begin_create(
        self,
        name: str,
        model_id: str,
        *,
        location: str,
        content_safety: bool,
        tags: dict[str, str],
        policy: PollPolicy,
    ) -> EndpointOperation:
        """PUT the endpoint (idempotent) and return the operation of its provisioning."""
        body = endpoint_body(model_id, location=location, content_safety=content_safety, tags=tags)
        return EndpointOperation(
            self, name,
            self.transport.begin(
                self.client, "PUT", self.url(self._path(name)), policy,
                what=f"creating endpoint {name}", json=body, ok=(200, 201),
            ),
        )  # fmt: skip

    def begin_delete(self, name: str, policy: PollPolicy) -> Any | None:
        """DELETE the endpoint and return the poller of the deletion; None when it did not exist."""
        try:
            return self.transport.begin(
                self.client, "DELETE", self.url(self._path(name)), policy,
                what=f"deleting endpoint {name}",
                failure=AzureError, ok=(200, 202, 204),
            )  # fmt: skip
        except NotFoundError:
            return None

    def keys(self, name: str) -> dict[str, str]:
        """Primary and secondary key (listKeys is a POST that only reads: safe to retry)."""
        response = self.transport.send(
            self.client, "POST", self.url(self._path(name) + "/listKeys"),
            what=f"reading keys of endpoint {name}", ok=(200,), safe_post=True,
        )  # fmt: skip
        body = json_of(response)
        return {
            "primary": str(body.get("primaryKey") or ""),
            "secondary": str(body.get("secondaryKey") or ""),
        }

    def begin_set_content_safety(self, name: str, enabled: bool, policy: PollPolicy) -> EndpointOperation:
        """PUT the endpoint back with contentSafety changed (its PATCH model carries only sku, identity
        and tags); read-only properties are left out of the body. The PUT replaces the whole endpoint,
        tags included, so its body is built from a read made just before it, not from an older one."""
        current = self.get_raw(name)
        body = resubmission(current, content_safety=enabled)
        state = "Enabled" if enabled else "Disabled"
        return EndpointOperation(
            self, name,
            self.transport.begin(
                self.client, "PUT", self.url(self._path(name)), policy,
                what=f"setting content safety of {name} to {state}", json=body, ok=(200, 201),
            ),
        )  # fmt: skip

    def set_tags(self, name: str, tags: dict[str, str], policy: PollPolicy = DEFAULT_POLICY) -> EndpointInfo:
        """Replace the endpoint's tags (PATCH: tags are part of the endpoint's update model). The spec
        lets the service answer 202 and finish later: the operation is followed to the endpoint."""
        return EndpointOperation(
            self, name,
            self.transport.begin(
                self.client, "PATCH", self.url(self._path(name)), policy,
                what=f"tagging endpoint {name}", json={"tags": tags}, ok=(200, 202),
            ),
        ).result()  # fmt: skip

    def _answered(self, name: str, response: Any) -> EndpointInfo:
        """The endpoint an answer carries; read only when the answer has no body."""
        body = json_of(response) if response is not None else {}
        return endpoint_info(body) if body.get("name") else self.get(name)


class EndpointOperation:
    """A PUT or PATCH of an endpoint: `started` is the endpoint as the first answer shows it (provisioning),
    `result()` follows the operation and is the endpoint as it ended; the operation's failures leave as
    transport.Operation raises them."""

    def __init__(self, endpoints: Endpoints, name: str, operation: Operation) -> None:
        self.endpoints = endpoints
        self.name = name
        self.operation = operation

    @property
    def started(self) -> EndpointInfo:
        return self.endpoints._answered(self.name, self.operation.first.http_response)

    def result(self) -> EndpointInfo:
        return self.endpoints._answered(self.name, self.operation.result())


def endpoint_body(
    model_id: str, *, location: str, content_safety: bool, tags: dict[str, str]
) -> dict[str, Any]:
    return {
        "location": location,
        "sku": {"name": "Consumption"},
        "tags": {**tags, TOOL_TAG: "1"},
        "properties": {
            "authMode": "Key",
            "modelSettings": {"modelId": model_id},
            "contentSafety": {"contentSafetyStatus": "Enabled" if content_safety else "Disabled"},
        },
    }


def resubmission(current: dict[str, Any], *, content_safety: bool) -> dict[str, Any]:
    props = current.get("properties") or {}
    body: dict[str, Any] = {
        "location": current.get("location"),
        "sku": current.get("sku") or {"name": "Consumption"},
        "properties": {
            "authMode": props.get("authMode") or "Key",
            "modelSettings": props.get("modelSettings"),
            "contentSafety": {"contentSafetyStatus": "Enabled" if content_safety else "Disabled"},
        },
    }
    for optional in ("tags", "identity", "kind"):
        if current.get(optional):
            body[optional] = current[optional]
    return body
