"""ArmClient and InferenceClient directly against the emulator: LROs, retries, error translation."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ops.azure.arm import ArmClient
from ops.azure.identity import build_credential
from ops.azure.inference import InferenceClient
from ops.cloud import resolve_cloud
from ops.errors import AuthError, AzureError, JobFailedError, NotFoundError
from ops.outputs import StackOutputs
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint


@pytest.fixture
def arm(emulator_env: dict[str, str], azure_emulator: Emulator) -> Any:
    cloud = resolve_cloud(None)
    client = ArmClient(
        cloud, build_credential(cloud), StackOutputs.from_mapping(azure_emulator.outputs(), "test")
    )
    client.sleep = lambda _seconds: None
    yield client
    client.close()


def test_register_waits_until_registered(arm: ArmClient, azure_emulator: Emulator) -> None:
    azure_emulator.settings.register_polls = 3
    assert arm.provider_state("Microsoft.Network") == "NotRegistered"
    assert arm.register_provider("Microsoft.Network") == "Registered"
    gets = [
        r for r in azure_emulator.requests if r["method"] == "GET" and r["path"].endswith("Microsoft.Network")
    ]
    assert len(gets) == 1 + 4  # before, then Registering x3 and Registered


def test_register_post_is_retried_after_a_reset(arm: ArmClient, azure_emulator: Emulator) -> None:
    azure_emulator.faults.add("reset", method="POST", path="/register$")
    assert arm.register_provider("Microsoft.Network") == "Registered"
    assert [r["status"] for r in azure_emulator.requests if r["path"].endswith("/register")] == ["reset", 200]


def test_keys_survive_reset_and_500(arm: ArmClient, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    azure_emulator.faults.add("reset_after", method="POST", path="/listKeys")
    azure_emulator.faults.add("status", method="POST", path="/listKeys", status=500)
    keys = arm.list_endpoint_keys("bot")
    assert keys == azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]
    assert [r["status"] for r in azure_emulator.requests if r["path"].endswith("/listKeys")] == [
        "reset",
        500,
        200,
    ]


def test_missing_endpoint_is_not_found(arm: ArmClient) -> None:
    with pytest.raises(
        NotFoundError, match=r"^reading endpoint nope: UserError: ServerlessEndpoint nope not found"
    ):
        arm.get_serverless_endpoint("nope")


def test_failed_operation_raises_with_the_service_message(arm: ArmClient, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    azure_emulator.faults.add("lro_fail", method="PUT", message="Internal error while updating")
    with pytest.raises(JobFailedError, match="DeploymentFailed: Internal error while updating"):
        arm.set_content_safety("bot", enabled=False)


def test_location_only_operation_is_followed(arm: ArmClient, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    azure_emulator.settings.lro_polls = 2
    response = arm.request("DELETE", f"{arm._project_path}/serverlessEndpoints/bot", what="deleting bot")
    assert response.status_code == 202
    del response.headers["Azure-AsyncOperation"]
    arm.wait_operation(response, "deleting bot")
    with pytest.raises(NotFoundError):
        arm.get_serverless_endpoint("bot")
    results = [r["status"] for r in azure_emulator.requests if "/mfeOperationResults/" in r["path"]]
    assert results == [202, 202, 204]


def test_untrusted_tls_names_the_ca_bundle(arm: ArmClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")
    arm.cloud = dataclasses.replace(arm.cloud, ca_bundle=None)
    with pytest.raises(AzureError) as caught:
        arm.get_workspace()
    assert caught.value.hint == "check the network, the cloud endpoints (--cloud) and FOUNDRY_CA_BUNDLE"


def test_wrong_subscription_is_translated(arm: ArmClient, azure_emulator: Emulator) -> None:
    arm.outputs = dataclasses.replace(arm.outputs, subscription_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError, match="SubscriptionNotFound"):
        arm.permissions()


def test_inference_errors(emulator_env: dict[str, str], azure_emulator: Emulator) -> None:
    endpoint = deploy_endpoint(azure_emulator, "bot")
    uri = endpoint["properties"]["inferenceEndpoint"]["uri"]
    client = InferenceClient(resolve_cloud(None))
    client.sleep = lambda _seconds: None
    with pytest.raises(AuthError, match="refused the key"):
        client.chat(uri, "wrong-key", [{"role": "user", "content": "hi"}])
    key = azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]["secondaryKey"]
    azure_emulator.faults.add("status", path="/chat/completions", status=503, retry_after=0, count=2)
    azure_emulator.faults.add("reset", path="/chat/completions")
    ok = client.chat(uri, key, [{"role": "user", "content": "hi"}])
    assert ok.text == "bot answers: hi" and ok.logprobs is None and ok.usage["total_tokens"] > 0
    azure_emulator.faults.add("status", path="/chat/completions", status=500, count=1)
    with pytest.raises(AzureError, match="answered 500: InternalServerError: injected fault"):
        client.chat(uri, key, [{"role": "user", "content": "hi"}])
    azure_emulator.settings.logprobs = True
    scored = client.chat(uri, key, [{"role": "user", "content": "hi"}], logprobs=True)
    assert scored.logprobs is not None and len(scored.logprobs) == 3
    client.close()
