"""The emulator refuses what ARM refuses: bodies checked against azure-ai-ml's generated REST models."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from tests.emulator.contract import ContractError, problems, validate
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
            "trainingData": {
                "jobInputType": "uri_file",
                "uri": "azureml://datastores/workspaceblobstore/paths/train.jsonl",
            },
            "hyperParameters": {"learning_rate": "0.0002"},
        },
        "outputs": {"registered_model": {"jobOutputType": "mlflow_model", "assetName": "phi4-ft"}},
    }
}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda b: b["properties"].pop("outputs"),
            "Required property 'outputs' not found in JSON (object of type 'FineTuningJob'). Path ''",
        ),
        (
            lambda b: b["properties"].__setitem__("jobType", "Nope"),
            "Error converting value \"Nope\" to type 'JobType' (one of: ",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"]["model"].__setitem__("jobInputType", "uri_fil"),
            "Error converting value \"uri_fil\" to type 'JobInputType' (one of: ",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"].pop("modelProvider"),
            "Required property 'modelProvider' not found in JSON (object of type 'FineTuningVertical'",
        ),
        (
            lambda b: b["properties"]["outputs"]["registered_model"].pop("jobOutputType"),
            "Required property 'jobOutputType' not found in JSON (object of type 'JobOutput'",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"].__setitem__(
                "hyperParameters", {"epochs": {"n": 3}}
            ),
            "Error reading string. Unexpected token: StartObject. Path 'hyperParameters.epochs'",
        ),
        (
            lambda b: b["properties"]["fineTuningDetails"].__setitem__("taskType", "Chat"),
            "Error converting value \"Chat\" to type 'FineTuningTaskType' (one of: ChatCompletion, ",
        ),
        (
            lambda b: b["properties"]["outputs"]["registered_model"].__setitem__("assetVersion", "1"),
            "Could not find member 'assetVersion' on object of type 'MLFlowModelJobOutput'. Path 'assetVersion'",
        ),
        (
            lambda b: b["properties"].__setitem__("computeID", "gpu"),
            "Could not find member 'computeID' on object of type 'FineTuningJob'. Path 'computeID'",
        ),
    ],
)
def test_job_contract(mutate: Any, message: str) -> None:
    validate(JOB, "JobBase")
    body = copy.deepcopy(JOB)
    mutate(body)
    with pytest.raises(ContractError) as caught:
        validate(body, "JobBase")
    (problem,) = caught.value.problems
    assert problem.message.startswith(message), problem.message


def test_every_problem_is_reported_and_primitives_convert_like_json_net() -> None:
    body = copy.deepcopy(JOB)
    body["properties"]["fineTuningDetails"]["hyperParameters"] = {"batch_size": 4, "lr": 2e-5}  # converted
    validate(body, "JobBase")
    body["properties"]["bogus"] = 1
    body["properties"]["fineTuningDetails"]["taskType"] = "Nope"
    assert [p.where for p in problems(body, "JobBase")] == [
        "body.properties.bogus",
        "body.properties.fineTuningDetails.taskType",
    ]


def test_endpoint_contract() -> None:
    good: dict[str, Any] = {
        "location": "eastus2",
        "sku": {"name": "Consumption"},
        "properties": {"modelSettings": {"modelId": "x"}},
    }
    validate(good, "ServerlessEndpoint")  # authMode: service default (contract.SERVICE_DEFAULTS)
    with pytest.raises(ContractError, match=r"Required property 'location' not found"):
        validate({"properties": good["properties"]}, "ServerlessEndpoint")
    with pytest.raises(ContractError, match=r"Required property 'contentSafetyStatus' not found"):
        validate({**good, "properties": {**good["properties"], "contentSafety": {}}}, "ServerlessEndpoint")
    # the two mistakes the old checker let through: a misspelt member and an enum value out of range
    with pytest.raises(ContractError, match=r"Could not find member 'contentSafetyy' on object of type"):
        validate(
            {
                **good,
                "properties": {**good["properties"], "contentSafetyy": {"contentSafetyStatus": "Enabled"}},
            },
            "ServerlessEndpoint",
        )
    with pytest.raises(
        ContractError, match=r"Error converting value \"Maybe\" to type 'ContentSafetyStatus'"
    ):
        validate(
            {**good, "properties": {**good["properties"], "contentSafety": {"contentSafetyStatus": "Maybe"}}},
            "ServerlessEndpoint",
        )
    # accepted although the SDK model lacks it (contract.EXTRA_MEMBERS, sourced)
    level = {"contentSafetyStatus": "Enabled", "contentSafetyLevel": "Blocking"}
    validate({**good, "properties": {**good["properties"], "contentSafety": level}}, "ServerlessEndpoint")


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
    assert answer.status_code == 400 and answer.headers["x-ms-response-type"] == "error"
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("UserError", "Request is invalid and/or missing fields.")
    assert [d["code"] for d in error["details"]] == ["RequestInvalid"]
    assert error["details"][0]["message"].startswith("Required property 'outputs' not found in JSON")
    assert [i["type"] for i in error["additionalInfo"]][-2:] == ["InnerError", "MessageFormat"]
    ga = _put(azure_emulator, "/jobs/j1", JOB, "2025-12-01")
    assert ga.status_code == 400
    assert "FineTuning is not supported at api-version 2025-12-01" in ga.json()["error"]["message"]
    unknown = _put(azure_emulator, "/jobs/j1", JOB, "2019-01-01")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (400, "InvalidApiVersionParameter")
    assert azure_emulator.world.created["jobs"] == 0
    ok = _put(azure_emulator, "/jobs/j1", JOB, "2024-10-01-preview")
    assert ok.status_code == 201 and ok.json()["properties"]["status"] == "Queued"
    assert ok.headers["Location"].endswith("/jobs/j1?api-version=2024-10-01-preview")
    same = _put(azure_emulator, "/jobs/j1", JOB, "2024-10-01-preview")
    assert same.status_code == 200
    changed = copy.deepcopy(JOB)
    changed["properties"]["fineTuningDetails"]["hyperParameters"]["learning_rate"] = "0.1"
    refused = _put(azure_emulator, "/jobs/j1", changed, "2024-10-01-preview")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["code"] == "UserError"
    assert error["message"].startswith("A job with this name already exists.")
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
