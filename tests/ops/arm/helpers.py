"""Arrange state in the emulator the way a client would: over HTTPS with a token it issued."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.server import Emulator

API = "2024-10-01"


def token(emulator: Emulator) -> str:
    sc = emulator.scenario
    response = requests.post(
        f"{emulator.base_url}/{sc.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": sc.client_id,
            "client_secret": sc.client_secret,
            "scope": emulator.base_url + "/.default",
        },
        verify=str(emulator.certs.ca),
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def deploy_endpoint(
    emulator: Emulator,
    name: str,
    model_id: str = "azureml://registries/azureml/models/Phi-4-mini-instruct",
    *,
    content_safety: bool = True,
    wait: bool = True,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    """PUT a serverless endpoint in the project and (with `wait`) poll its operation to the end."""
    sc = emulator.scenario
    headers = {"Authorization": f"Bearer {token(emulator)}"}
    url = f"{emulator.base_url}{sc.workspace_id(sc.project_name)}/serverlessEndpoints/{name}"
    body = {
        "location": sc.location,
        "sku": {"name": "Consumption"},
        "tags": tags or {},
        "properties": {
            "authMode": "Key",
            "modelSettings": {"modelId": model_id},
            "contentSafety": {"contentSafetyStatus": "Enabled" if content_safety else "Disabled"},
        },
    }
    ca = str(emulator.certs.ca)
    response = requests.put(
        url, params={"api-version": API}, json=body, headers=headers, verify=ca, timeout=10
    )
    assert response.status_code == 201, response.text
    if not wait:
        created: dict[str, Any] = response.json()
        return created
    monitor = response.headers["Azure-AsyncOperation"]
    for _ in range(10):
        if requests.get(monitor, headers=headers, verify=ca, timeout=10).json()["status"] != "InProgress":
            break
    result: dict[str, Any] = requests.get(
        url, params={"api-version": API}, headers=headers, verify=ca, timeout=10
    ).json()
    assert result["properties"]["provisioningState"] == "Succeeded"
    return result
