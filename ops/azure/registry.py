"""Base models in an Azure ML registry (`azureml` holds the Phi models): versions, labels, tags.

The routes are the ones azure-ai-ml's registry client takes (azure/ai/ml/_utils/_registry_utils.py,
operations/_model_operations.py; recorded in tests/contract/fixtures/registry-and-metrics):
1. discovery: `GET {registry endpoint}registrymanagement/v1.0/registries/{registry}/discovery`
   -> primaryRegionResourceProviderUri, subscriptionId, resourceGroup;
2. models: `{primaryRegionResourceProviderUri}mferp/managementfrontend/subscriptions/{sub}/resourceGroups/
   {rg}/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions[/{v}]`
   at api-version 2021-10-01-dataplanepreview. The label `latest` has no route of its own: the newest
   version is listed with `$orderBy=createdtime desc&$top=1`, as the SDK does.
Both take the ARM token.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from core.errors import NotFoundError, UsageError
from ops.azure.arm import json_of
from ops.azure.records import RegistryModel, registry_model

if TYPE_CHECKING:
    from ops.azure.transport import Transport

API_VERSION = "2021-10-01-dataplanepreview"
DISCOVERY_API_VERSION = "v1.0"
LATEST = "latest"


class Registry:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._discover = cache(self._discovery)

    def _discovery(self, registry: str) -> tuple[Any, str]:
        endpoint = self.transport.cloud.registry_endpoint
        if not endpoint:
            raise UsageError(
                "this cloud names no registry discovery endpoint, so base models cannot be looked up",
                hint="set FOUNDRY_REGISTRY_ENDPOINT to the cloud's Azure ML regional API host "
                "(https://<region>.api.azureml.ms/ in the public cloud)",
            )
        url = f"{endpoint}registrymanagement/v1.0/registries/{registry}/discovery?api-version={DISCOVERY_API_VERSION}"
        body = json_of(
            self.transport.send(
                self.transport.bearer(endpoint), "GET", url, what=f"finding registry {registry}", ok=(200,)
            )
        )
        base = str(body.get("primaryRegionResourceProviderUri") or "")
        sub, rg = body.get("subscriptionId"), body.get("resourceGroup")
        if not base or not sub or not rg:
            raise NotFoundError(f"registry {registry} answered discovery without its location")
        root = f"{base.rstrip('/')}/mferp/managementfrontend"
        path = (
            f"{root}/subscriptions/{sub}/resourceGroups/{rg}"
            f"/providers/Microsoft.MachineLearningServices/registries/{registry}"
        )
        return self.transport.bearer(root), path

    def model(self, registry: str, name: str, version_or_label: str = LATEST) -> RegistryModel:
        """A pinned model version: a version as given, a label resolved as azure-ai-ml resolves it."""
        client, path = self._discover(registry)
        versions = f"{path}/models/{quote(name)}/versions"
        what = f"reading {name} in registry {registry}"
        if version_or_label == LATEST:
            url = f"{versions}?api-version={API_VERSION}&$orderBy=createdtime%20desc&$top=1"
            page = json_of(self.transport.send(client, "GET", url, what=what, ok=(200,)))
            items = [i for i in page.get("value") or [] if isinstance(i, dict)]
            if not items:
                raise NotFoundError(f"model {name} does not exist in registry {registry}")
            version = _version_of(items[0])
        elif version_or_label[:1].isdigit():
            version = version_or_label
        else:
            raise UsageError(
                f"--model-version {version_or_label!r}: give a version number or 'latest' "
                "(the registry resolves no other label)"
            )
        url = f"{versions}/{quote(version)}?api-version={API_VERSION}"
        return registry_model(
            registry, json_of(self.transport.send(client, "GET", url, what=what, ok=(200,)))
        )


def _version_of(item: dict[str, Any]) -> str:
    ident = str(item.get("id") or "")
    return ident.rstrip("/").rsplit("/", 1)[-1] if "/versions/" in ident else str(item.get("name") or "")
