"""Run history of the project's jobs: a failed job's error (training metrics come from MLflow: tracking.py).

The workspace's `discoveryUrl` names the regional services; run history answers under
`/history/v1.0/<workspace path>/runs/<job>` with the same ARM token (what azure-ai-ml's run-history
client does for `jobs.get` of a failed job).
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from core.errors import ToolkitError
from ops.azure.arm import ArmAdapter, json_of
from ops.azure.errors import one_line

if TYPE_CHECKING:
    from ops.azure.transport import Transport
    from ops.azure.workspaces import Workspaces
    from ops.outputs import StackOutputs


class RunHistory(ArmAdapter):
    def __init__(self, transport: Transport, outputs: StackOutputs, workspaces: Workspaces) -> None:
        super().__init__(transport, outputs)
        self.workspaces = workspaces

    @cached_property
    def services(self) -> dict[str, str]:
        """The workspace's discovery document: {"api": url, "history": url, ...}."""
        url = self.workspaces.project.discovery_url
        if not url:
            return {}
        response = self.transport.send(self.transport.arm(), "GET", url, what="reading workspace discovery")
        return {str(k): str(v) for k, v in json_of(response).items() if isinstance(v, str)}

    def _client(self) -> tuple[Any, str]:
        # azure-ai-ml reaches run history at the document's "api" URL (JobOperations._api_url); "history"
        # is read when a document has no "api"
        base = (self.services.get("api") or self.services.get("history") or "").rstrip("/")
        if not base:
            raise ToolkitError("the workspace names no run-history service")
        return self.transport.arm(), f"{base}/history/v1.0{self.outputs.project_id}"

    def run_error(self, job: str) -> str | None:
        """`<code>: <message>` of a failed run, as run details carry it; None when there is none."""
        client, base = self._client()
        response = self.transport.send(
            client, "GET", f"{base}/runs/{job}/details", what=f"reading run {job}", ok=(200,)
        )
        error = (json_of(response).get("error") or {}).get("error") or {}
        message = error.get("message")
        if not message:
            return None
        code = error.get("code")
        return one_line(f"{code}: {message}" if code else message)
