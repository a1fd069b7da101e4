"""The AI Services account the hub connects to: AAD only (local auth off), own subdomain, system identity."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX


@dataclass(frozen=True)
class AiServicesArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: str
    sku: str = "S0"
    public_network_access: str = "Enabled"
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class AiServices(pulumi.ComponentResource):
    id: pulumi.Output[str]
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    principal_id: pulumi.Output[str]

    def __init__(self, name: str, args: AiServicesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:AiServices", name, None, opts)
        private = args.public_network_access == "Disabled"
        self.account = azure_native.cognitiveservices.Account(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="AIServices",
            sku=azure_native.cognitiveservices.SkuArgs(name=args.sku),
            identity=azure_native.cognitiveservices.IdentityArgs(
                type=azure_native.cognitiveservices.ResourceIdentityType.SYSTEM_ASSIGNED
            ),
            properties=azure_native.cognitiveservices.AccountPropertiesArgs(
                custom_sub_domain_name=args.account_name,  # required for Entra ID tokens
                disable_local_auth=True,
                public_network_access=args.public_network_access,
                network_acls=azure_native.cognitiveservices.NetworkRuleSetArgs(
                    default_action="Deny" if private else "Allow",
                    bypass="AzureServices",
                ),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.id = self.account.id
        self.name = self.account.name
        self.endpoint = self.account.properties.apply(lambda p: p.endpoint)
        self.principal_id = self.account.identity.apply(lambda i: i.principal_id if i else "")
        self.register_outputs({"id": self.id, "name": self.name, "endpoint": self.endpoint})
