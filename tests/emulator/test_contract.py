"""The emulator refuses what ARM refuses: bodies checked against azure-ai-ml's generated REST models."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from tests.emulator.contract import ContractError, validate
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint, token

JOB: dict[str, Any] = {
    "properties": {
        "jobType": "FineTuning",
        "fineTuningDetails": {
            "modelProvider": "Custom",
            "taskType": "ChatCompletion",
            "model": {
                "jobInputType": "mlflow_model",
                "uri": "azureml://registries/azureml/models/Phi-4/versions/1",
            },
            "trainingData": {"jobInputType": "uri_file", "uri": "azureml:train:1"},
            "hyperParameters": {"learning_rate": "0.0002"},
        },
        "outputs": {"registered_model": {"jobOutputType": "mlflow_model", "assetName": "phi4-ft"}},
    }
}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b["properties"].pop("outputs"), "body.properties.outputs is required"),
        (
            lambda b: b["properties"].__setitem__("jobType", "Nope"),
            "body.properties.jobType 'Nope' is not one of",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"]["model"].__setitem__("jobInputType", "bad"),
            "body.properties.fineTuningDetails.model.jobInputType 'bad' is not one of",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"].pop("modelProvider"),
            "body.properties.fineTuningDetails.modelProvider is required",
        ),
        (
            lambda b: b["properties"]["outputs"]["registered_model"].pop("jobOutputType"),
            "body.properties.outputs.registered_model.jobOutputType is required",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"].__setitem__("hyperParameters", {"epochs": 3}),
            "body.properties.fineTuningDetails.hyperParameters.epochs must be a string",
        ),
    ],
)
def test_job_contract(mutate: Any, message: str) -> None:
    validate(JOB, "JobBase")
    body = copy.deepcopy(JOB)
    mutate(body)
    with pytest.raises(ContractError) as caught:
        validate(body, "JobBase")
    assert str(caught.value).startswith(message)


def test_endpoint_contract() -> None:
    good: dict[str, Any] = {
        "location": "eastus2",
        "sku": {"name": "Consumption"},
        "properties": {"modelSettings": {"modelId": "x"}},
    }
    validate(good, "ServerlessEndpoint")  # authMode: service default (contract.SERVICE_DEFAULTS)
    with pytest.raises(ContractError, match=r"body.location is required"):
        validate({"properties": good["properties"]}, "ServerlessEndpoint")
    with pytest.raises(ContractError, match=r"contentSafetyStatus is required"):
        validate({**good, "properties": {**good["properties"], "contentSafety": {}}}, "ServerlessEndpoint")


def _put(emulator: Emulator, path: str, body: Any, api_version: str) -> requests.Response:
    sc = emulator.scenario
    return requests.put(
        f"{emulator.base_url}{sc.workspace_id(sc.project_name)}{path}",
        params={"api-version": api_version},
        json=body,
        headers={"Authorization": f"Bearer {token(emulator)}"},
        verify=str(emulator.certs.ca),
        timeout=10,
    )


def test_bad_bodies_and_versions_are_400_like_arm(azure_emulator: Emulator) -> None:
    bad = copy.deepcopy(JOB)
    bad["properties"].pop("outputs")
    answer = _put(azure_emulator, "/jobs/j1", bad, "2024-10-01-preview")
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "Invalid request body: body.properties.outputs is required"
    ga = _put(azure_emulator, "/jobs/j1", JOB, "2025-12-01")
    assert ga.status_code == 400
    assert "FineTuning is not supported at api-version 2025-12-01" in ga.json()["error"]["message"]
    unknown = _put(azure_emulator, "/jobs/j1", JOB, "2019-01-01")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")
    assert azure_emulator.world.created["jobs"] == 0
    ok = _put(azure_emulator, "/jobs/j1", JOB, "2024-10-01-preview")
    assert ok.status_code == 201 and ok.json()["properties"]["status"] == "Queued"
    same = _put(azure_emulator, "/jobs/j1", JOB, "2024-10-01-preview")
    assert same.status_code == 200
    changed = copy.deepcopy(JOB)
    changed["properties"]["fineTuningDetails"]["hyperParameters"]["learning_rate"] = "0.1"
    assert _put(azure_emulator, "/jobs/j1", changed, "2024-10-01-preview").status_code == 409
    assert azure_emulator.world.created["jobs"] == 1


def test_content_safety_only_exists_from_2024_04_01(azure_emulator: Emulator) -> None:
    body: dict[str, Any] = {
        "location": "eastus2",
        "sku": {"name": "Consumption"},
        "properties": {
            "authMode": "Key",
            "modelSettings": {"modelId": "azureml://registries/azureml/models/Phi-4"},
            "contentSafety": {"contentSafetyStatus": "Disabled"},
        },
    }
    old = _put(azure_emulator, "/serverlessEndpoints/e1", body, "2024-01-01-preview")
    assert old.status_code == 201
    assert "contentSafety" not in old.json()["properties"]
    new = _put(azure_emulator, "/serverlessEndpoints/e2", body, "2024-04-01")
    assert new.json()["properties"]["contentSafety"] == {"contentSafetyStatus": "Disabled"}
    endpoints = azure_emulator.world.endpoints
    assert (
        endpoints[("proj-foundry-dev", "e1")]["properties"]["contentSafety"]["contentSafetyStatus"]
        == "Enabled"
    )
    wrong_sku = {**body, "sku": {"name": "Standard"}}
    assert _put(azure_emulator, "/serverlessEndpoints/e3", wrong_sku, "2024-04-01").status_code == 400


def test_marketplace_subscription_and_key_regeneration(azure_emulator: Emulator) -> None:
    assert (
        _put(azure_emulator, "/marketplaceSubscriptions/m1", {"properties": {}}, "2024-04-01").status_code
        == 400
    )
    made = _put(
        azure_emulator,
        "/marketplaceSubscriptions/m1",
        {"properties": {"modelId": "azureml://registries/partner/models/x"}},
        "2024-04-01",
    )
    assert made.status_code == 201
    assert made.json()["properties"]["marketplacePlan"]["publisherId"] == "azureml"
    deploy_endpoint(azure_emulator, "bot")
    sc = azure_emulator.scenario
    url = (
        f"{azure_emulator.base_url}{sc.workspace_id(sc.project_name)}/serverlessEndpoints/bot/regenerateKeys"
    )
    before = dict(azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"])
    answer = requests.post(
        url,
        params={"api-version": "2024-04-01"},
        json={"keyType": "Secondary"},
        headers={"Authorization": f"Bearer {token(azure_emulator)}"},
        verify=str(azure_emulator.certs.ca),
        timeout=10,
    ).json()
    assert answer["primaryKey"] == before["primaryKey"] and answer["secondaryKey"] != before["secondaryKey"]
