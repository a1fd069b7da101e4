"""Role assignments (list for a scope, `$filter=assignedTo('<principal>')`) and user-assigned identities.

Seeded with what the stack declares: the fine-tuning identity holds Storage Blob Data Contributor on
the storage account, the caller holds Azure AI Developer on the resource group. Tests edit
`world.role_assignments` to simulate drift.
"""

from __future__ import annotations

import re
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import AUTHORIZATION_API_VERSIONS, RG, Context, arm_call
from tests.emulator.state import stable_guid

STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
AZURE_AI_DEVELOPER = "64702f94-c441-49e6-a78b-ef80e0188fee"
IDENTITY_API_VERSIONS = frozenset({"2018-11-30", "2023-01-31", "2023-07-31-preview", "2024-11-30"})
_ASSIGNED_TO = re.compile(r"assignedTo\('([^']+)'\)", re.IGNORECASE)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def list_assignments(request: Request) -> Response:
        arm_call(ctx, request, AUTHORIZATION_API_VERSIONS)
        scope = request.path.split("/providers/Microsoft.Authorization/")[0].lower()
        flt = request.query.get("$filter", "")
        match = _ASSIGNED_TO.search(flt)
        principal = match.group(1).lower() if match else None
        found = []
        for assignment in world.role_assignments:
            props = assignment["properties"]
            related = scope.startswith(props["scope"].lower()) or props["scope"].lower().startswith(scope)
            if related and (principal is None or props["principalId"].lower() == principal):
                found.append(assignment)
        return Response(200, {"value": found})

    def get_identity(request: Request) -> Response:
        arm_call(ctx, request, IDENTITY_API_VERSIONS)
        sc = ctx.scenario
        if request.params["name"].lower() != sc.identity_name.lower():
            raise ApiError(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.ManagedIdentity/"
                f"userAssignedIdentities/{request.params['name']}' was not found.",
            )
        return Response(
            200,
            {
                "id": sc.identity_id,
                "name": sc.identity_name,
                "type": "Microsoft.ManagedIdentity/userAssignedIdentities",
                "location": sc.location,
                "properties": {
                    "principalId": identity_principal_id(ctx),
                    "tenantId": sc.tenant_id,
                    "clientId": sc.outputs()["finetune_identity_client_id"],
                },
            },
        )

    router.add("GET", r"/.+/providers/Microsoft\.Authorization/roleAssignments", list_assignments)
    router.add(
        "GET",
        RG + r"/providers/Microsoft\.ManagedIdentity/userAssignedIdentities/(?P<name>[^/]+)",
        get_identity,
    )


def identity_principal_id(ctx: Context) -> str:
    return stable_guid("principal", ctx.scenario.identity_name)


def seed_role_assignments(ctx: Context) -> None:
    sc = ctx.scenario
    storage = f"{sc.rg_id}/providers/Microsoft.Storage/storageAccounts/{sc.storage_account}"
    for principal, kind, role, scope in (
        (identity_principal_id(ctx), "ServicePrincipal", STORAGE_BLOB_DATA_CONTRIBUTOR, storage),
        (sc.principal_id, "ServicePrincipal", AZURE_AI_DEVELOPER, sc.rg_id),
    ):
        ctx.world.role_assignments.append(assignment(sc.subscription_id, principal, kind, role, scope))


def assignment(subscription: str, principal: str, kind: str, role: str, scope: str) -> dict[str, Any]:
    name = stable_guid(scope.lower(), principal, role)
    return {
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "name": name,
        "type": "Microsoft.Authorization/roleAssignments",
        "properties": {
            "roleDefinitionId": f"/subscriptions/{subscription}/providers/Microsoft.Authorization/roleDefinitions/{role}",
            "principalId": principal,
            "principalType": kind,
            "scope": scope,
        },
    }
