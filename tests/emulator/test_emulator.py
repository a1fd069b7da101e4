"""Self-tests of the emulation: real SDK clients over HTTPS, contract checks, faults, request log."""

from __future__ import annotations

import os
import time

import pytest
import requests

from tests.emulator.server import Emulator


def _arm(emulator: Emulator):
    from azure.mgmt.resource.resources import ResourceManagementClient

    from core.cloud import resolve_cloud
    from core.credential import build_credential

    cloud = resolve_cloud(None)
    credential = build_credential(cloud)
    return ResourceManagementClient(
        credential,  # type: ignore[arg-type]
        emulator.scenario.subscription_id,
        base_url=cloud.arm_endpoint,
        credential_scopes=[cloud.arm_scope],
        connection_verify=cloud.ca_bundle,
        retry_backoff_factor=0.01,
    )


def test_starts_fast_on_a_free_port(tmp_path) -> None:
    started = time.perf_counter()
    with Emulator(tmp_path) as emulator:
        elapsed = time.perf_counter() - started
        assert emulator.base_url.startswith("https://127.0.0.1:")
        response = requests.get(
            emulator.base_url + "/metadata/endpoints", verify=str(emulator.certs.ca), timeout=5
        )
        assert response.status_code == 200
        assert response.json()[0]["resourceManager"] == emulator.base_url + "/"
    assert elapsed < 1.0


def test_plain_tls_without_the_ca_is_refused(azure_emulator: Emulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(azure_emulator.base_url + "/metadata/endpoints", timeout=5, verify=True)


def test_arm_needs_a_token(azure_emulator: Emulator) -> None:
    sc = azure_emulator.scenario
    url = f"{azure_emulator.base_url}/subscriptions/{sc.subscription_id}/providers/Microsoft.Network"
    response = requests.get(
        url, params={"api-version": "2021-04-01"}, verify=str(azure_emulator.certs.ca), timeout=5
    )
    assert response.status_code == 401
    assert "Bearer" in response.headers["WWW-Authenticate"]


def test_provider_registration_progresses(emulator_env: dict[str, str], azure_emulator: Emulator) -> None:
    client = _arm(azure_emulator)
    assert client.providers.get("Microsoft.Network").registration_state == "NotRegistered"
    assert client.providers.register("Microsoft.Network").registration_state == "Registering"
    assert client.providers.get("Microsoft.Network").registration_state == "Registering"
    assert client.providers.get("Microsoft.Network").registration_state == "Registered"
    assert azure_emulator.count("POST", "/providers/Microsoft.Network/register") == 1


def test_wrong_secret_is_an_entra_error(emulator_env: dict[str, str], monkeypatch) -> None:
    from core.cloud import resolve_cloud
    from core.credential import build_credential
    from core.errors import AuthError

    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    cloud = resolve_cloud(None)
    with pytest.raises(AuthError) as caught:
        build_credential(cloud).get_token(cloud.arm_scope)
    assert "AADSTS7000215" in str(caught.value)
    assert "\n" not in caught.value.one_line()


def test_status_fault_with_retry_after_is_retried(
    emulator_env: dict[str, str], azure_emulator: Emulator
) -> None:
    azure_emulator.faults.add(
        "status", method="GET", path="/providers/Microsoft.Network$", status=429, retry_after=0, count=2
    )
    assert _arm(azure_emulator).providers.get("Microsoft.Network").registration_state == "NotRegistered"
    statuses = [r["status"] for r in azure_emulator.requests if r["path"].endswith("/Microsoft.Network")]
    assert statuses == [429, 429, 200]


def test_reset_fault_drops_the_connection(azure_emulator: Emulator) -> None:
    azure_emulator.faults.add("reset", path="/metadata/endpoints")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(
            azure_emulator.base_url + "/metadata/endpoints", verify=str(azure_emulator.certs.ca), timeout=5
        )
    ok = requests.get(
        azure_emulator.base_url + "/metadata/endpoints", verify=str(azure_emulator.certs.ca), timeout=5
    )
    assert ok.status_code == 200
    assert [r["status"] for r in azure_emulator.requests] == ["reset", 200]


def test_control_routes_add_faults_and_show_the_log(azure_emulator: Emulator) -> None:
    ca = str(azure_emulator.certs.ca)
    added = requests.post(
        azure_emulator.base_url + "/_emulator/faults",
        json={"kind": "status", "status": 503, "path": "/metadata/"},
        verify=ca,
        timeout=5,
    )
    assert added.status_code == 201
    assert (
        requests.get(azure_emulator.base_url + "/metadata/endpoints", verify=ca, timeout=5).status_code == 503
    )
    log = requests.get(azure_emulator.base_url + "/_emulator/requests", verify=ca, timeout=5).json()["value"]
    assert [(r["path"], r["status"], r["fault"]) for r in log] == [("/metadata/endpoints", 503, "status")]
    bad = requests.post(
        azure_emulator.base_url + "/_emulator/faults", json={"kind": "nope"}, verify=ca, timeout=5
    )
    assert bad.status_code == 400


def test_env_is_ordinary_configuration(azure_emulator: Emulator) -> None:
    env = azure_emulator.env()
    assert env["FOUNDRY_CLOUD"] == "custom"
    assert os.path.isfile(env["FOUNDRY_CA_BUNDLE"])
    assert env["ARM_CLOUD_METADATA_URL"].startswith(azure_emulator.base_url + "/metadata/endpoints")
    assert not any("TEST" in k or "EMULATOR" in k for k in env)


def test_delay_and_skip_scope_faults(azure_emulator: Emulator) -> None:
    ca = str(azure_emulator.certs.ca)
    url = azure_emulator.base_url + "/metadata/endpoints"
    azure_emulator.faults.add("delay", path="/metadata/", seconds=0.3)
    azure_emulator.faults.add("status", method="GET", path="/metadata/", status=500, skip=1, count=1)
    started = time.perf_counter()
    assert requests.get(url, verify=ca, timeout=5).status_code == 200  # delayed, not failed (skip=1)
    assert time.perf_counter() - started >= 0.3
    assert requests.get(url, verify=ca, timeout=5).status_code == 500
    assert requests.get(url, verify=ca, timeout=5).status_code == 200
    assert [r["fault"] for r in azure_emulator.requests] == ["delay", "status", None]
    state = requests.get(azure_emulator.base_url + "/_emulator/state", verify=ca, timeout=5).json()
    assert state == {
        "created": {"jobs": 0, "endpoints": 0, "data_versions": 0, "model_versions": 0},
        "jobs": 0,
        "endpoints": 0,
        "models": 0,
        "data": 0,
    }


def test_reset_forgets_state_faults_and_log_but_keeps_the_address(tmp_path) -> None:
    from tests.ops.arm.helpers import deploy_endpoint

    with Emulator(tmp_path) as emulator:
        base_url = emulator.base_url
        deploy_endpoint(emulator, "bot")
        emulator.settings.chat_latency_s = 1.0
        emulator.faults.add("status", path="/metadata/", status=503, count=-1)
        emulator.reset()
        assert emulator.base_url == base_url
        assert emulator.world.endpoints == {} and emulator.world.created["endpoints"] == 0
        assert emulator.requests == [] and emulator.faults.list() == []
        assert emulator.settings.chat_latency_s == 0.0
        response = requests.get(base_url + "/metadata/endpoints", verify=str(emulator.certs.ca), timeout=5)
        assert response.status_code == 200  # the old 503 rule is gone
        assert deploy_endpoint(emulator, "bot")["properties"]["provisioningState"] == "Succeeded"
