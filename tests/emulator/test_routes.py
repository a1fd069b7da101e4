"""The emulator's ARM answers behave as the recorded service does (tests/contract/fixtures): URI forms,
Location headers, 404 shapes, creation order, paging, job bodies, datastore secrets, endpoint PATCH."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.azurite import Azurite
from tests.emulator.client import Rest, data_body, endpoint_body, finetune_body
from tests.emulator.server import Emulator

JOBS_API = "2024-10-01-preview"


@pytest.fixture
def rest(azure_emulator: Emulator) -> Rest:
    return Rest(azure_emulator)


def _job(rest: Rest, **extra: Any) -> dict[str, Any]:
    sc = rest.emulator.scenario
    return finetune_body(sc.subscription_id, sc.resource_group, sc.project_name, **extra)


def test_data_version_answers_the_long_uri_and_a_location(rest: Rest) -> None:
    sc = rest.emulator.scenario
    made = rest.put(f"{rest.project}/data/train/versions/1", data_body())
    assert made.status_code == 201
    assert (
        made.headers["Location"]
        == f"{rest.emulator.base_url}{rest.project}/data/train/versions/1?api-version=2024-10-01"
    )
    props = made.json()["properties"]
    assert props["dataUri"] == (
        f"azureml://subscriptions/{sc.subscription_id}/resourcegroups/{sc.resource_group}"
        f"/workspaces/{sc.project_name}/datastores/workspaceblobstore/paths/data/train.jsonl"
    )
    assert "provisioningState" not in props
    assert (props["stage"], props["autoDeleteSetting"], props["intellectualProperty"]) == (None, None, None)
    assert made.json()["systemData"]["createdByType"] == "User"
    again = rest.put(f"{rest.project}/data/train/versions/1", data_body())
    assert (again.status_code, again.json()) == (200, made.json())
    assert rest.delete(f"{rest.project}/data/train/versions/1").status_code == 200
    assert rest.delete(f"{rest.project}/data/train/versions/1").status_code == 204


def test_latest_is_the_newest_created_not_the_highest(rest: Rest) -> None:
    for version in ("2", "10", "foo"):
        body = {
            "properties": {"modelType": "custom_model", "modelUri": f"azureml://jobs/j/outputs/{version}"}
        }
        assert rest.put(f"{rest.project}/models/m/versions/{version}", body).status_code == 201
    latest = rest.get(
        f"{rest.project}/models/m/versions",
        "2023-08-01-preview",
        **{"$orderBy": "createdtime desc", "$top": "1"},
    )
    assert [v["name"] for v in latest.json()["value"]] == ["foo"]
    assert "nextLink" not in latest.json()
    container = rest.get(f"{rest.project}/models/m").json()["properties"]
    assert (container["latestVersion"], container["nextVersion"]) == ("foo", "11")
    version = rest.get(f"{rest.project}/models/m/versions/2").json()["properties"]
    assert (version["stage"], version["flavors"], version["jobName"]) == ("Development", {}, None)


def test_listing_versions_of_a_missing_model_is_404_model_not_found(rest: Rest) -> None:
    answer = rest.get(f"{rest.project}/models/nope/versions", **{"$orderBy": "createdtime desc", "$top": "1"})
    assert answer.status_code == 404 and answer.headers["x-ms-response-type"] == "error"
    error = answer.json()["error"]
    assert (error["code"], error["message"]) == ("UserError", "The specified resource was not found.")
    assert error["details"][0]["code"] == "ModelNotFound"
    assert [i["type"] for i in error["additionalInfo"]] == [
        "ComponentName",
        "Correlation",
        "Environment",
        "Location",
        "Time",
    ]


def test_missing_workspace_is_the_gateway_404(rest: Rest) -> None:
    sc = rest.emulator.scenario
    answer = rest.get(sc.workspace_id("nope"))
    assert (answer.status_code, answer.headers["x-ms-failure-cause"]) == (404, "gateway")
    assert answer.json() == {
        "error": {
            "code": "ResourceNotFound",
            "message": f"The Resource 'Microsoft.MachineLearningServices/workspaces/nope' under resource group "
            f"'{sc.resource_group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
        }
    }


def test_lists_page_with_next_link_and_skip_token(rest: Rest) -> None:
    rest.emulator.settings.page_size = 2
    for n in range(5):
        assert rest.put(f"{rest.project}/data/d{n}/versions/1", data_body()).status_code == 201
    first = rest.get(f"{rest.project}/data").json()
    assert len(first["value"]) == 2 and "$skipToken=2" in first["nextLink"]
    assert first["nextLink"].startswith(rest.emulator.base_url + rest.project + "/data?")
    assert sorted(c["name"] for c in rest.all_pages(f"{rest.project}/data")) == [f"d{n}" for n in range(5)]
    last = rest.get(f"{rest.project}/data", **{"$skipToken": "4"}).json()
    assert [c["name"] for c in last["value"]] == ["d4"] and "nextLink" not in last


def test_default_datastore_by_filter_and_its_secrets(rest: Rest, azurite: Azurite) -> None:
    every = rest.get(f"{rest.project}/datastores").json()["value"]
    assert [d["name"] for d in every][-1] == "workspaceblobstore" and len(every) == 3
    (default,) = rest.get(f"{rest.project}/datastores", isDefault="true").json()["value"]
    props = default["properties"]
    assert (default["name"], props["credentials"], props["description"]) == (
        "workspaceblobstore",
        {"credentialsType": "None"},
        None,
    )
    secrets = f"{rest.project}/datastores/workspaceblobstore/listSecrets"
    assert rest.post(secrets, {"expirableSecret": True, "expireAfterHours": 1}).status_code == 400
    rest.emulator.settings.datastore_credentials = "AccountKey"
    answer = rest.post(secrets, {"expirableSecret": True, "expireAfterHours": 1})
    assert answer.status_code == 200 and answer.json()["secretsType"] == "Sas"
    sas = answer.json()["sasToken"]
    assert sas.startswith("?") and "sig=" in sas
    from azure.storage.blob import ContainerClient

    container = ContainerClient(
        azurite.blob_endpoint,
        props["containerName"],
        credential=sas[1:],
        connection_verify=str(rest.emulator.certs.ca),
    )
    container.upload_blob("LocalUpload/x/train.jsonl", b"{}\n")  # the SAS is valid for Azurite
    assert [b.name for b in container.list_blobs()] == ["LocalUpload/x/train.jsonl"]
    assert rest.post(secrets, {"expirableSecret": True, "expireAfterHourz": 1}).status_code == 400


def test_job_body_is_shaped_like_the_recorded_one(rest: Rest) -> None:
    rest.put(f"{rest.project}/data/train/versions/1", data_body())
    made = rest.put(f"{rest.project}/jobs/ft1", _job(rest), JOBS_API)
    assert made.status_code == 201 and made.headers["Location"].endswith(f"/jobs/ft1?api-version={JOBS_API}")
    props = made.json()["properties"]
    assert props["services"] is None and props["identity"] is None and props["computeId"] is None
    assert props["resources"] == {"instanceTypes": []} and props["queueSettings"] is None
    details = props["fineTuningDetails"]
    assert (
        details["trainingData"]["mode"] == "ReadOnlyMount" and details["trainingData"]["description"] is None
    )
    assert props["outputs"]["registered_model"] == {
        "description": None,
        "uri": None,
        "assetName": "phi4-support",
        "mode": "ReadWriteMount",
        "jobOutputType": "mlflow_model",
    }
    system = props["properties"]
    assert system["azureml.trainingData.assetId"] == details["trainingData"]["uri"]
    assert (system["_fineTuningJobType"], system["azureml.ModelName"]) == ("MaaS", "Phi-4-mini-instruct")
    assert set(made.json()["systemData"]) == {"createdAt", "createdBy", "createdByType"}
    old = rest.get(f"{rest.project}/jobs/ft1", "2024-01-01-preview").json()["properties"]
    assert "resources" not in old and old["secretsConfiguration"] is None
    assert old["outputs"]["registered_model"]["assetVersion"] is None
    while rest.get(f"{rest.project}/jobs/ft1", JOBS_API).json()["properties"]["status"] != "Completed":
        pass
    done = rest.get(f"{rest.project}/jobs/ft1", JOBS_API).json()["properties"]
    assert done["outputs"]["registered_model"]["uri"].endswith("/models/phi4-support/versions/1")
    assert "assetVersion" not in done["outputs"]["registered_model"]
    assert "StartTimeUtc" in done["properties"]


def test_job_data_must_exist(rest: Rest) -> None:
    answer = rest.put(
        f"{rest.project}/jobs/ft1",
        _job(
            rest,
        ),
        JOBS_API,
    )
    assert answer.status_code == 400 and "Could not find asset with ID" in answer.json()["error"]["message"]
    store = _job(rest)
    store["properties"]["fineTuningDetails"]["trainingData"]["uri"] = (
        "azureml://datastores/nostore/paths/t.jsonl"
    )
    store["properties"]["fineTuningDetails"].pop("validationData")
    assert (
        "Datastore nostore"
        in rest.put(f"{rest.project}/jobs/ft1", store, JOBS_API).json()["error"]["message"]
    )
    store["properties"]["fineTuningDetails"]["trainingData"]["uri"] = (
        "azureml://datastores/workspaceblobstore/paths/t.jsonl"
    )
    assert rest.put(f"{rest.project}/jobs/ft1", store, JOBS_API).status_code == 201
    rest.emulator.settings.require_job_data = False
    assert rest.put(f"{rest.project}/jobs/ft2", _job(rest, data="nope"), JOBS_API).status_code == 201
    assert rest.emulator.world.created["jobs"] == 2


def test_serverless_job_outside_the_models_regions_is_refused_as_recorded(rest: Rest) -> None:
    rest.emulator.settings.require_job_data = False
    model = rest.emulator.world.registry_models[("azureml", "Phi-4-mini-instruct")]["3"]
    model.tags["maas-finetuning-deploy-regions"] = "westus3, swedencentral"
    answer = rest.put(f"{rest.project}/jobs/ft1", _job(rest), JOBS_API)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["message"] == "Phi-4-mini-instruct : Serverless FineTuning not supported in eastus2."
    assert error["additionalInfo"][-1] == {
        "type": "InnerError",
        "info": {"value": {"code": "ModelNotSupportedByMaaS", "innerError": None}},
    }
    managed = _job(rest, computeId="gpu-cluster")  # managed compute is not a serverless job
    assert rest.put(f"{rest.project}/jobs/ft1", managed, JOBS_API).status_code == 201


def test_cancel_answers_202_with_only_a_location(rest: Rest) -> None:
    rest.emulator.settings.require_job_data = False
    rest.put(f"{rest.project}/jobs/ft1", _job(rest), JOBS_API)
    answer = rest.post(f"{rest.project}/jobs/ft1/cancel", None, JOBS_API)
    assert answer.status_code == 202 and answer.content == b""
    assert answer.headers["Location"].endswith(f"/jobs/ft1?api-version={JOBS_API}")
    assert "Azure-AsyncOperation" not in answer.headers and "retry-after-ms" not in answer.headers
    assert rest.get(f"{rest.project}/jobs/ft1", JOBS_API).json()["properties"]["status"] == "Canceled"


def test_endpoint_shape_patch_and_delete(rest: Rest) -> None:
    path = f"{rest.project}/serverlessEndpoints/bot"
    made = rest.put(path, endpoint_body("azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3"))
    assert made.status_code == 201
    body = made.json()
    assert set(body) == {
        "id",
        "name",
        "type",
        "properties",
        "systemData",
        "tags",
        "location",
        "kind",
        "identity",
        "sku",
    }
    assert set(body["sku"]) == {"name", "tier", "size", "family", "capacity"}
    assert body["properties"]["marketplaceSubscriptionId"] is None
    patched = rest.patch(path, {"tags": {"owner": "ops"}})
    assert (patched.status_code, patched.json()["tags"]) == (200, {"owner": "ops"})
    assert rest.patch(path, {"tagz": {}}).status_code == 400
    assert rest.patch(f"{rest.project}/serverlessEndpoints/none", {"tags": {}}).status_code == 404
    gone = rest.delete(path)
    assert gone.status_code == 202 and gone.content == b""
    assert {"Azure-AsyncOperation", "Location"} <= set(gone.headers)
    rest.get(gone.headers["Azure-AsyncOperation"], None)
    rest.get(gone.headers["Azure-AsyncOperation"], None)
    assert rest.delete(path).status_code == 204


def test_a_misspelt_member_and_a_bad_enum_are_400_with_one_detail_each(rest: Rest) -> None:
    body = endpoint_body("azureml://registries/azureml/models/Phi-4/versions/3", safety="Maybe")
    body["properties"]["contentSafetyy"] = body["properties"].pop("contentSafety")
    body["properties"]["contentSafetyy"]["contentSafetyStatus"] = "Enabled"
    body["properties"]["authMode"] = "Token"
    answer = rest.put(f"{rest.project}/serverlessEndpoints/bot", body)
    assert answer.status_code == 400
    messages = [d["message"] for d in answer.json()["error"]["details"]]
    assert messages[0].startswith(
        "Could not find member 'contentSafetyy' on object of type 'ServerlessEndpointProperties'."
    )
    assert messages[1].startswith(
        "Error converting value \"Token\" to type 'ServerlessInferenceEndpointAuthMode'"
    )
    assert rest.emulator.world.created["endpoints"] == 0


def test_faults_by_path_reach_the_new_routes(rest: Rest) -> None:
    rest.emulator.faults.add("status", method="GET", path="/registrymanagement/", status=503)
    sc = rest.emulator.scenario
    discovery = "/registrymanagement/v1.0/registries/azureml/discovery"
    assert rest.get(discovery, "v1.0").status_code == 503
    assert rest.get(discovery, "v1.0").json()["subscriptionId"] == sc.registry_subscription_id
