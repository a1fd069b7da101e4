"""The hub's storage account: identity-only access, TLS 1.2, no public blobs, portal CORS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX

# Foundry / Azure ML studio origins that upload and preview data straight from the browser.
PORTAL_ORIGINS: tuple[str, ...] = (
    "https://ai.azure.com",
    "https://*.ai.azure.com",
    "https://ml.azure.com",
    "https://*.ml.azure.com",
    "https://mlworkspace.azure.ai",
)
CORS_METHODS: tuple[str, ...] = ("GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH")


@dataclass(frozen=True)
class StorageArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    account_name: str
    sku: str = "Standard_LRS"
    public_network_access: str = "Enabled"
    cors_origins: tuple[str, ...] = PORTAL_ORIGINS
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class Storage(pulumi.ComponentResource):
    account: azure_native.storage.StorageAccount
    id: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: StorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Storage", name, None, opts)
        private = args.public_network_access == "Disabled"
        self.account = azure_native.storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            kind="StorageV2",
            sku=azure_native.storage.SkuArgs(name=args.sku),
            allow_blob_public_access=False,
            allow_shared_key_access=False,  # hub uses identity-based datastores
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            public_network_access=args.public_network_access,
            network_rule_set=azure_native.storage.NetworkRuleSetArgs(
                default_action=azure_native.storage.DefaultAction.DENY
                if private
                else azure_native.storage.DefaultAction.ALLOW,
                bypass="AzureServices",
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.blob_service = azure_native.storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=self.account.name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            cors=azure_native.storage.CorsRulesArgs(
                cors_rules=[
                    azure_native.storage.CorsRuleArgs(
                        allowed_origins=list(args.cors_origins),
                        allowed_methods=list(CORS_METHODS),
                        allowed_headers=["*"],
                        exposed_headers=["*"],
                        max_age_in_seconds=1800,
                    )
                ]
            ),
            delete_retention_policy=azure_native.storage.DeleteRetentionPolicyArgs(enabled=True, days=7),
            container_delete_retention_policy=azure_native.storage.DeleteRetentionPolicyArgs(
                enabled=True, days=7
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.account.id
        self.name = self.account.name
        self.register_outputs({"id": self.id, "name": self.name})
