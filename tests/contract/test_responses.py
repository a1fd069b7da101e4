"""Each emulator route family answers with the status, protocol headers and body structure (keys, casing,
JSON kinds) of the matching fixture: real recordings (fixtures/recordings, fixtures/registry-and-metrics)
or Microsoft's REST examples (fixtures/rest-examples, placeholder values). See fixtures/SOURCES.md.

A test sends the emulator the recorded request (ids moved to the emulated project) and compares the
answers with tests/contract/shapes.py. test_every_check_can_fail shows each kind of check refusing a
deliberately wrong answer.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import requests

from tests.contract.shapes import fixture, header_diff, shape_diff, to_project
from tests.emulator.client import Rest, data_body, endpoint_body, finetune_body
from tests.emulator.state import RegistryModelVersion

# What the schema-generated FineTuning job examples show that the live answers contradict: a
# `fineTuningDetails.queueSettings` (queueSettings is a member of the job, recordings/finetuning-maap-put-
# queue-settings.json) and systemData lastModified* (a live job has only created*, recorded).
JOB_EXAMPLE_ARTEFACTS = (
    "properties.fineTuningDetails.queueSettings",
    "systemData.lastModifiedAt",
    "systemData.lastModifiedBy",
    "systemData.lastModifiedByType",
)

# Workspace members the emulator shows but the 2023-08-01-preview recordings lack: the stack sets
# systemDatastoresAuthMode=identity (a newer member; unverified against a recording).
WORKSPACE_EXTRA = ("properties.systemDatastoresAuthMode",)


def check(
    recorded: dict[str, Any],
    answer: requests.Response,
    resource_path: str | None = None,
    ignore: tuple[str, ...] = (),
    *,
    example: bool = False,
) -> None:
    """Status, protocol headers and body structure of `answer` against a recorded response (`example`: a
    REST example, which may leave out members the live service sends)."""
    assert answer.status_code == recorded["status"], answer.text
    assert header_diff(recorded.get("headers") or {}, answer.headers, resource_path) == []
    body = recorded.get("body")
    if body is None:
        assert answer.content == b""
    else:
        assert shape_diff(body, answer.json(), ignore, extra_ok=example) == []


def example_response(name: str, status: str) -> dict[str, Any]:
    """A REST example's response as a recorded response (its headers, its body)."""
    response = fixture(f"rest-examples/{name}.json")["responses"][status]
    return {"status": int(status), "headers": response.get("headers") or {}, "body": response.get("body")}


def _job(rest: Rest, **extra: Any) -> dict[str, Any]:
    sc = rest.emulator.scenario
    return finetune_body(sc.subscription_id, sc.resource_group, sc.project_name, **extra)


# --- data, models, datastores -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["data-version-put-uri-file", "model-version-put"])
def test_asset_version_put(rest: Rest, name: str) -> None:
    recorded = fixture(f"recordings/{name}.json")
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    check(recorded["response"], answer, resource_path=path)
    props = answer.json()["properties"]
    if name.startswith("data"):  # long form, lower-case resourcegroups, as recorded
        assert re.fullmatch(
            r"azureml://subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/datastores/workspaceblobstore/paths/.+",
            props["dataUri"],
        )
    else:  # the service answers resourceGroups whatever was sent
        assert (
            "/resourceGroups/" in props["modelUri"]
            and "/resourcegroups/" in recorded["request"]["body"]["properties"]["modelUri"]
        )


def test_data_version_get_and_container_latest(rest: Rest) -> None:
    recorded = fixture("recordings/data-version-get-uri-file.json")
    path = to_project(recorded["request"]["path"], rest.project)
    rest.put(path, fixture("recordings/data-version-put-uri-file.json")["request"]["body"])
    check(recorded["response"], rest.get(path, recorded["request"]["api_version"]))
    container = fixture("recordings/data-container-get-for-latest-label.json")
    path = to_project(container["request"]["path"], rest.project)
    rest.put(path + "/versions/foo", data_body())
    answer = rest.get(path, container["request"]["api_version"])
    check(container["response"], answer)
    props = answer.json()["properties"]
    assert (props["latestVersion"], props["nextVersion"]) == ("foo", "1")  # as recorded


