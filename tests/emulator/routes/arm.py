"""ARM basics: cloud metadata, resource providers, effective permissions, workspaces, async operations."""

from __future__ import annotations

import fnmatch
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import (
    AUTHORIZATION_API_VERSIONS,
    RESOURCES_API_VERSIONS,
    RG,
    SUB,
    WS,
    Context,
    arm_call,
    page,
    require_token,
    workspace,
)
from tests.emulator.state import Operation, now_iso, poll_headers, stable_guid


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def metadata(request: Request) -> Response:
        """What azure-ai-ml reads from ARM_CLOUD_METADATA_URL (and `az cloud register --endpoint-*`)."""
        return Response(200, [cloud_metadata(ctx)])

    def provider_view(entry: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{ctx.scenario.subscription_id}/providers/{entry['namespace']}",
            "namespace": entry["namespace"],
            "registrationState": entry["state"],
            "registrationPolicy": "RegistrationRequired",
            "resourceTypes": [
                {
                    "resourceType": resource_type,
                    "locations": [_display_region(ctx.scenario.location)],
                    "apiVersions": ["2025-12-01", "2024-10-01", "2024-04-01"],
                    "capabilities": "SupportsTags, SupportsLocation",
                }
                for resource_type in _RESOURCE_TYPES.get(entry["namespace"].lower(), ())
            ],
        }

    def provider_entry(request: Request) -> dict[str, Any]:
        entry = world.providers.get(request.params["ns"].lower())
        if entry is None:
            raise ApiError(
                404,
                "InvalidResourceNamespace",
                f"The resource namespace '{request.params['ns']}' is invalid.",
            )
        return entry

    def get_provider(request: Request) -> Response:
        arm_call(ctx, request, RESOURCES_API_VERSIONS)
        with world.lock:
            entry = provider_entry(request)
            if entry["state"] == "Registering":
                entry["polls"] -= 1
                if entry["polls"] < 0:
                    entry["state"] = "Registered"
            return Response(200, provider_view(entry))

    def register_provider(request: Request) -> Response:
        arm_call(ctx, request, RESOURCES_API_VERSIONS)
        claims = require_token(ctx, request)
        if not _allowed(
            world.settings.permissions_actions,
            world.settings.permissions_not_actions,
            f"{request.params['ns']}/register/action",
        ):
            raise ApiError(
                403,
                "AuthorizationFailed",
                f"The client '{claims['oid']}' with object id '{claims['oid']}' does not have "
                f"authorization to perform action '{request.params['ns']}/register/action' over "
                f"scope '/subscriptions/{ctx.scenario.subscription_id}' or the scope is invalid.",
            )
        with world.lock:
            entry = provider_entry(request)
            if entry["state"] != "Registered":
                entry["state"] = "Registering"
                entry["polls"] = world.settings.register_polls
            return Response(200, provider_view(entry))

    def permissions(request: Request) -> Response:
        arm_call(ctx, request, AUTHORIZATION_API_VERSIONS)
        settings = world.settings
        return Response(
            200,
            {
                "value": [
                    {
                        "actions": list(settings.permissions_actions),
                        "notActions": list(settings.permissions_not_actions),
                        "dataActions": ["Microsoft.MachineLearningServices/workspaces/*"],
                        "notDataActions": [],
                    }
                ]
            },
        )

    def get_workspace(request: Request) -> Response:
        arm_call(ctx, request)
        return Response(200, workspace(ctx, request))

    def list_workspaces(request: Request) -> Response:
        arm_call(ctx, request)
        return Response(200, page(ctx, request, list(world.workspaces.values())))

    def operation(request: Request, op: Operation) -> None:
        with world.lock:
            world.advance_operation(op)

    def operation_status(request: Request) -> Response:
        require_token(ctx, request)
        op = world.operations.get(request.params["op"])
        if op is None:
            raise ApiError(404, "NotFound", "operation not found")
        operation(request, op)
        body: dict[str, Any] = {
            "id": request.path,
            "name": op.id,
            "status": op.status,
            "startTime": op.started,
        }
        if op.done:
            body["endTime"] = now_iso()
        if op.status == "Failed":
            body["error"] = {"code": "DeploymentFailed", "message": op.fail_message}
        headers = poll_headers(world.settings) if not op.done else {}
        return Response(200, body, headers)

    def operation_result(request: Request) -> Response:
        require_token(ctx, request)
        op = world.operations.get(request.params["op"])
        if op is None:
            raise ApiError(404, "NotFound", "operation not found")
        operation(request, op)
        if not op.done:
            return Response(
                202,
                None,
                {
                    "Location": ctx.base_url + request.target,
                    **poll_headers(world.settings),
                },
            )
        if op.status == "Failed":
            raise ApiError(400, "DeploymentFailed", op.fail_message or "operation failed")
        return Response(204)

    router.add("GET", "/metadata/endpoints", metadata)
    router.add("GET", SUB + r"/providers/(?P<ns>[A-Za-z.]+)", get_provider)
    router.add("POST", SUB + r"/providers/(?P<ns>[A-Za-z.]+)/register", register_provider)
    router.add("GET", RG + r"/providers/Microsoft\.Authorization/permissions", permissions)
    router.add("GET", WS, get_workspace)
    router.add("GET", RG + r"/providers/Microsoft\.MachineLearningServices/workspaces", list_workspaces)
    loc = SUB + r"/providers/Microsoft\.MachineLearningServices/locations/(?P<loc>[^/]+)"
    router.add("GET", loc + r"/mfeOperationsStatus/(?P<op>[^/]+)", operation_status)
    router.add("GET", loc + r"/mfeOperationResults/(?P<op>[^/]+)", operation_result)


