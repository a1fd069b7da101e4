"""Subscription and access: resource provider registration, the caller's permissions, role assignments.

Registering a provider is harmless to repeat (a POST that is safe to retry); registration is
asynchronous (`Registering` -> `Registered`), so callers poll the provider on the shared policy.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from core.errors import AzureError
from ops.azure.arm import ArmAdapter, json_of

RESOURCES_API_VERSION = "2025-04-01"
AUTHORIZATION_API_VERSION = "2022-04-01"
IDENTITY_API_VERSION = "2023-01-31"


@dataclass(frozen=True)
class Permissions:
    """The caller's effective permissions at a scope (the union of all its role assignments)."""

    actions: tuple[str, ...]
    not_actions: tuple[str, ...]

    def allows(self, action: str) -> bool:
        lowered = action.lower()
        if not any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in self.actions):
            return False
        return not any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in self.not_actions)


class Providers(ArmAdapter):
    api_version = RESOURCES_API_VERSION

    @property
    def _sub(self) -> str:
        return f"/subscriptions/{self.outputs.subscription_id}"

    def state(self, namespace: str) -> str:
        """registrationState of a resource provider in the stack's subscription."""
        body = self.get_json(f"{self._sub}/providers/{namespace}", f"reading provider {namespace}")
        return str(body.get("registrationState") or "Unknown")

    def register(self, namespace: str) -> str:
        """Ask for the registration; returns the state the answer reports (usually Registering)."""
        response = self.transport.send(
            self.client, "POST", self.url(f"{self._sub}/providers/{namespace}/register"),
            what=f"registering {namespace}", ok=(200,), safe_post=True,
        )  # fmt: skip
        return str(json_of(response).get("registrationState") or "Registering")

    def permissions(self) -> Permissions:
        """The caller's effective permissions on the stack's resource group."""
        rows = list(
            self.list_json(
                f"{self.outputs.resource_group_id}/providers/Microsoft.Authorization/permissions",
                "reading your permissions",
                AUTHORIZATION_API_VERSION,
            )
        )
        return Permissions(
            actions=tuple(a for r in rows for a in r.get("actions") or ()),
            not_actions=tuple(a for r in rows for a in r.get("notActions") or ()),
        )

    def identity_principal_id(self, identity_id: str) -> str:
        """The object (principal) id of a user-assigned identity, which role assignments name."""
        body = self.get_json(identity_id, "reading the fine-tuning identity", IDENTITY_API_VERSION)
        principal = (body.get("properties") or {}).get("principalId")
        if not principal:
            raise AzureError(f"identity {identity_id.rsplit('/', 1)[-1]} has no principalId")
        return str(principal)

    def role_definition_ids(self, scope: str, principal_id: str) -> set[str]:
        """GUIDs of the roles `principal_id` holds at or above `scope` (ARM `assignedTo` filter)."""
        path = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments"
        found: set[str] = set()
        query = {"$filter": f"assignedTo('{principal_id}')"}
        for row in self.list_json(path, "reading role assignments", AUTHORIZATION_API_VERSION, **query):
            props = row.get("properties") or {}
            assigned = str(props.get("scope") or "").lower()
            if scope.lower().startswith(assigned):  # at the scope, or inherited from above it
                found.add(str(props.get("roleDefinitionId") or "").rsplit("/", 1)[-1].lower())
        return found