def test_model_versions_list_latest(rest: Rest) -> None:
    missing = fixture("recordings/model-versions-list-latest-404-no-container.json")
    path = to_project(missing["request"]["path"], rest.project)
    query = {"$orderBy": "createdtime desc", "$top": "1"}
    answer = rest.get(path, missing["request"]["api_version"], **query)
    check(missing["response"], answer)
    assert [d["code"] for d in answer.json()["error"]["details"]] == ["ModelNotFound"]
    rest.put(
        path.rsplit("/versions", 1)[0] + "/versions/1",
        fixture("recordings/model-version-put.json")["request"]["body"],
    )
    found = fixture("recordings/model-versions-list-latest.json")
    check(found["response"], rest.get(path, found["request"]["api_version"], **query))


def test_default_datastore_and_its_sas(rest: Rest) -> None:
    rest.emulator.settings.datastore_credentials = "AccountKey"  # the recorded workspace's default store
    recorded = fixture("recordings/datastore-get-workspaceblobstore.json")
    path = to_project(recorded["request"]["path"], rest.project)
    check(recorded["response"], rest.get(path, recorded["request"]["api_version"]))
    secrets = recorded["response"]["listSecrets_entry_1"]
    answer = rest.post(path + "/listSecrets", secrets["request_body"], recorded["request"]["api_version"])
    assert answer.status_code == secrets["status"]
    assert shape_diff(secrets["response_body"], answer.json()) == []
    assert answer.json()["sasToken"].startswith("?") and "sv=" in answer.json()["sasToken"]


@pytest.mark.parametrize(
    ("name", "status"), [("data-version-delete", "200"), ("model-version-delete", "200")]
)
def test_asset_deletes_are_synchronous(rest: Rest, name: str, status: str) -> None:
    kind = "data" if name.startswith("data") else "models"
    body = (
        data_body()
        if kind == "data"
        else {"properties": {"modelType": "custom_model", "modelUri": "azureml://jobs/j/outputs/o"}}
    )
    rest.put(f"{rest.project}/{kind}/x/versions/1", body)
    check(
        example_response(name, "200"),
        rest.delete(f"{rest.project}/{kind}/x/versions/1", "2025-12-01"),
        example=True,
    )
    check(
        example_response(name, "204"),
        rest.delete(f"{rest.project}/{kind}/x/versions/1", "2025-12-01"),
        example=True,
    )
    check(
        example_response("data-container-delete", "204"),
        rest.delete(f"{rest.project}/data/none", "2025-12-01"),
        example=True,
    )


def test_model_versions_list_example_pages(rest: Rest) -> None:
    rest.emulator.settings.page_size = 1
    for version in ("1", "2"):
        rest.put(
            f"{rest.project}/models/m/versions/{version}",
            {"properties": {"modelType": "custom_model", "modelUri": "azureml://jobs/j/outputs/o"}},
        )
    recorded = example_response("model-versions-list", "200")
    answer = rest.get(f"{rest.project}/models/m/versions", "2025-12-01")
    check(recorded, answer, example=True)
    assert "$skipToken=1" in answer.json()["nextLink"]


def test_rest_examples_lack_members_the_live_service_sends(rest: Rest) -> None:
    """The 2025-12-01 examples are schema-generated and leave out members every live answer has
    (autoDeleteSetting, jobName, stage, ...): the live recordings are the reference for those."""
    rest.put(
        f"{rest.project}/models/m/versions/1",
        {"properties": {"modelType": "custom_model", "modelUri": "azureml://x"}},
    )
    live = rest.get(f"{rest.project}/models/m/versions/1", "2025-12-01").json()
    assert "properties.jobName: not in the recorded body" in shape_diff(
        example_response("model-version-get", "200")["body"], live
    )
    assert (
        shape_diff(
            fixture("recordings/model-versions-list-latest.json")["response"]["body"]["value"][0], live
        )
        == []
    )


# --- jobs -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["finetuning-maap-put-queue-settings", "finetuning-maap-put-instance-types"])
def test_finetuning_job_put(rest: Rest, name: str) -> None:
    recorded = fixture(f"recordings/{name}.json")
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    check(recorded["response"], answer, resource_path=path)
    props = answer.json()["properties"]
    assert props["fineTuningDetails"]["taskType"] == "TextCompletion"  # normalised, as recorded
    system = props["properties"]
    assert set(recorded["response"]["body"]["properties"]["properties"]) - {"StartTimeUtc"} <= set(system)


