"""FoundryEnvironment: every component of one stack, wired so independent resources run in parallel.

Dependency shape (the critical path the benchmark measures):
resource group -> {storage, key vault, AI Services, identity} -> hub -> {project, connection} -> role
assignments; the provider registration depends on nothing and only the hub waits for it, and only
when the hub has a managed network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from catalog.contract import OUTPUT_KEYS, OUTPUTS_SCHEMA_VERSION
from core import roles
from infra.components import TYPE_PREFIX
from infra.components.ai_services import AiServices, AiServicesArgs
from infra.components.compute import GpuCompute, GpuComputeArgs
from infra.components.identity import FinetuneIdentity, FinetuneIdentityArgs
from infra.components.keyvault import KeyVault, KeyVaultArgs
from infra.components.provider_registration import ProviderRegistration, ProviderRegistrationArgs
from infra.components.rbac import Grant, RbacArgs, RoleAssignments
from infra.components.storage import Storage, StorageArgs
from infra.components.workspace import FoundryWorkspace, WorkspaceArgs
from infra.config import PrincipalType, StackConfig
from infra.naming import ResourceNames

# Managed identities (hub, project, fine-tuning identity) are granted roles as service principals.
SERVICE_PRINCIPAL = PrincipalType.SERVICE_PRINCIPAL.value


@dataclass(frozen=True)
class FoundryEnvironmentArgs:
    config: StackConfig
    subscription_id: str
    tenant_id: str
    stack: str = "dev"  # default `environment` tag when the stack's tags do not set one


class FoundryEnvironment(pulumi.ComponentResource):
    outputs: dict[str, Any]

    def __init__(
        self, name: str, args: FoundryEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}:FoundryEnvironment", name, None, opts)
        cfg = args.config
        names = ResourceNames.derive(cfg.name_prefix, cfg.location, args.subscription_id)
        problems = names.problems()
        if problems:  # config validation makes this unreachable; kept as a guard for new name rules
            raise ValueError("; ".join(problems))
        tags = {"environment": args.stack, **cfg.tags, "managed-by": "pulumi", "workload": "phi-fine-tuning"}
        pna = cfg.network.public_network_access.value
        child = pulumi.ResourceOptions(parent=self)

        self.resource_group = azure_native.resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=names.resource_group,
            location=cfg.location,
            tags=tags,
            opts=child,
        )
        rg = self.resource_group.name

        self.network_registration = ProviderRegistration(
            f"{name}-network-provider",
            ProviderRegistrationArgs(
                subscription_id=args.subscription_id,
                namespace="Microsoft.Network",
                timeout_seconds=cfg.network_registration_timeout_seconds,
            ),
            opts=child,
        )
        self.storage = Storage(
            f"{name}-storage",
            StorageArgs(
                resource_group_name=rg,
                location=cfg.location,
                account_name=names.storage_account,
                sku=cfg.storage_redundancy.value,
                public_network_access=pna,
                tags=tags,
                protect=cfg.protect,
            ),
            opts=child,
        )
        self.key_vault = KeyVault(
            f"{name}-keyvault",
            KeyVaultArgs(
                resource_group_name=rg,
                location=cfg.location,
                vault_name=names.key_vault,
                tenant_id=args.tenant_id,
                purge_protection=cfg.purge_protection,
                soft_delete_retention_days=cfg.soft_delete_retention_days,
                public_network_access=pna,
                tags=tags,
                protect=cfg.protect,
            ),
            opts=child,
        )
        self.ai_services = AiServices(
            f"{name}-ai-services",
            AiServicesArgs(
                resource_group_name=rg,
                location=cfg.location,
                account_name=names.ai_services,
                public_network_access=pna,
                tags=tags,
                protect=cfg.protect,
            ),
            opts=child,
        )
        self.identity = FinetuneIdentity(
            f"{name}-finetune-identity",
            FinetuneIdentityArgs(
                resource_group_name=rg,
                location=cfg.location,
                identity_name=names.finetune_identity,
                tags=tags,
            ),
            opts=child,
        )
        self.workspace = FoundryWorkspace(
            f"{name}-workspace",
            WorkspaceArgs(
                resource_group_name=rg,
                location=cfg.location,
                hub_name=names.hub,
                project_name=names.project,
                connection_name=names.connection,
                storage_account_id=self.storage.id,
                key_vault_id=self.key_vault.id,
                ai_services_id=self.ai_services.id,
                ai_services_endpoint=self.ai_services.endpoint,
                public_network_access=pna,
                isolation_mode=cfg.network.isolation_mode.value,
                hub_depends_on=[self.network_registration.registration]
                if cfg.network.needs_network_provider
                else [],
                tags=tags,
                protect=cfg.protect,
            ),
            opts=child,
        )
        self.compute: GpuCompute | None = None
        if cfg.compute is not None:
            self.compute = GpuCompute(
                f"{name}-compute",
                GpuComputeArgs(
                    resource_group_name=rg,
                    location=cfg.location,
                    workspace_name=self.workspace.project_name,
                    compute_name=names.compute,
                    vm_size=cfg.compute.vm_size,
                    max_nodes=cfg.compute.max_nodes,
                    min_nodes=cfg.compute.min_nodes,
                    idle_seconds=cfg.compute.idle_seconds,
                    low_priority=cfg.compute.low_priority,
                    no_public_ip=cfg.network.needs_network_provider,
                    identity_id=self.identity.id,
                    tags=tags,
                ),
                opts=child,
            )
        self.rbac = RoleAssignments(
            f"{name}-rbac",
            RbacArgs(
                subscription_id=args.subscription_id,
                grants=self._grants(cfg),
                forbidden=frozenset({("hub", roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid)}),
            ),
            opts=child,
        )
        self.outputs = {
            "outputs_schema_version": OUTPUTS_SCHEMA_VERSION,
            "subscription_id": args.subscription_id,
            "tenant_id": args.tenant_id,
            "resource_group_name": self.resource_group.name,
            "location": cfg.location,
            "hub_name": self.workspace.hub_name,
            "hub_id": self.workspace.hub_id,
            "project_name": self.workspace.project_name,
            "project_id": self.workspace.project_id,
            "ai_services_name": self.ai_services.name,
            "ai_services_endpoint": self.ai_services.endpoint,
            "ai_services_connection_name": self.workspace.connection_name,
            "storage_account_name": self.storage.name,
            "key_vault_name": self.key_vault.name,
            "finetune_identity_id": self.identity.id,
            "finetune_identity_client_id": self.identity.client_id,
            "compute_name": self.compute.name if self.compute is not None else "",
            "stack": args.stack,
        }
        if set(self.outputs) != set(OUTPUT_KEYS):  # the contract module is the single source of keys
            raise ValueError(
                f"outputs drifted from catalog.contract: {sorted(set(self.outputs) ^ set(OUTPUT_KEYS))}"
            )
        self.register_outputs(self.outputs)

    def _grants(self, cfg: StackConfig) -> list[Grant]:
        rg_id = self.resource_group.id
        ais_id = self.ai_services.id
        st_id = self.storage.id
        grants: list[Grant] = []
        for p in cfg.principals:
            who = (p.label, p.object_id, p.principal_type.value)
            grants += [
                Grant(*who, roles.AZURE_AI_DEVELOPER, "rg", rg_id),
                Grant(*who, roles.COGNITIVE_SERVICES_USER, "ais", ais_id),
                Grant(*who, roles.STORAGE_BLOB_DATA_CONTRIBUTOR, "st", st_id),
                Grant(*who, roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR, "st", st_id),
            ]
        grants += [
            Grant(
                "hub",
                self.workspace.hub_principal_id,
                SERVICE_PRINCIPAL,
                roles.COGNITIVE_SERVICES_USER,
                "ais",
                ais_id,
            ),
            Grant(
                "project",
                self.workspace.project_principal_id,
                SERVICE_PRINCIPAL,
                roles.COGNITIVE_SERVICES_USER,
                "ais",
                ais_id,
            ),
            Grant(
                "finetune",
                self.identity.principal_id,
                SERVICE_PRINCIPAL,
                roles.STORAGE_BLOB_DATA_CONTRIBUTOR,
                "st",
                st_id,
            ),
        ]
        return grants
