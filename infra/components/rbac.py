"""Role assignments, each named by a GUID derived from (scope, principal, role).

Only roles the workflow needs are declared. The hub identity's Storage Blob Data Contributor on the
hub storage (systemDatastoresAuthMode=identity) and its Azure AI Administrator are made by the
platform itself; declaring them again fails with 409 RoleAssignmentExists, so FORBIDDEN rejects them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from core import roles
from infra.components import TYPE_PREFIX


@dataclass(frozen=True)
class Grant:
    """One role for one principal at one scope; the labels only make readable logical names."""

    principal_label: str
    principal_id: pulumi.Input[str]
    principal_type: str  # User | Group | ServicePrincipal (managed identities are ServicePrincipal)
    role: roles.Role
    scope_label: str
    scope: pulumi.Input[str]

    @property
    def key(self) -> str:
        return f"{self.principal_label}-{self.role.short}-{self.scope_label}"


@dataclass(frozen=True)
class RbacArgs:
    subscription_id: str
    grants: Sequence[Grant]
    # (principal_label, role) pairs that must never be declared here (the platform makes them).
    forbidden: frozenset[tuple[str, str]] = frozenset()


class DuplicateGrantError(ValueError):
    """Two grants would make the same assignment, or a grant duplicates one the platform makes."""


def _assignment_name(grant: Grant) -> pulumi.Output[str]:
    guid = grant.role.guid

    def name(values: list[Any]) -> str:
        return roles.assignment_name(str(values[0]), str(values[1]), guid)

    return pulumi.Output.all(grant.scope, grant.principal_id).apply(name)


class RoleAssignments(pulumi.ComponentResource):
    assignments: dict[str, azure_native.authorization.RoleAssignment]

    def __init__(self, name: str, args: RbacArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:RoleAssignments", name, None, opts)
        self.assignments = {}
        for grant in args.grants:
            platform_made = (grant.principal_label, grant.role.guid) in args.forbidden
            if platform_made or grant.role.guid == roles.AZURE_AI_ADMINISTRATOR.guid:
                raise DuplicateGrantError(
                    f"{grant.key}: this assignment is made by the platform; do not declare it"
                )
            if grant.key in self.assignments:
                raise DuplicateGrantError(f"{grant.key}: declared twice")
            assignment_name = _assignment_name(grant)
            self.assignments[grant.key] = azure_native.authorization.RoleAssignment(
                f"{name}-{grant.key}",
                role_assignment_name=assignment_name,
                scope=grant.scope,
                principal_id=grant.principal_id,
                principal_type=grant.principal_type,
                role_definition_id=grant.role.definition_id(args.subscription_id),
                description=f"foundry-phi: {grant.role.name} for {grant.principal_label}",
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"count": len(self.assignments)})
