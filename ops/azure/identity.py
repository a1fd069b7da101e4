"""Credentials: DefaultAzureCredential (CLI login, managed identity, workload identity in CI)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ops.cloud import CloudSettings

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential


def build_credential(cloud: CloudSettings) -> TokenCredential:
    from azure.identity import DefaultAzureCredential

    kwargs: dict[str, object] = {"authority": cloud.authority_host}
    if cloud.ca_bundle:
        kwargs["connection_verify"] = cloud.ca_bundle
    return DefaultAzureCredential(exclude_interactive_browser_credential=True, **kwargs)