def test_finetuning_job_get_at_the_older_api_version(rest: Rest) -> None:
    put = fixture("recordings/finetuning-maap-put-queue-settings.json")
    recorded = fixture("recordings/finetuning-maap-get-running-2024-01-01-preview.json")
    path = to_project(recorded["request"]["path"], rest.project)
    rest.put(path, put["request"]["body"], put["request"]["api_version"])
    answer = rest.get(path, recorded["request"]["api_version"])
    check(recorded["response"], answer)
    assert answer.json()["properties"]["computeId"] is None  # recorded: null at this version


def test_job_list_and_cancel_examples(rest: Rest) -> None:
    rest.emulator.settings.require_job_data = False
    rest.emulator.settings.page_size = 1
    for name in ("a", "b"):
        assert rest.put(f"{rest.project}/jobs/{name}", _job(rest), "2024-10-01-preview").status_code == 201
    listed = rest.get(f"{rest.project}/jobs", "2024-10-01-preview", jobType="FineTuning")
    # the example's job has identity {AMLToken} and notificationSetting; ours sent none (null: any shape)
    ignore = tuple(f"value[].{p}" for p in JOB_EXAMPLE_ARTEFACTS)
    check(example_response("finetuning-job-list", "200"), listed, ignore=ignore, example=True)
    cancel = rest.post(f"{rest.project}/jobs/a/cancel", None, "2024-10-01-preview")
    check(example_response("job-cancel", "202"), cancel, example=True)
    assert "Azure-AsyncOperation" not in cancel.headers


def test_job_create_example_response(rest: Rest) -> None:
    rest.emulator.settings.require_job_data = False
    answer = rest.put(f"{rest.project}/jobs/a", _job(rest), "2024-10-01-preview")
    recorded = example_response("finetuning-job-create", "201")
    recorded["headers"] = {
        "Location": "<the job>"
    }  # the example shows none; the live service sends it (recorded)
    check(
        recorded, answer, resource_path=f"{rest.project}/jobs/a", ignore=JOB_EXAMPLE_ARTEFACTS, example=True
    )


@pytest.mark.parametrize(
    ("name", "registry", "model"),
    [
        ("recordings/finetuning-serverless-put-400.json", "azureml-meta", "Meta-Llama-3-8B"),
        ("recordings/finetuning-aoai-put-400.json", "azureml-meta", "Llama-2-7b"),
        (
            "registry-and-metrics/maas-finetuning-region-not-supported-400.json",
            "azureml-meta",
            "Meta-Llama-3-8B",
        ),
    ],
)
def test_region_rejection(rest: Rest, name: str, registry: str, model: str) -> None:
    """The recorded region refusal: the model's serverless regions leave out the workspace's region."""
    recorded = fixture(name)
    versions = {"8": RegistryModelVersion(tags={"maas-finetuning-deploy-regions": "westus3"})}
    versions["9"] = versions["8"]
    rest.emulator.world.registry_models[(registry, model)] = versions
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    recorded_response = dict(recorded["response"])
    recorded_response.setdefault("headers", {"x-ms-response-type": "error"})
    check(recorded_response, answer)
    expected = re.sub(
        r"in \w+\.$", f"in {rest.emulator.scenario.location}.", recorded_response["body"]["error"]["message"]
    )
    assert answer.json()["error"]["message"] == expected
    info = {i["type"]: i["info"]["value"] for i in answer.json()["error"]["additionalInfo"]}
    assert info["InnerError"] == {"code": "ModelNotSupportedByMaaS", "innerError": None}


def test_unknown_member_rejection(rest: Rest) -> None:
    recorded = fixture("recordings/job-put-400-unknown-member.json")
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    check(recorded["response"], answer)
    strip = re.compile(r", line \d+, position \d+\.$")
    ours = [(d["code"], strip.sub("", d["message"])) for d in answer.json()["error"]["details"]]
    real = [
        (d["code"], strip.sub("", d["message"])) for d in recorded["response"]["body"]["error"]["details"]
    ]
    assert ours == real


# --- workspaces, providers --------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["project", "hub"])
def test_workspace_get(rest: Rest, kind: str) -> None:
    recorded = fixture(f"recordings/workspace-get-{kind}.json")
    sc = rest.emulator.scenario
    path = sc.workspace_id(sc.project_name if kind == "project" else sc.hub_name)
    answer = rest.get(path, recorded["request"]["api_version"])
    check(recorded["response"], answer, ignore=WORKSPACE_EXTRA)
    props = answer.json()["properties"]
    assert re.fullmatch(
        r"azureml://[^/]+/mlflow/v1\.0/subscriptions/.+/workspaces/[^/]+", props["mlFlowTrackingUri"]
    )
    assert props["discoveryUrl"].endswith("/discovery")


