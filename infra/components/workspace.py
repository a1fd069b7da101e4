"""The AI Foundry hub, its project, and the hub's AAD connection to the AI Services account.

Serverless fine-tuning of non-OpenAI models needs a hub-based project; jobs, data and endpoints
live in the project, which takes storage and key vault from the hub (`hubResourceId`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX

ml = azure_native.machinelearningservices


@dataclass(frozen=True)
class WorkspaceArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    hub_name: str
    project_name: str
    connection_name: str
    storage_account_id: pulumi.Input[str]
    key_vault_id: pulumi.Input[str]
    ai_services_id: pulumi.Input[str]
    ai_services_endpoint: pulumi.Input[str]
    public_network_access: str = "Enabled"
    isolation_mode: str = "Disabled"
    # Resources the hub must wait for beyond its inputs (the Microsoft.Network registration when a
    # managed network is on); nothing else in the stack waits for them.
    hub_depends_on: Sequence[pulumi.Resource] = ()
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


def _principal(
    identity: pulumi.Output[ml.outputs.ManagedServiceIdentityResponse | None],
) -> pulumi.Output[str]:
    return identity.apply(lambda i: (i.principal_id or "") if i else "")


def _outbound_rules(args: WorkspaceArgs) -> dict[str, ml.PrivateEndpointOutboundRuleArgs] | None:
    """With a managed network, reach the AI Services account through a private endpoint of its own.

    The platform adds the hub's storage and key vault itself; the connection's target is ours to add,
    or the hub cannot reach an account whose public network access is disabled.
    """
    if args.isolation_mode == "Disabled":
        return None
    return {
        "ai-services": ml.PrivateEndpointOutboundRuleArgs(
            type="PrivateEndpoint",
            category=ml.RuleCategory.USER_DEFINED,
            destination=ml.PrivateEndpointDestinationArgs(
                service_resource_id=args.ai_services_id, subresource_target="account", spark_enabled=False
            ),
        )
    }


class FoundryWorkspace(pulumi.ComponentResource):
    hub_id: pulumi.Output[str]
    hub_name: pulumi.Output[str]
    hub_principal_id: pulumi.Output[str]
    project_id: pulumi.Output[str]
    project_name: pulumi.Output[str]
    project_principal_id: pulumi.Output[str]
    connection_name: pulumi.Output[str]

    def __init__(self, name: str, args: WorkspaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:FoundryWorkspace", name, None, opts)
        self.hub = ml.Workspace(
            f"{name}-hub",
            workspace_name=args.hub_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Hub",
            friendly_name=args.hub_name,
            description="AI Foundry hub for Phi fine-tuning (managed by foundry-phi)",
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            storage_account=args.storage_account_id,
            key_vault=args.key_vault_id,
            system_datastores_auth_mode="identity",
            public_network_access=args.public_network_access,
            managed_network=ml.ManagedNetworkSettingsArgs(
                isolation_mode=args.isolation_mode, outbound_rules=_outbound_rules(args)
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, depends_on=list(args.hub_depends_on)
            ),
        )
        self.project = ml.Workspace(
            f"{name}-project",
            workspace_name=args.project_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="Project",
            friendly_name=args.project_name,
            description="AI Foundry project: fine-tuning jobs, data and serverless endpoints",
            hub_resource_id=self.hub.id,
            identity=ml.ManagedServiceIdentityArgs(type="SystemAssigned"),
            sku=ml.SkuArgs(name="Basic", tier=ml.SkuTier.BASIC),
            public_network_access=args.public_network_access,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.connection = ml.WorkspaceConnection(
            f"{name}-ai-services-connection",
            connection_name=args.connection_name,
            resource_group_name=args.resource_group_name,
            workspace_name=self.hub.name,
            properties=ml.AADAuthTypeWorkspaceConnectionPropertiesArgs(
                auth_type="AAD",  # the discriminator is not filled in by the SDK
                category="AIServices",
                target=args.ai_services_endpoint,
                is_shared_to_all=True,
                metadata={"ApiType": "Azure", "ResourceId": args.ai_services_id},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.hub_id = self.hub.id
        self.hub_name = self.hub.name
        self.hub_principal_id = _principal(self.hub.identity)
        self.project_id = self.project.id
        self.project_name = self.project.name
        self.project_principal_id = _principal(self.project.identity)
        self.connection_name = self.connection.name
        self.register_outputs(
            {
                "hub_id": self.hub_id,
                "project_id": self.project_id,
                "connection_name": self.connection_name,
            }
        )