_NOT_STARTED: dict[str, Any] = {
    "provisioningState": "NotStarted",
    "resourceId": None,
    "authType": None,
    "endpoint": None,
    "failureReason": None,
}
_RESOURCE_TYPES = {  # a few of each namespace's types (Providers_Get lists them all; placeholder versions)
    "microsoft.machinelearningservices": ("workspaces", "workspaces/jobs", "workspaces/serverlessEndpoints"),
    "microsoft.network": ("virtualNetworks", "privateEndpoints"),
    "microsoft.storage": ("storageAccounts",),
    "microsoft.cognitiveservices": ("accounts",),
}


def _display_region(name: str) -> str:
    known = {"eastus2": "East US 2", "eastus": "East US", "westus": "West US", "westus3": "West US 3"}
    return known.get(name.lower(), name)


def _allowed(actions: list[str], not_actions: list[str], action: str) -> bool:
    lowered = action.lower()
    granted = any(fnmatch.fnmatchcase(lowered, a.lower()) for a in actions)
    denied = any(fnmatch.fnmatchcase(lowered, a.lower()) for a in not_actions)
    return granted and not denied


def cloud_metadata(ctx: Context) -> dict[str, Any]:
    base = ctx.base_url
    return {
        "name": f"FoundryEmulator-{base.rsplit(':', 1)[-1]}",
        "portal": "https://portal.azure.com",
        "resourceManager": base + "/",
        "authentication": {
            "loginEndpoint": base + "/",
            "audiences": [base + "/"],
            "tenant": "common",
            "identityProvider": "AAD",
        },
        "media": base + "/",
        "graphAudience": base + "/",
        "graph": base + "/",
        "batch": base + "/",
        "suffixes": {
            "storage": "core.windows.net",
            "keyVaultDns": "vault.azure.net",
            "acrLoginServer": "azurecr.io",
        },
        "gallery": base + "/",
        "sqlManagement": base + "/",
        "vmImageAliasDoc": base + "/",
    }


