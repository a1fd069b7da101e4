"""Model registries as azure-ai-ml's registry client reads them (tests/contract/fixtures/registry-and-metrics/
NOTES.md section A; recordings/registry-*.json):

1. `GET /registrymanagement/v1.0/registries/{registry}/discovery?api-version=v1.0` (the registry
   discovery endpoint; here the emulator's base URL) -> where the registry lives:
   `primaryRegionResourceProviderUri` (the emulator's base URL + "/"), `subscriptionId`, `resourceGroup`.
2. `{primaryRegionResourceProviderUri}mferp/managementfrontend/subscriptions/{sub}/resourceGroups/{rg}/providers/
   Microsoft.MachineLearningServices/registries/{registry}/models/{name}/versions[/{version}]` at
   api-version 2021-10-01-dataplanepreview. `label="latest"` is a version list with
   `$orderBy=createdtime desc&$top=1` (newest CREATED first); a model without versions lists `[]`.

Bodies: id `azureml://registries/{registry}/models/{name}/versions/{v}`, type "models", and
`properties.tags`, `properties.properties`, `properties.flavors` always objects (azure-ai-ml 1.35.2
raises AttributeError on null flavors). Both calls take the ARM bearer token.

The `azureml` registry is seeded from catalog/models.py (read only): every model with 2 (Phi-3 family)
or 3 (Phi-4 family) versions, the newest created = the highest. Tags as the publishing specs write them
(registry-and-metrics/phi-3-mini-4k-instruct-spec.json): Phi-3 models carry FinetuneDeprecationDate
2025-06-30 / FinetuneRetirementDate 2025-08-30; Phi-4 models `maas-finetuning-deploy-regions`
(no public source shows that tag's value: the list here is the emulator's). Tests edit
`world.registry_models` (or call `world.add_registry_version`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import Context, page, require_api_version, require_token, user_error
from tests.emulator.state import RegistryModelVersion, iso, stable_guid

DATAPLANE_API_VERSIONS = frozenset({"2021-10-01-dataplanepreview"})
DISCOVERY_API_VERSIONS = frozenset({"v1.0"})
REGISTRY = "azureml"
PHI4_REGIONS = "eastus2,eastus,northcentralus,southcentralus,westus,westus3,swedencentral"
_MFE = (
    r"/mferp/managementfrontend/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/registries/(?P<reg>[^/]+)"
)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def registry_of(request: Request) -> str:
        name = request.params["reg"]
        known = {reg for reg, _ in world.registry_models} | {REGISTRY}
        match = next((r for r in known if r.lower() == name.lower()), None)
        if match is None:
            raise user_error(404, f"Registry {name} was not found.")  # unverified wording
        return match

    def discovery(request: Request) -> Response:
        require_token(ctx, request)
        require_api_version(request, DISCOVERY_API_VERSIONS)
        name = registry_of(request)
        sc = ctx.scenario
        return Response(
            200,
            {
                "registryId": stable_guid("registry", name.lower()),
                "registryName": name,
                "tenantId": sc.tenant_id,
                "primaryRegion": sc.registry_region,
                "regions": [sc.registry_region],
                "subscriptionId": sc.registry_subscription_id,
                "resourceGroup": sc.registry_resource_group,
                "workspaceName": None,
                "primaryRegionResourceProviderUri": ctx.base_url + "/",
                "registryFqdns": {sc.registry_region: {"uri": ctx.base_url}},
                "intellectualPropertyPublisher": None,
            },
            {"x-ms-response-type": "standard"},
        )

    def dataplane(request: Request) -> str:
        require_token(ctx, request)
        require_api_version(request, DATAPLANE_API_VERSIONS)
        sc = ctx.scenario
        if (
            request.params["sub"].lower() != sc.registry_subscription_id.lower()
            or request.params["rg"].lower() != sc.registry_resource_group.lower()
        ):
            raise user_error(404, f"Registry {request.params['reg']} was not found in that resource group.")
        return registry_of(request)

    def versions_of(registry: str, name: str) -> dict[str, RegistryModelVersion]:
        found = next(
            (v for (reg, model), v in world.registry_models.items() if reg == registry and model == name),
            None,
        )
        return found or {}

    def list_versions(request: Request) -> Response:
        registry = dataplane(request)
        name = request.params["name"]
        with world.lock:
            versions = versions_of(registry, name)
            names = list(versions)
            spec = (request.query.get("$orderBy") or "").strip().lower().split()
            if spec and spec[0] == "createdtime":
                names.sort(key=lambda v: versions[v].created, reverse=spec[-1] != "asc")
            else:
                names.sort(key=_version_key, reverse=True)
            view_type = (request.query.get("listViewType") or "ActiveOnly").lower()
            if view_type == "activeonly":
                names = [v for v in names if not versions[v].is_archived]
            top = request.query.get("$top")
            if top:
                names = names[: int(top)]
            items = [version_view(registry, name, v, versions[v]) for v in names]
        headers = {"x-ms-response-type": "standard"}
        return Response(200, page(ctx, request, items), headers)

    def get_version(request: Request) -> Response:
        registry = dataplane(request)
        name, version = request.params["name"], request.params["version"]
        with world.lock:
            model = versions_of(registry, name).get(version)
            if model is None:
                raise ApiError(
                    404,
                    "UserError",
                    "The specified resource was not found.",
                    rp=True,
                    details=[("ModelNotFound", f"Model {name}:{version} not found in registry {registry}.")],
                )
            return Response(
                200, version_view(registry, name, version, model), {"x-ms-response-type": "standard"}
            )

    def get_container(request: Request) -> Response:
        registry = dataplane(request)
        name = request.params["name"]
        with world.lock:
            versions = versions_of(registry, name)
            if not versions:
                raise ApiError(
                    404,
                    "UserError",
                    "The specified resource was not found.",
                    rp=True,
                    details=[("ModelNotFound", f"Model container with name: {name} not found.")],
                )
            latest = max(versions, key=lambda v: versions[v].created)
            numeric = [int(v) for v in versions if v.isdigit()]
            body = {
                "id": f"azureml://registries/{registry}/models/{name}",
                "name": name,
                "type": "models",
                "properties": {
                    "description": None,
                    "tags": {},
                    "properties": {},
                    "isArchived": False,
                    "latestVersion": latest,
                    "nextVersion": str(max(numeric, default=0) + 1),
                },
                "systemData": _system(min(m.created for m in versions.values())),
            }
        return Response(200, body, {"x-ms-response-type": "standard"})

    router.add("GET", r"/registrymanagement/v1\.0/registries/(?P<reg>[^/]+)/discovery", discovery)
    router.add("GET", _MFE + r"/models/(?P<name>[^/]+)", get_container)
    router.add("GET", _MFE + r"/models/(?P<name>[^/]+)/versions", list_versions)
    router.add("GET", _MFE + r"/models/(?P<name>[^/]+)/versions/(?P<version>[^/]+)", get_version)


def version_view(registry: str, name: str, version: str, model: RegistryModelVersion) -> dict[str, Any]:
    """Shaped after registry-and-metrics/registry-model-version-get.json."""
    return {
        "id": f"azureml://registries/{registry}/models/{name}/versions/{version}",
        "name": name,
        "type": "models",
        "properties": {
            "description": model.description,
            "tags": dict(model.tags),
            "properties": dict(model.properties),
            "isArchived": model.is_archived,
            "isAnonymous": False,
            "flavors": dict(model.flavors or {}),
            "modelType": model.model_type,
            "modelUri": f"azureml://registries/{registry}/models/{name}/versions/{version}/mlflow_model_folder",
            "originAssetId": None,
            "jobName": None,
            "intellectualProperty": None,
        },
        "systemData": _system(model.created),
    }


def _system(created: str) -> dict[str, Any]:
    return {
        "createdAt": created,
        "createdBy": "Microsoft",
        "createdByType": "User",
        "lastModifiedAt": created,
        "lastModifiedBy": "Microsoft",
        "lastModifiedByType": "User",
    }


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def seed_registry(ctx: Context) -> None:
    """The `azureml` registry's Phi models (catalog/models.py), newest created = highest version."""
    from catalog.models import CATALOG

    allow_list = (
        "['Standard_NC24ads_A100_v4', 'Standard_NC48ads_A100_v4', 'Standard_NC96ads_A100_v4', "
        "'Standard_ND96asr_v4', 'Standard_ND96amsr_A100_v4']"
    )
    start = dt.datetime(2025, 1, 6, 10, 0, tzinfo=dt.UTC)
    for index, info in enumerate(CATALOG.values()):
        phi3 = info.family == "phi-3"
        tags = {
            "task": "chat-completion",
            "author": "Microsoft",
            "license": "mit",
            "maas-inference": "true",
            "displayName": info.name,
            "textContextWindow": str(info.context_length),
            "finetune_compute_allow_list": allow_list,
        }
        if phi3:
            tags.update(
                {
                    "InferenceLegacyDate": "2025-06-09",
                    "InferenceDeprecationDate": "2025-06-30",
                    "InferenceRetirementDate": "2025-08-30",
                    "FinetuneDeprecationDate": "2025-06-30",
                    "FinetuneRetirementDate": "2025-08-30",
                }
            )
        else:
            tags["maas-finetuning-deploy-regions"] = PHI4_REGIONS
        properties = {
            "finetuning-tasks": "chat-completion",
            "finetune-min-sku-spec": "24|1|220|64",
            "finetune-recommended-sku": "Standard_NC24ads_A100_v4, Standard_NC48ads_A100_v4, "
            "Standard_NC96ads_A100_v4, Standard_ND96asr_v4, Standard_ND96amsr_A100_v4",
        }
        count = 2 if phi3 else 3
        for number in range(1, count + 1):
            created = start + dt.timedelta(days=30 * number, minutes=index)
            ctx.world.registry_models.setdefault((REGISTRY, info.name), {})[str(number)] = (
                RegistryModelVersion(
                    tags=dict(tags),
                    properties=dict(properties),
                    created=iso(created),
                    description=f"{info.name} (emulated registry model)",
                )
            )
