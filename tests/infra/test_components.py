"""Every component's security settings, the hub/project link and the connection shape, as declared
to the engine (camelCase wire names, recorded under the mock engine)."""

from __future__ import annotations

from infra.components.storage import PORTAL_ORIGINS
from tests.infra.harness import ProgramRun, RecordedResource, run_config

STORAGE = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"
VAULT = "azure-native:keyvault:Vault"
ACCOUNT = "azure-native:cognitiveservices:Account"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
CONNECTION = "azure-native:machinelearningservices:WorkspaceConnection"
COMPUTE = "azure-native:machinelearningservices:Compute"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"
RG = "azure-native:resources:ResourceGroup"


def workspaces(run: ProgramRun) -> dict[str, RecordedResource]:
    return {r.inputs["kind"]: r for r in run.of_type(WORKSPACE)}


def test_storage_is_identity_only_tls12_https_and_private_blobs(any_run: ProgramRun) -> None:
    st = any_run.one(STORAGE).inputs
    assert st["kind"] == "StorageV2"
    assert st["allowBlobPublicAccess"] is False
    assert st["allowSharedKeyAccess"] is False
    assert st["defaultToOAuthAuthentication"] is True
    assert st["allowCrossTenantReplication"] is False
    assert st["enableHttpsTrafficOnly"] is True
    assert st["minimumTlsVersion"] == "TLS1_2"


def test_storage_cors_lets_the_foundry_portal_upload(any_run: ProgramRun) -> None:
    blob = any_run.one(BLOB_SERVICE)
    assert blob.inputs["blobServicesName"] == "default"
    assert blob.inputs["accountName"] == any_run.one(STORAGE).inputs["accountName"]
    (rule,) = blob.inputs["cors"]["corsRules"]
    assert rule["allowedOrigins"] == list(PORTAL_ORIGINS)
    assert {"https://ai.azure.com", "https://ml.azure.com", "https://*.ml.azure.com"} <= set(
        rule["allowedOrigins"]
    )
    assert not any(o == "*" or o.startswith("http://") for o in rule["allowedOrigins"])
    assert {"GET", "PUT", "OPTIONS", "HEAD"} <= set(rule["allowedMethods"])