def seed_workspaces(ctx: Context) -> None:
    """The hub and project a provisioned stack has, shaped as GET workspaces returns them
    (tests/contract/fixtures/recordings/workspace-get-hub.json, workspace-get-project.json)."""
    sc = ctx.scenario
    rg_id = sc.rg_id
    storage_id = f"{rg_id}/providers/Microsoft.Storage/storageAccounts/{sc.storage_account}"
    vault_id = f"{rg_id}/providers/Microsoft.KeyVault/vaults/{sc.key_vault}"
    ais_id = f"{rg_id}/providers/Microsoft.CognitiveServices/accounts/{sc.ai_services_name}"
    host = ctx.base_url.split("://", 1)[-1]
    created = "2026-11-01T09:00:00.0000000Z"
    system = {
        "createdAt": created,
        "createdBy": sc.user_name,
        "createdByType": "User",
        "lastModifiedAt": created,
        "lastModifiedBy": sc.user_name,
        "lastModifiedByType": "User",
    }
    for name, kind in ((sc.hub_name, "Hub"), (sc.project_name, "Project")):
        guid = sc.workspace_guid(name)
        props: dict[str, Any] = {
            "friendlyName": name,
            "description": None,
            "storageAccount": storage_id,
            "keyVault": vault_id,
            "applicationInsights": None,
            "hbiWorkspace": False,
            "tenantId": sc.tenant_id,
            "imageBuildCompute": None,
            "provisioningState": "Succeeded",
            "managedNetwork": {
                "changeableIsolationModes": ["AllowInternetOutbound", "AllowOnlyApprovedOutbound"],
                "isolationMode": "Disabled",
            },
            "v1LegacyMode": False,
            "softDeleteEnabled": False,
            "containerRegistry": None,
            "creationTime": created,
            "storageHnsEnabled": False,
            "workspaceId": guid,
            "linkedModelInventoryArmId": None,
            "privateLinkCount": 0,
            "publicNetworkAccess": "Enabled",
            "ipAllowlist": [],
            # The region's API host in Azure (https://<region>.api.azureml.ms/discovery,
            # azureml://<region>.api.azureml.ms/mlflow/v1.0/<ARM id>); here the emulator serves them.
            "discoveryUrl": f"{ctx.base_url}/discovery",
            "mlFlowTrackingUri": f"azureml://{host}/mlflow/v1.0{sc.workspace_id(name)}",
            "serverlessComputeSettings": {
                "serverlessComputeCustomSubnet": None,
                "serverlessComputeNoPublicIP": False,
            },
            "EnableSoftwareBillOfMaterials": False,
            "sdkTelemetryAppInsightsKey": stable_guid("telemetry", guid),
            "sasGetterUri": "",
            "notebookInfo": {
                "resourceId": stable_guid("notebooks", guid).replace("-", ""),
                "fqdn": f"ml-{name[:16]}-{sc.location}-{guid}.{sc.location}.notebooks.azure.net",
                "isPrivateLinkEnabled": False,
                "notebookPreparationError": None,
            },
            "enableDataIsolation": True,
            "azureOpenAI": dict(_NOT_STARTED, location=None, proxyResourceId=None, deployedModels=[]),
            "azureCognitiveSearch": dict(_NOT_STARTED),
            "azureAIContentSafety": dict(_NOT_STARTED),
            "endpointResources": {},
            # Newer than the 2023-08-01-preview recordings: the stack sets identity-based datastores.
            "systemDatastoresAuthMode": "identity",
            "aiServicesResource": {
                "resourceId": ais_id,
                "isByo": True,
                "is1KeyV2Resource": True,
                "provisioningState": "Succeeded",
            },
        }
        if kind == "Project":
            props["hubResourceId"] = sc.workspace_id(sc.hub_name)
        else:
            props["workspaceHubConfig"] = {"defaultWorkspaceResourceGroup": rg_id}
        ctx.world.workspaces[name.lower()] = {
            "id": sc.workspace_id(name),
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "location": sc.location,
            "tags": {},
            "etag": None,
            "properties": props,
            "identity": {
                "type": "SystemAssigned",
                "principalId": stable_guid("workspace-principal", guid),
                "tenantId": sc.tenant_id,
            },
            "kind": kind,
            "sku": {"name": "Basic", "tier": "Basic"},
            "systemData": system,
        }
