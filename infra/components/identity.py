"""The user-assigned identity fine-tuning runs as (identity-based datastores need one with blob access)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX


@dataclass(frozen=True)
class FinetuneIdentityArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    identity_name: str
    tags: Mapping[str, str] = field(default_factory=dict)


class FinetuneIdentity(pulumi.ComponentResource):
    id: pulumi.Output[str]
    client_id: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: FinetuneIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}:FinetuneIdentity", name, None, opts)
        self.identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-uai",
            resource_name_=args.identity_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.identity.id
        self.client_id = self.identity.client_id
        self.principal_id = self.identity.principal_id
        self.register_outputs({"id": self.id, "client_id": self.client_id, "principal_id": self.principal_id})
