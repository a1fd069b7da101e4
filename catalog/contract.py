"""The stack-outputs contract: what `infra/` exports and `ops/` reads.

Flat snake_case keys. Bump OUTPUTS_SCHEMA_VERSION when a key is removed or changes meaning;
adding a key is backwards compatible.
"""

from __future__ import annotations

OUTPUTS_SCHEMA_VERSION = 1

OUTPUT_KEYS: dict[str, str] = {
    "outputs_schema_version": "version of this contract (integer)",
    "subscription_id": "subscription the stack lives in",
    "tenant_id": "Entra tenant of the subscription",
    "resource_group_name": "resource group holding every resource of the stack",
    "location": "Azure region (eastus2 for the shipped stacks)",
    "hub_name": "AI Foundry hub workspace name",
    "hub_id": "AI Foundry hub ARM id",
    "project_name": "AI Foundry project workspace name (jobs, data, endpoints live here)",
    "project_id": "AI Foundry project ARM id",
    "ai_services_name": "AI Services account name",
    "ai_services_endpoint": "AI Services account endpoint URL",
    "ai_services_connection_name": "hub connection to the AI Services account",
    "storage_account_name": "hub storage account name",
    "key_vault_name": "hub key vault name",
    "finetune_identity_id": "ARM id of the user-assigned identity fine-tuning runs as",
    "finetune_identity_client_id": "client id of that identity",
    "compute_name": "AmlCompute cluster for managed-compute fine-tuning ('' when none)",
    "stack": "Pulumi stack the outputs belong to (a --stack naming another one is refused)",
}

OPTIONAL_EMPTY_KEYS = frozenset({"compute_name"})
# Keys added to version 1 later: read when present; outputs saved before they existed lack them.
ADDED_KEYS = frozenset({"stack"})