def test_key_vault_rbac_soft_delete_and_purge_protection_per_stack(
    dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    dev = dev_run.one(VAULT).inputs["properties"]
    prod = prod_run.one(VAULT).inputs["properties"]
    for props in (dev, prod):
        assert props["enableRbacAuthorization"] is True
        assert props["enableSoftDelete"] is True
        assert props["sku"] == {"family": "A", "name": "standard"}
        assert props["tenantId"] == dev_run.outputs["tenant_id"]
        assert not props.get("accessPolicies")
    assert "enablePurgeProtection" not in dev  # ARM rejects false; unset means off
    assert dev["softDeleteRetentionInDays"] == 7
    assert prod["enablePurgeProtection"] is True
    assert prod["softDeleteRetentionInDays"] == 90


def test_ai_services_is_aad_only_with_subdomain_and_system_identity(any_run: ProgramRun) -> None:
    acct = any_run.one(ACCOUNT).inputs
    assert acct["kind"] == "AIServices"
    assert acct["identity"] == {"type": "SystemAssigned"}
    assert acct["properties"]["disableLocalAuth"] is True
    assert acct["properties"]["customSubDomainName"] == acct["accountName"]
    assert acct["sku"]["name"] == "S0"


def test_hub_uses_identity_datastores_with_storage_and_key_vault(any_run: ProgramRun) -> None:
    hub = workspaces(any_run)["Hub"]
    assert hub.inputs["identity"] == {"type": "SystemAssigned"}
    assert hub.inputs["systemDatastoresAuthMode"] == "identity"
    assert hub.inputs["storageAccount"] == any_run.one(STORAGE).id
    assert hub.inputs["keyVault"] == any_run.one(VAULT).id
    assert hub.inputs["location"] == "eastus2"


def test_project_is_linked_to_the_hub(any_run: ProgramRun) -> None:
    ws = workspaces(any_run)
    project, hub = ws["Project"], ws["Hub"]
    assert project.inputs["hubResourceId"] == hub.id
    assert hub.urn in project.dependencies
    assert "storageAccount" not in project.inputs and "keyVault" not in project.inputs
    assert project.inputs["identity"] == {"type": "SystemAssigned"}
    assert any_run.outputs["project_id"] == project.id and any_run.outputs["hub_id"] == hub.id


def test_connection_is_aad_shared_and_points_at_the_account(any_run: ProgramRun) -> None:
    conn = any_run.one(CONNECTION)
    acct = any_run.one(ACCOUNT)
    hub = workspaces(any_run)["Hub"]
    assert conn.inputs["workspaceName"] == hub.inputs["workspaceName"]
    assert conn.inputs["properties"] == {
        "authType": "AAD",
        "category": "AIServices",
        "target": acct.state["properties"]["endpoint"],
        "isSharedToAll": True,
        "metadata": {"ApiType": "Azure", "ResourceId": acct.id},
    }
    assert any_run.outputs["ai_services_connection_name"] == conn.inputs["connectionName"]


def test_dev_is_public_with_no_managed_network_and_nothing_protected(dev_run: ProgramRun) -> None:
    hub = workspaces(dev_run)["Hub"].inputs
    assert hub["publicNetworkAccess"] == "Enabled"
    assert hub["managedNetwork"]["isolationMode"] == "Disabled"
    assert not any(r.protect for r in dev_run.resources)
    assert dev_run.of_type(COMPUTE) == []


def test_prod_is_locked_down_and_protects_stateful_resources(prod_run: ProgramRun) -> None:
    ws = workspaces(prod_run)
    assert ws["Hub"].inputs["managedNetwork"]["isolationMode"] == "AllowOnlyApprovedOutbound"
    assert prod_run.one(STORAGE).inputs["publicNetworkAccess"] == "Disabled"
    assert prod_run.one(STORAGE).inputs["networkRuleSet"]["defaultAction"] == "Deny"
    assert prod_run.one(ACCOUNT).inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert prod_run.one(VAULT).inputs["properties"]["publicNetworkAccess"] == "Disabled"
    assert all(w.inputs["publicNetworkAccess"] == "Disabled" for w in ws.values())
    protected = {r.type for r in prod_run.resources if r.protect}
    assert protected == {STORAGE, VAULT, ACCOUNT, WORKSPACE}


def test_prod_hub_reaches_ai_services_through_a_private_endpoint(
    prod_run: ProgramRun, dev_run: ProgramRun
) -> None:
    hub = workspaces(prod_run)["Hub"]
    acct = prod_run.one(ACCOUNT)
    assert hub.inputs["managedNetwork"]["outboundRules"] == {
        "ai-services": {
            "type": "PrivateEndpoint",
            "category": "UserDefined",
            "destination": {
                "serviceResourceId": acct.id,
                "subresourceTarget": "account",
                "sparkEnabled": False,
            },
        }
    }
    assert acct.urn in hub.dependencies
    assert "outboundRules" not in workspaces(dev_run)["Hub"].inputs["managedNetwork"]


def test_prod_gpu_cluster_scales_to_zero_as_the_finetune_identity(prod_run: ProgramRun) -> None:
    compute = prod_run.one(COMPUTE)
    project = workspaces(prod_run)["Project"]
    identity = prod_run.one(IDENTITY)
    assert compute.inputs["workspaceName"] == project.inputs["workspaceName"]
    aml = compute.inputs["properties"]
    assert aml["computeType"] == "AmlCompute"
    assert aml["disableLocalAuth"] is True
    props = aml["properties"]
    assert props["vmSize"] == "Standard_NC24ads_A100_v4"
    assert props["scaleSettings"] == {
        "minNodeCount": 0,
        "maxNodeCount": 2,
        "nodeIdleTimeBeforeScaleDown": "PT600S",
    }
    assert props["remoteLoginPortPublicAccess"] == "Disabled"
    assert props["enableNodePublicIp"] is False  # managed network in prod
    assert compute.inputs["identity"]["type"] == "UserAssigned"
    assert list(compute.inputs["identity"]["userAssignedIdentities"]) == [identity.id]
    assert prod_run.outputs["compute_name"] == compute.inputs["computeName"]


def test_every_taggable_resource_carries_environment_and_managed_by(any_run: ProgramRun) -> None:
    for typ in (RG, STORAGE, VAULT, ACCOUNT, WORKSPACE, IDENTITY):
        for r in any_run.of_type(typ):
            assert r.inputs["tags"]["managed-by"] == "pulumi", r.name
            assert r.inputs["tags"]["environment"] == any_run.stack, r.name


def test_everything_lives_in_the_configured_region_and_resource_group(any_run: ProgramRun) -> None:
    rg = any_run.one(RG).inputs["resourceGroupName"]
    for r in any_run.custom:
        if "location" in r.inputs:
            assert r.inputs["location"] == "eastus2", r.name
        if "resourceGroupName" in r.inputs:
            assert r.inputs["resourceGroupName"] == rg, r.name


def test_children_are_parented_to_their_component() -> None:
    run = run_config({"location": "eastus2", "namePrefix": "phipar"})
    by_urn = {r.urn: r for r in run.resources}
    for r in run.custom:
        parent = by_urn[r.parent]
        assert not parent.custom and r.name.startswith(parent.name + "-"), r.name
