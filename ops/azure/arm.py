"""What every ARM adapter shares: the stack's resource paths and paging through `nextLink`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from core.errors import AzureError

if TYPE_CHECKING:
    from ops.azure.transport import Transport
    from ops.outputs import StackOutputs

ML = "Microsoft.MachineLearningServices"


class ArmAdapter:
    """Base of the adapters that talk to ARM for the stack's resource group."""

    api_version: str = ""

    def __init__(self, transport: Transport, outputs: StackOutputs) -> None:
        self.transport = transport
        self.outputs = outputs

    @property
    def client(self) -> Any:
        return self.transport.arm()

    def workspace_path(self, name: str | None = None) -> str:
        """The project's ARM id as the stack reports it, or another workspace's (the hub) by name."""
        if name is None:
            return self.outputs.project_id
        return f"{self.outputs.resource_group_id}/providers/{ML}/workspaces/{name}"

    def url(self, path: str, api_version: str | None = None, **query: str) -> str:
        params = [f"api-version={api_version or self.api_version}"]
        params += [f"{k}={v}" for k, v in query.items()]
        sep = "&" if "?" in path else "?"
        return f"{path}{sep}{'&'.join(params)}"

    def get_json(self, path: str, what: str, api_version: str | None = None, **query: str) -> dict[str, Any]:
        url = self.url(path, api_version, **query)
        return json_of(self.transport.send(self.client, "GET", url, what=what, ok=(200,)))

    def list_json(
        self, path: str, what: str, api_version: str | None = None, **query: str
    ) -> Iterator[dict[str, Any]]:
        """Every item of an ARM list, following nextLink."""
        url: str | None = self.url(path, api_version, **query)
        while url:
            page = json_of(self.transport.send(self.client, "GET", url, what=what, ok=(200,)))
            yield from (item for item in page.get("value") or [] if isinstance(item, dict))
            url = page.get("nextLink") or None


def json_of(response: Any) -> dict[str, Any]:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        raise AzureError(f"Azure answered {response.status_code} with a body that is not JSON") from None
    return body if isinstance(body, dict) else {}
