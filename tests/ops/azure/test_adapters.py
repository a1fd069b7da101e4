"""The adapters against the emulator over real HTTPS: LROs, the shared retries, error translation."""

from __future__ import annotations

import dataclasses

import pytest

from core.errors import AuthError, AzureError, JobFailedError, NotFoundError
from ops.app import App
from ops.azure.errors import TransientError
from ops.flows.preflight import register
from ops.polling import PollPolicy
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock

FAST = PollPolicy(initial=1, factor=1, maximum=1)


def test_register_waits_until_registered(app: App, azure_emulator: Emulator, clock: FakeClock) -> None:
    azure_emulator.settings.register_polls = 3
    assert app.providers.state("Microsoft.Network") == "NotRegistered"
    assert register(app, "Microsoft.Network", FAST) == "Registered"
    gets = [
        r for r in azure_emulator.requests if r["method"] == "GET" and r["path"].endswith("Microsoft.Network")
    ]
    assert len(gets) == 1 + 4  # before, then Registering x3 and Registered
    assert clock.sleeps == [1, 1, 1]  # the shared polling policy, on the App's clock


def test_register_post_is_retried_after_a_reset(app: App, azure_emulator: Emulator) -> None:
    azure_emulator.faults.add("reset", method="POST", path="/register$")
    assert register(app, "Microsoft.Network", FAST) == "Registered"
    assert [r["status"] for r in azure_emulator.requests if r["path"].endswith("/register")] == ["reset", 200]


def test_keys_survive_reset_and_500(app: App, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    azure_emulator.faults.add("reset_after", method="POST", path="/listKeys")
    azure_emulator.faults.add("status", method="POST", path="/listKeys", status=500)
    keys = app.endpoints.keys("bot")
    stored = azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]
    assert keys == {"primary": stored["primaryKey"], "secondary": stored["secondaryKey"]}
    assert [r["status"] for r in azure_emulator.requests if r["path"].endswith("/listKeys")] == [
        "reset",
        500,
        200,
    ]


def test_missing_endpoint_is_not_found(app: App) -> None:
    with pytest.raises(NotFoundError, match=r"^reading endpoint nope: "):
        app.endpoints.get("nope")


def test_failed_operation_raises_with_the_service_message(app: App, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    azure_emulator.faults.add("lro_fail", method="PUT", message="Internal error while updating")
    with pytest.raises(JobFailedError, match="Internal error while updating") as caught:
        app.endpoints.begin_set_content_safety("bot", False, FAST).result()
    assert caught.value.exit_code == 3


def test_untrusted_tls_names_the_ca_bundle(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    monkeypatch.delenv("SSL_CERT_FILE")
    app.cloud = dataclasses.replace(app.cloud, ca_bundle=None)
    with pytest.raises(AzureError) as caught:
        app.workspaces.get()
    assert "FOUNDRY_CA_BUNDLE" in str(caught.value.hint)
    assert "TLS failed" in str(caught.value)


def test_wrong_subscription_is_translated(app: App) -> None:
    app.outputs = dataclasses.replace(app.outputs, subscription_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFoundError, match="SubscriptionNotFound"):
        app.providers.permissions()


def test_inference_errors(app: App, azure_emulator: Emulator) -> None:
    endpoint = deploy_endpoint(azure_emulator, "bot")
    uri = endpoint["properties"]["inferenceEndpoint"]["uri"]
    with pytest.raises(AuthError, match="refused the key"):
        app.inference.chat(uri, "wrong-key", [{"role": "user", "content": "hi"}])
    key = azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]["secondaryKey"]
    azure_emulator.faults.add("status", path="/chat/completions", status=503, retry_after=0, count=2)
    azure_emulator.faults.add("reset", path="/chat/completions")
    ok = app.inference.chat(uri, key, [{"role": "user", "content": "hi"}])
    assert ok.text == "bot answers: hi" and ok.logprobs is None and ok.usage["total_tokens"] > 0
    assert ok.attempts == 4
    azure_emulator.faults.add("status", path="/chat/completions", status=500, count=6)
    with pytest.raises(
        TransientError, match=r"answered 500: InternalServerError: injected fault \(after 6 attempts\)"
    ):
        app.inference.chat(uri, key, [{"role": "user", "content": "hi"}])
    azure_emulator.settings.logprobs = True
    scored = app.inference.chat(uri, key, [{"role": "user", "content": "hi"}], logprobs=True)
    assert scored.logprobs is not None and len(scored.logprobs) == 3


def test_the_project_is_addressed_by_the_id_the_stack_reports(app: App, azure_emulator: Emulator) -> None:
    """The adapters use the stack's project_id as it is, instead of rebuilding it from its parts. The
    service spells the segment both ways itself (tests/contract recording model-version-put.json:
    `resourceGroups` in the id, `resourcegroups` in the datastore path), and ARM matches request paths
    case-insensitively (the RPC contract, as quoted in Azure/azure-rest-api-specs#8353)."""
    deploy_endpoint(azure_emulator, "bot")
    spelt = app.outputs.project_id.replace("/resourceGroups/", "/resourcegroups/")
    app.outputs = dataclasses.replace(app.outputs, project_id=spelt)
    assert [e.name for e in app.endpoints.list()] == ["bot"]
    listed = [r["path"] for r in azure_emulator.requests if r["path"].endswith("/serverlessEndpoints")]
    assert listed[-1] == f"{spelt}/serverlessEndpoints"
