"""The stack outputs are exactly the contract the ops layer reads, with names Azure accepts."""

from __future__ import annotations

import re

from catalog.contract import OUTPUT_KEYS, OUTPUTS_SCHEMA_VERSION
from infra.naming import check
from tests.infra.harness import ProgramRun

GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def test_exactly_the_contract_keys_in_flat_snake_case(any_run: ProgramRun) -> None:
    assert list(any_run.outputs) == list(OUTPUT_KEYS)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", k) for k in any_run.outputs)
    assert all(isinstance(v, int | str) for v in any_run.outputs.values())
    assert any_run.outputs["outputs_schema_version"] == OUTPUTS_SCHEMA_VERSION


def test_the_ops_layer_accepts_the_outputs(any_run: ProgramRun) -> None:
    from ops.outputs import StackOutputs  # the reader's side of the contract; infra never imports ops

    outputs = StackOutputs.from_mapping(any_run.outputs, source=f"stack {any_run.stack}")
    assert outputs.as_dict() == any_run.outputs


def test_names_follow_azure_rules(any_run: ProgramRun) -> None:
    o = any_run.outputs
    kinds = {
        "resource_group_name": "resource group",
        "storage_account_name": "storage account",
        "key_vault_name": "key vault",
        "ai_services_name": "AI Services account",
        "hub_name": "workspace",
        "project_name": "workspace",
        "ai_services_connection_name": "workspace connection",
    }
    for key, kind in kinds.items():
        assert check(kind, o[key]) == [], (key, o[key])
    assert 3 <= len(o["storage_account_name"]) <= 24 and o["storage_account_name"].isalnum()
    assert o["storage_account_name"] == o["storage_account_name"].lower()
    assert 3 <= len(o["key_vault_name"]) <= 24
    if o["compute_name"]:
        assert check("compute", o["compute_name"]) == []


def test_values_are_consistent(any_run: ProgramRun) -> None:
    o = any_run.outputs
    assert re.fullmatch(GUID, o["subscription_id"]) and re.fullmatch(GUID, o["tenant_id"])
    assert re.fullmatch(GUID, o["finetune_identity_client_id"])
    assert o["location"] == "eastus2"
    rg_id = f"/subscriptions/{o['subscription_id']}/resourceGroups/{o['resource_group_name']}"
    assert o["hub_id"] == f"{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{o['hub_name']}"
    assert (
        o["project_id"]
        == f"{rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{o['project_name']}"
    )
    assert o["finetune_identity_id"].startswith(
        f"{rg_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/"
    )
    assert o["ai_services_endpoint"] == f"https://{o['ai_services_name']}.cognitiveservices.azure.com/"


def test_compute_name_is_empty_without_a_cluster(dev_run: ProgramRun, prod_run: ProgramRun) -> None:
    assert dev_run.outputs["compute_name"] == ""
    assert prod_run.outputs["compute_name"] == "gpu-phiprod"