def test_workspace_404_is_the_gateways(rest: Rest) -> None:
    recorded = fixture("recordings/workspace-get-404.json")
    answer = rest.get(
        to_project(
            recorded["request"]["path"],
            rest.emulator.scenario.rg_id + "/providers/Microsoft.MachineLearningServices/workspaces/x",
        ),
        "2023-08-01-preview",
    )
    check(recorded["response"], answer)
    assert answer.json()["error"]["message"].endswith(
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix"
    )


def test_provider_get(rest: Rest) -> None:
    sc = rest.emulator.scenario
    answer = rest.get(
        f"/subscriptions/{sc.subscription_id}/providers/Microsoft.MachineLearningServices", "2022-09-01"
    )
    check(
        example_response("provider-get", "200"),
        answer,
        ignore=("resourceTypes[].locationMappings",),
        example=True,
    )


# --- serverless endpoints ---------------------------------------------------------------------
def test_serverless_endpoint_examples(rest: Rest) -> None:
    path = f"{rest.project}/serverlessEndpoints/bot"
    made = rest.put(
        path,
        endpoint_body("azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3"),
        "2025-12-01",
    )
    created = example_response("serverless-endpoint-create", "201")
    created["headers"] = {
        "Azure-AsyncOperation": "<op>",
        "Location": "<op>",
    }  # unverified: examples show none
    check(created, made, example=True)
    got = rest.get(path, "2025-12-01")
    # contentSafetyLevel: only the GET example has it (not create/list); the emulator leaves it out
    check(
        example_response("serverless-endpoint-get", "200"),
        got,
        ignore=("properties.contentSafety.contentSafetyLevel",),
        example=True,
    )
    rest.emulator.settings.page_size = 1
    rest.put(
        f"{rest.project}/serverlessEndpoints/bot2",
        endpoint_body("azureml://registries/azureml/models/Phi-4/versions/3"),
        "2025-12-01",
    )
    check(
        example_response("serverless-endpoint-list", "200"),
        rest.get(f"{rest.project}/serverlessEndpoints", "2025-12-01"),
        example=True,
    )
    check(
        example_response("serverless-endpoint-listkeys", "200"),
        rest.post(path + "/listKeys", None, "2025-12-01"),
        example=True,
    )
    regenerate = fixture("rest-examples/serverless-endpoint-regeneratekeys.json")["parameters"]["body"]
    check(
        example_response("serverless-endpoint-regeneratekeys", "200"),
        rest.post(path + "/regenerateKeys", regenerate, "2025-12-01"),
        example=True,
    )
    check(
        example_response("serverless-endpoint-delete", "202"), rest.delete(path, "2025-12-01"), example=True
    )
    check(
        example_response("serverless-endpoint-delete", "204"),
        rest.delete(f"{rest.project}/serverlessEndpoints/none", "2025-12-01"),
        example=True,
    )


# --- registry ---------------------------------------------------------------------------------
def test_registry_routes(rest: Rest) -> None:
    sc = rest.emulator.scenario
    discovery = fixture("recordings/registry-discovery.json")
    answer = rest.get("/registrymanagement/v1.0/registries/azureml/discovery", "v1.0")
    check(fixture("registry-and-metrics/registry-discovery.json")["response"], answer)  # headers kept there
    assert shape_diff(discovery["response"]["body"], answer.json()) == []
    assert answer.json()["primaryRegionResourceProviderUri"] == rest.emulator.base_url + "/"
    base = (
        f"/mferp/managementfrontend/subscriptions/{sc.registry_subscription_id}/resourceGroups/"
        f"{sc.registry_resource_group}/providers/Microsoft.MachineLearningServices/registries/azureml/models"
    )
    query = {"$orderBy": "createdtime desc", "$top": "1"}
    empty = fixture(
        "registry-and-metrics/registry-model-versions-latest.json"
    )  # the same entry, headers kept
    answer = rest.get(f"{base}/test_267902544371/versions", empty["request"]["api_version"], **query)
    check(empty["response"], answer)
    assert answer.json() == {"value": []}  # a model without versions: an empty list, not a 404 (recorded)
    got = fixture("registry-and-metrics/registry-model-version-get.json")
    answer = rest.get(f"{base}/Phi-4-mini-instruct/versions/3", got["request"]["api_version"])
    check(got["response"], answer)
    latest = rest.get(f"{base}/Phi-4-mini-instruct/versions", empty["request"]["api_version"], **query).json()
    assert (
        shape_diff(got["response"]["body"], latest["value"][0]) == []
        and latest["value"][0]["name"] == "Phi-4-mini-instruct"
    )
    assert latest["value"][0]["id"] == "azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3"


