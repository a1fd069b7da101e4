"""The real azure-ai-ml registry client against the emulator's registry routes (discovery, then the
mferp/managementfrontend model routes), configured the way a private-cloud user configures it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.client import Rest
from tests.emulator.server import Emulator

PHI4_REGIONS = "eastus2,eastus,northcentralus,southcentralus,westus,westus3,swedencentral"


def _credential() -> Any:
    from core.cloud import resolve_cloud
    from core.credential import build_credential

    return build_credential(resolve_cloud(None))


@pytest.fixture
def registry(emulator_env: dict[str, str], azure_emulator: Emulator) -> Any:
    """MLClient(registry_name="azureml") with the registry discovery endpoint in `cloud_metadata`."""
    from azure.ai.ml import MLClient

    base = azure_emulator.base_url + "/"
    metadata = {
        "azure_portal": "https://portal.azure.com/",
        "resource_manager": base,
        "active_directory": base,
        "aml_resource_id": base,
        "storage_endpoint": "core.windows.net",
        "registry_discovery_endpoint": base,
    }
    return MLClient(
        _credential(),
        registry_name="azureml",
        cloud=f"FoundryRegistry-{base.rsplit(':', 1)[-1].strip('/')}",
        cloud_metadata=metadata,
        enable_telemetry=False,
    )


def test_sdk_reads_latest_version_and_list(registry: Any, azure_emulator: Emulator) -> None:
    latest = registry.models.get("Phi-4-mini-instruct", label="latest")
    assert (latest.name, latest.version) == ("Phi-4-mini-instruct", "3")
    assert latest.id == "azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3"
    assert latest.tags["maas-finetuning-deploy-regions"] == PHI4_REGIONS
    assert "FinetuneRetirementDate" not in latest.tags
    pinned = registry.models.get("Phi-3-mini-4k-instruct", version="1")
    assert (pinned.tags["FinetuneDeprecationDate"], pinned.tags["FinetuneRetirementDate"]) == (
        "2025-06-30",
        "2025-08-30",
    )
    assert pinned.properties["finetuning-tasks"] == "chat-completion"
    assert [m.version for m in registry.models.list("Phi-4-mini-instruct")] == ["3", "2", "1"]
    paths = [r["path"] for r in azure_emulator.requests if "/registr" in r["path"]]
    assert paths[0] == "/registrymanagement/v1.0/registries/azureml/discovery"
    assert all("/mferp/managementfrontend/" in p for p in paths[1:])


def test_every_catalog_model_is_seeded(azure_emulator: Emulator) -> None:
    from catalog.models import CATALOG

    models = azure_emulator.world.registry_models
    assert {name for (_, name) in models} == set(CATALOG)
    for (_, name), versions in models.items():
        assert len(versions) == (2 if CATALOG[name].family == "phi-3" else 3)
        newest = max(versions, key=lambda v: versions[v].created)
        assert newest == max(versions, key=int)


def test_a_test_can_publish_a_version_and_change_tags(registry: Any, azure_emulator: Emulator) -> None:
    world = azure_emulator.world
    world.add_registry_version("azureml", "Phi-4-mini-instruct", "2.1", tags={"note": "hotfix"})
    assert registry.models.get("Phi-4-mini-instruct", label="latest").version == "2.1"  # newest CREATED
    world.registry_models[("azureml", "Phi-4")]["3"].tags["maas-finetuning-deploy-regions"] = "westus3"
    assert registry.models.get("Phi-4", version="3").tags["maas-finetuning-deploy-regions"] == "westus3"


def test_missing_models_and_versions(registry: Any) -> None:
    from azure.ai.ml.exceptions import ValidationException
    from azure.core.exceptions import ResourceNotFoundError

    with pytest.raises(ValidationException, match="does not exist"):
        registry.models.get("Phi-9", label="latest")  # the list answers [] (recorded), the SDK refuses
    with pytest.raises(ResourceNotFoundError):
        registry.models.get("Phi-4", version="99")


def test_sdk_follows_next_link_and_env_discovery_works(
    emulator_env: dict[str, str], azure_emulator: Emulator
) -> None:
    """Without `cloud_metadata`: ARM_CLOUD_METADATA_URL names the cloud, REGISTRY_DISCOVERY_ENDPOINT_URL
    (both in Emulator.env()) the discovery endpoint, as azure-ai-ml reads them for an unknown cloud."""
    from azure.ai.ml import MLClient

    assert emulator_env["FOUNDRY_REGISTRY_ENDPOINT"] == azure_emulator.base_url + "/"
    azure_emulator.settings.page_size = 1
    client = MLClient(_credential(), registry_name="azureml", enable_telemetry=False)
    assert [m.version for m in client.models.list("Phi-3.5-mini-instruct")] == ["2", "1"]
    assert azure_emulator.count("GET", "/models/Phi-3.5-mini-instruct/versions") == 2


def test_registry_routes_need_the_arm_token_and_versions(azure_emulator: Emulator) -> None:
    rest = Rest(azure_emulator)
    sc = azure_emulator.scenario
    discovery = "/registrymanagement/v1.0/registries/azureml/discovery"
    body = rest.get(discovery, "v1.0").json()
    assert body["primaryRegionResourceProviderUri"] == azure_emulator.base_url + "/"
    assert (body["subscriptionId"], body["resourceGroup"]) == (
        sc.registry_subscription_id,
        sc.registry_resource_group,
    )
    assert rest.get(discovery, None).status_code == 400
    assert rest.get("/registrymanagement/v1.0/registries/nope/discovery", "v1.0").status_code == 404
    rest.session.headers["Authorization"] = "Bearer forged"
    assert rest.get(discovery, "v1.0").status_code == 401
