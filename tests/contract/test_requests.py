"""The emulator's request checker (tests/emulator/contract.py) against request bodies the real service
accepted or rejected (fixtures/), and against the bodies the product sends.

- Every recorded ACCEPTED body passes, and the emulator accepts it end to end.
- The recorded body refused for its SCHEMA (job-put-400-unknown-member.json) fails with the recorded
  details; the bodies refused for their REGION got past the service's deserializer, so they pass the
  checker and are refused by the emulator's region rule (tests/contract/test_responses.py).
- The product's bodies (ops/azure/*: described in tests/emulator/client.py) pass; misspelt members and
  out-of-range enum values fail, so the checker can fail.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.contract.shapes import fixture, to_project, without_position
from tests.emulator.client import Rest, data_body, endpoint_body, finetune_body
from tests.emulator.contract import problems

ACCEPTED = [
    ("recordings/finetuning-maap-put-queue-settings.json", "JobBase"),
    ("recordings/finetuning-maap-put-instance-types.json", "JobBase"),
    ("recordings/data-version-put-uri-file.json", "DataVersionBase"),
    ("recordings/model-version-put.json", "ModelVersion"),
]
EXAMPLES = [
    ("rest-examples/finetuning-job-create.json", "JobBase"),
    ("rest-examples/serverless-endpoint-create.json", "ServerlessEndpoint"),
    ("rest-examples/data-version-create.json", "DataVersionBase"),
    ("rest-examples/serverless-endpoint-regeneratekeys.json", "RegenerateEndpointKeysRequest"),
]
REFUSED_FOR_REGION = [
    ("recordings/finetuning-serverless-put-400.json", "JobBase"),
    ("recordings/finetuning-aoai-put-400.json", "JobBase"),
    ("registry-and-metrics/maas-finetuning-region-not-supported-400.json", "JobBase"),
]


@pytest.mark.parametrize(("name", "model"), ACCEPTED + REFUSED_FOR_REGION)
def test_recorded_bodies_that_got_past_deserialization_pass(name: str, model: str) -> None:
    assert problems(fixture(name)["request"]["body"], model) == []


@pytest.mark.parametrize(("name", "model"), EXAMPLES)
def test_rest_example_request_bodies_pass(name: str, model: str) -> None:
    assert problems(fixture(name)["parameters"]["body"], model) == []


@pytest.mark.parametrize(("name", "model"), ACCEPTED)
def test_recorded_accepted_bodies_are_accepted_end_to_end(rest: Rest, name: str, model: str) -> None:
    recorded = fixture(name)
    path = to_project(recorded["request"]["path"], rest.project)
    answer = rest.put(path, recorded["request"]["body"], recorded["request"]["api_version"])
    assert answer.status_code == recorded["response"]["status"] == 201, answer.text


def test_the_recorded_schema_refusal_fails_with_the_recorded_details() -> None:
    recorded = fixture("recordings/job-put-400-unknown-member.json")
    found = problems(recorded["request"]["body"], "JobBase")
    real = recorded["response"]["body"]["error"]["details"]
    assert [(p.code, without_position(p.message)) for p in found] == [
        (d["code"], without_position(d["message"])) for d in real
    ]
    assert [p.where for p in found] == [
        "body.properties.outputs.test2.assetVersion",
        "body.properties.outputs.test3.assetVersion",
    ]


# --- what the product sends ---------------------------------------------------------------------
def _product_job(rest: Rest) -> dict[str, Any]:
    sc = rest.emulator.scenario
    return finetune_body(sc.subscription_id, sc.resource_group, sc.project_name)


def test_product_bodies_pass_and_are_accepted(rest: Rest) -> None:
    """Data version PUT (2024-10-01), FineTuning job PUT (2024-10-01-preview), serverless endpoint PUT
    (2024-10-01) and PATCH {tags}: the bodies ops/azure/ builds."""
    data = data_body()
    assert problems(data, "DataVersionBase") == []
    assert rest.put(f"{rest.project}/data/train/versions/1", data).status_code == 201
    job = _product_job(rest)
    assert problems(job, "JobBase") == []
    assert rest.put(f"{rest.project}/jobs/ft1", job, "2024-10-01-preview").status_code == 201
    managed = _product_job(rest)
    managed["properties"].update(
        computeId="gpu-cluster", resources={"instanceTypes": ["Standard_NC24ads_A100_v4"]}
    )
    assert problems(managed, "JobBase") == []
    endpoint = endpoint_body("azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3")
    assert problems(endpoint, "ServerlessEndpoint") == []
    path = f"{rest.project}/serverlessEndpoints/bot"
    assert rest.put(path, endpoint).status_code == 201
    assert problems({"tags": {"a": "b"}}, "PartialMinimalTrackedResourceWithSkuAndIdentity") == []
    assert rest.patch(path, {"tags": {"a": "b"}}).status_code == 200
    secrets = {"expirableSecret": True, "expireAfterHours": 1}  # what azure-ai-ml sends (recorded)
    assert problems(secrets, "SecretExpiry") == []


@pytest.mark.parametrize(
    ("mutate", "start"),
    [
        (
            lambda b: b["properties"].__setitem__("contentSafetyy", b["properties"].pop("contentSafety")),
            "Could not find member 'contentSafetyy' on object of type 'ServerlessEndpointProperties'.",
        ),
        (
            lambda b: b["properties"]["contentSafety"].__setitem__("contentSafetyStatus", "Maybe"),
            "Error converting value \"Maybe\" to type 'ContentSafetyStatus'",
        ),
        (
            lambda b: b["sku"].__setitem__("nmae", "Consumption"),
            "Could not find member 'nmae' on object of type 'Sku'.",
        ),
    ],
)
def test_misspelt_endpoint_bodies_fail(rest: Rest, mutate: Any, start: str) -> None:
    body = endpoint_body("azureml://registries/azureml/models/Phi-4/versions/3")
    mutate(body)
    (problem,) = problems(body, "ServerlessEndpoint")
    assert problem.message.startswith(start)
    answer = rest.put(f"{rest.project}/serverlessEndpoints/bot", body)
    assert answer.status_code == 400 and answer.json()["error"]["details"][0]["message"] == problem.message


@pytest.mark.parametrize(
    ("mutate", "start"),
    [
        (
            lambda d: d["trainingData"].__setitem__("jobInputType", "uri_fil"),
            "Error converting value \"uri_fil\" to type 'JobInputType'",
        ),
        (
            lambda d: d.__setitem__("hyperparameters", d.pop("hyperParameters")),
            "Could not find member 'hyperparameters' on object of type 'CustomModelFineTuning'.",
        ),
        (
            lambda d: d.__setitem__("taskType", "Chat"),
            "Error converting value \"Chat\" to type 'FineTuningTaskType'",
        ),
    ],
)
def test_misspelt_job_bodies_fail(rest: Rest, mutate: Any, start: str) -> None:
    body = _product_job(rest)
    mutate(body["properties"]["fineTuningDetails"])
    (problem,) = problems(body, "JobBase")
    assert problem.message.startswith(start)


def test_misspelt_data_body_fails() -> None:
    body = copy.deepcopy(data_body())
    body["properties"]["datauri"] = body["properties"].pop("dataUri")
    messages = [p.message for p in problems(body, "DataVersionBase")]
    assert [m.split(" Path")[0] for m in messages] == [
        "Could not find member 'datauri' on object of type 'UriFileDataVersion'.",
        "Required property 'dataUri' not found in JSON (object of type 'UriFileDataVersion').",
    ]
