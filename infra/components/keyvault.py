"""The hub's key vault: RBAC authorization only, soft delete, purge protection per stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX


@dataclass(frozen=True)
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    vault_name: str
    tenant_id: pulumi.Input[str]
    purge_protection: bool = False
    soft_delete_retention_days: int = 7
    public_network_access: str = "Enabled"
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = False


class KeyVault(pulumi.ComponentResource):
    id: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: KeyVaultArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:KeyVault", name, None, opts)
        private = args.public_network_access == "Disabled"
        self.vault = azure_native.keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            properties=azure_native.keyvault.VaultPropertiesArgs(
                tenant_id=args.tenant_id,
                sku=azure_native.keyvault.SkuArgs(family="A", name=azure_native.keyvault.SkuName.STANDARD),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=args.soft_delete_retention_days,
                # ARM rejects enablePurgeProtection=false; leave it unset when off.
                enable_purge_protection=True if args.purge_protection else None,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access=args.public_network_access,
                network_acls=azure_native.keyvault.NetworkRuleSetArgs(
                    default_action="Deny" if private else "Allow",
                    bypass="AzureServices",
                ),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.id = self.vault.id
        self.name = self.vault.name
        self.register_outputs({"id": self.id, "name": self.name})
