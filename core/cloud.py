"""Which Azure cloud to talk to: public, sovereign, or a custom one given by endpoints.

A custom cloud is ordinary configuration (ARM endpoint, authority host, CA bundle); it is how the
toolkit reaches a sovereign cloud, a private-link proxy, or the local emulation used by `make demo`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import UsageError


@dataclass(frozen=True)
class CloudSettings:
    name: str
    arm_endpoint: str
    authority_host: str
    ca_bundle: str | None = None
    # Blob service URL of the workspace storage when it is reached through a private endpoint or proxy
    # (path-style, e.g. https://10.0.0.5/<account>); None means https://<account>.blob.<storage suffix>.
    blob_endpoint: str | None = None
    # Where registries (azureml, with the Phi base models) are discovered: azure-ai-ml's
    # `registry_discovery_endpoint` for the cloud (azure/ai/ml/_azure_environments.py). A custom cloud
    # has none unless FOUNDRY_REGISTRY_ENDPOINT names it: ARM's cloud metadata carries no such field.
    registry_endpoint: str | None = None

    @property
    def arm_scope(self) -> str:
        return self.arm_endpoint.rstrip("/") + "/.default"

    @property
    def verify(self) -> str | bool:
        """What to pass as `connection_verify`: the CA bundle when one is configured."""
        return self.ca_bundle or True


KNOWN_CLOUDS: dict[str, CloudSettings] = {
    "AzureCloud": CloudSettings(
        "AzureCloud",
        "https://management.azure.com/",
        "https://login.microsoftonline.com",
        registry_endpoint="https://eastus.api.azureml.ms/",
    ),
    "AzureChinaCloud": CloudSettings(
        "AzureChinaCloud",
        "https://management.chinacloudapi.cn/",
        "https://login.chinacloudapi.cn",
        registry_endpoint="https://chinaeast2.api.ml.azure.cn/",
    ),
    "AzureUSGovernment": CloudSettings(
        "AzureUSGovernment",
        "https://management.usgovcloudapi.net/",
        "https://login.microsoftonline.us",
        registry_endpoint="https://usgovarizona.api.ml.azure.us/",
    ),
}
CUSTOM = "custom"
ENV_CLOUD = "FOUNDRY_CLOUD"
ENV_ARM = "FOUNDRY_ARM_ENDPOINT"
ENV_AUTHORITY = "FOUNDRY_AUTHORITY_HOST"
ENV_CA_BUNDLE = "FOUNDRY_CA_BUNDLE"
ENV_BLOB_ENDPOINT = "FOUNDRY_BLOB_ENDPOINT"
ENV_REGISTRY_ENDPOINT = "FOUNDRY_REGISTRY_ENDPOINT"


def resolve_cloud(name: str | None, env: Mapping[str, str] | None = None) -> CloudSettings:
    """Cloud from `--cloud` (or FOUNDRY_CLOUD); endpoints and CA bundle may be overridden by environment."""
    env = os.environ if env is None else env
    chosen = name or env.get(ENV_CLOUD) or ("custom" if env.get(ENV_ARM) else "AzureCloud")
    ca_bundle = env.get(ENV_CA_BUNDLE) or None
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise UsageError(f"{ENV_CA_BUNDLE} points to {ca_bundle!r}, which is not a file")
    blob = env.get(ENV_BLOB_ENDPOINT) or None
    if blob:
        _require_https(blob, ENV_BLOB_ENDPOINT)
        blob = blob.rstrip("/")
    registry = env.get(ENV_REGISTRY_ENDPOINT) or None
    if registry:
        _require_https(registry, ENV_REGISTRY_ENDPOINT)
        registry = registry.rstrip("/") + "/"
    if chosen == CUSTOM:
        arm = env.get(ENV_ARM)
        authority = env.get(ENV_AUTHORITY)
        if not arm or not authority:
            raise UsageError(f"--cloud custom needs {ENV_ARM} and {ENV_AUTHORITY} set")
        _require_https(arm, ENV_ARM)
        _require_https(authority, ENV_AUTHORITY)
        return CloudSettings(CUSTOM, arm.rstrip("/") + "/", authority.rstrip("/"), ca_bundle, blob, registry)
    if chosen not in KNOWN_CLOUDS:
        raise UsageError(f"unknown cloud {chosen!r}; choose one of: {', '.join([*KNOWN_CLOUDS, CUSTOM])}")
    base = KNOWN_CLOUDS[chosen]
    return CloudSettings(
        base.name,
        (env.get(ENV_ARM) or base.arm_endpoint).rstrip("/") + "/",
        (env.get(ENV_AUTHORITY) or base.authority_host).rstrip("/"),
        ca_bundle,
        blob,
        registry or base.registry_endpoint,
    )


def _require_https(url: str, var: str) -> None:
    if not url.startswith("https://"):
        raise UsageError(f"{var} must be an https:// URL, got {url!r}")
