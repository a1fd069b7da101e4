"""Workspaces (hub and project): region, GUID, kind and discovery URL; the stack's project is read once
per process (`Workspaces.project`), any other read is a GET."""

from __future__ import annotations

from functools import cached_property

from ops.azure.arm import ArmAdapter
from ops.azure.records import WorkspaceInfo, workspace_info

API_VERSION = "2024-10-01"


class Workspaces(ArmAdapter):
    api_version = API_VERSION

    def get(self, name: str | None = None) -> WorkspaceInfo:
        ws = name or self.outputs.project_name
        return workspace_info(self.get_json(self.workspace_path(ws), f"reading workspace {ws}"))

    @cached_property
    def project(self) -> WorkspaceInfo:
        """The stack's project; fine-tuned model ids are built from its GUID (properties.workspaceId)."""
        info = self.get()
        if not info.workspace_id:
            from core.errors import AzureError

            raise AzureError(f"workspace {info.name} has no workspaceId in its ARM properties")
        return info

    def model_id(self, name: str, version: str) -> str:
        ws = self.project
        return (
            f"azureml://locations/{ws.location}/workspaces/{ws.workspace_id}/models/{name}/versions/{version}"
        )
