"""Base models in an Azure ML registry (`azureml` holds the Phi models): versions, labels, tags.

The routes are the ones azure-ai-ml's registry client takes (azure/ai/ml/_utils/_registry_utils.py,
operations/_model_operations.py; recorded in tests/contract/fixtures/registry-and-metrics):
1. discovery: `GET {registry endpoint}registrymanagement/v1.0/registries/{registry}/discovery`
   -> primaryRegionResourceProviderUri, subscriptionId, resourceGroup;
2. models: `{primaryRegionResourceProviderUri}mferp/managementfrontend/subscriptions/{sub}/resourceGroups/
   {rg}/providers/Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions[/{v}]`
   at api-version 2021-10-01-dataplanepreview. The label `latest` has no route of its own: the newest
   version is listed with `$orderBy=createdtime desc&$top=1`, as the SDK does. A list item is the whole
   version resource, tags included (the SDK reads it into the same ModelVersionData a GET answers; see
   tests/contract/fixtures/registry-and-metrics/NOTES.md), so it is used as listed: the SDK's second GET
   of that version is not made.
Both take the ARM token.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING
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

    def _discovery(self, registry: str) -> str:
        """The registry's resource path on its data plane (absolute)."""
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
                self.transport.arm(), "GET", url, what=f"finding registry {registry}", ok=(200,)
            )
        )
        base = str(body.get("primaryRegionResourceProviderUri") or "")
        sub, rg = body.get("subscriptionId"), body.get("resourceGroup")
        if not base or not sub or not rg:
            raise NotFoundError(f"registry {registry} answered discovery without its location")
        return (
            f"{base.rstrip('/')}/mferp/managementfrontend/subscriptions/{sub}/resourceGroups/{rg}"
            f"/providers/Microsoft.MachineLearningServices/registries/{registry}"
        )

    def model(self, registry: str, name: str, version_or_label: str = LATEST) -> RegistryModel:
        """A pinned model version: a version as given, a label resolved as azure-ai-ml resolves it."""
        path = self._discover(registry)
        versions = f"{path}/models/{quote(name)}/versions"
        what = f"reading {name} in registry {registry}"
        if version_or_label == LATEST:
            url = f"{versions}?api-version={API_VERSION}&$orderBy=createdtime%20desc&$top=1"
            page = json_of(self.transport.send(self.transport.arm(), "GET", url, what=what, ok=(200,)))
            items = [i for i in page.get("value") or [] if isinstance(i, dict)]
            if not items:
                raise NotFoundError(f"model {name} does not exist in registry {registry}")
            return registry_model(registry, items[0])
        if not version_or_label[:1].isdigit():
            raise UsageError(
                f"--model-version {version_or_label!r}: give a version number or 'latest' "
                "(the registry resolves no other label)"
            )
        url = f"{versions}/{quote(version_or_label)}?api-version={API_VERSION}"
        return registry_model(
            registry, json_of(self.transport.send(self.transport.arm(), "GET", url, what=what, ok=(200,)))
        )