# --- MLflow (shapes from docs, not recordings) ------------------------------------------------
def test_mlflow_shapes(rest: Rest) -> None:
    rest.emulator.settings.require_job_data = False
    rest.put(f"{rest.project}/jobs/ft1", _job(rest), "2024-10-01-preview")
    while (
        rest.get(f"{rest.project}/jobs/ft1", "2024-10-01-preview").json()["properties"]["status"]
        != "Completed"
    ):
        pass
    base = f"/mlflow/v1.0{rest.project}/api/2.0/mlflow"
    search = fixture("registry-and-metrics/mlflow-runs-search.shape.json")
    answer = rest.post(
        base + "/runs/search",
        search["request"]["body"] | {"experiment_ids": [], "filter": "tags.mlflow.rootRunId = 'ft1'"},
        None,
    )
    shape = copy.deepcopy(search["response"])
    shape["headers"] = {}
    shape["body"].pop("next_page_token")  # optional: present only when another page exists
    check(shape, answer)
    child = next(r for r in answer.json()["runs"] if r["info"]["run_id"] != "ft1")
    history = fixture("registry-and-metrics/mlflow-get-history.shape.json")
    answer = rest.get(base + "/metrics/get-history", None, run_id=child["info"]["run_id"], metric_key="loss")
    shape = copy.deepcopy(history["response"])
    shape["headers"] = {}
    shape["body"].pop("next_page_token")
    check(shape, answer)


# --- the checks themselves --------------------------------------------------------------------
def test_every_check_can_fail(rest: Rest) -> None:
    recorded = fixture("recordings/data-version-put-uri-file.json")
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    good = answer.json()
    # a response missing a member
    missing = copy.deepcopy(good)
    del missing["properties"]["autoDeleteSetting"]
    assert shape_diff(recorded["response"]["body"], missing) == ["properties.autoDeleteSetting: missing"]
    # a member the recording does not have, and one in the wrong casing
    extra = copy.deepcopy(good)
    extra["properties"]["provisioningState"] = "Succeeded"
    extra["properties"]["DataUri"] = extra["properties"].pop("dataUri")
    assert shape_diff(recorded["response"]["body"], extra) == [
        "properties.dataUri: missing (the emulator spells it 'DataUri')",
        "properties.provisioningState: not in the recorded body",
    ]
    # a different JSON kind
    kinds = copy.deepcopy(good)
    kinds["properties"]["isArchived"] = "false"
    kinds["properties"]["tags"] = []
    assert shape_diff(recorded["response"]["body"], kinds) == [
        "properties.isArchived: recorded a boolean, got string",
        "properties.tags: recorded an object, got array",
    ]
    # a missing Location, a Location naming something else, an unexpected LRO header
    assert header_diff(recorded["response"]["headers"], {}) == ["header Location: missing"]
    assert header_diff(recorded["response"]["headers"], {"Location": "https://x/elsewhere"}, path) == [
        f"header Location: 'https://x/elsewhere' does not name {path}"
    ]
    assert header_diff({}, {"Azure-AsyncOperation": "https://x"}) == [
        "header Azure-AsyncOperation: not in the recorded answer"
    ]
    assert header_diff({"x-ms-response-type": "error"}, {"x-ms-response-type": "standard"}) == [
        "header x-ms-response-type: 'standard', recorded 'error'"
    ]
    # the status
    with pytest.raises(AssertionError):
        check({**recorded["response"], "status": 200}, answer, resource_path=path)
    # the whole check on a wrong answer: the old emulator's data version (provisioningState, short URI kept)
    with pytest.raises(AssertionError):
        check(recorded["response"], _FakeResponse(201, extra, answer.headers))


class _FakeResponse(requests.Response):
    def __init__(self, status: int, body: Any, headers: Any) -> None:
        super().__init__()
        import json

        self.status_code = status
        self._content = json.dumps(body).encode()
        self.headers.update(headers)
