"""A bare HTTPS client for tests that talk to the emulator the way any REST client does (a token from
its Entra endpoints, the CA bundle, ARM paths) and want the raw answer: status, headers, body."""

from __future__ import annotations

from typing import Any

import requests

from tests.emulator.server import Emulator


class Rest:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.ca = str(emulator.certs.ca)  # per request: a REQUESTS_CA_BUNDLE in the environment would win
        self.session.headers["Authorization"] = f"Bearer {self.token()}"

    def token(self, scope: str | None = None) -> str:
        sc = self.emulator.scenario
        response = requests.post(
            f"{self.emulator.base_url}/{sc.tenant_id}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": sc.client_id,
                "client_secret": sc.client_secret,
                "scope": scope or self.emulator.base_url + "/.default",
            },
            verify=str(self.emulator.certs.ca),
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    @property
    def project(self) -> str:
        """The project workspace's ARM path."""
        sc = self.emulator.scenario
        return sc.workspace_id(sc.project_name)

    def url(self, path: str) -> str:
        return path if path.startswith("https://") else self.emulator.base_url + path

    def call(
        self,
        method: str,
        path: str,
        api_version: str | None = "2024-10-01",
        body: Any = None,
        **query: str,
    ) -> requests.Response:
        params = dict(query)
        if api_version is not None and "api-version=" not in path:
            params["api-version"] = api_version
        return self.session.request(
            method,
            self.url(path),
            params=params,
            json=body,
            timeout=15,
            allow_redirects=False,
            verify=self.ca,
        )

    def get(self, path: str, api_version: str | None = "2024-10-01", **query: str) -> requests.Response:
        return self.call("GET", path, api_version, **query)

    def put(self, path: str, body: Any, api_version: str | None = "2024-10-01") -> requests.Response:
        return self.call("PUT", path, api_version, body)

    def post(self, path: str, body: Any = None, api_version: str | None = "2024-10-01") -> requests.Response:
        return self.call("POST", path, api_version, body)

    def patch(self, path: str, body: Any, api_version: str | None = "2024-10-01") -> requests.Response:
        return self.call("PATCH", path, api_version, body)

    def delete(self, path: str, api_version: str | None = "2024-10-01") -> requests.Response:
        return self.call("DELETE", path, api_version)

    def all_pages(self, path: str, api_version: str | None = "2024-10-01", **query: str) -> list[Any]:
        """Every item of a list, following nextLink as ARM clients do."""
        answer = self.get(path, api_version, **query)
        answer.raise_for_status()
        page = answer.json()
        items = list(page["value"])
        while page.get("nextLink"):
            answer = self.session.get(page["nextLink"], timeout=15, verify=self.ca)
            answer.raise_for_status()
            page = answer.json()
            items += page["value"]
        return items


def data_body(uri: str = "azureml://datastores/workspaceblobstore/paths/data/train.jsonl") -> dict[str, Any]:
    """A data version as the product registers it (ops/azure/assets.py data_version_body)."""
    return {
        "properties": {
            "dataType": "uri_file",
            "dataUri": uri,
            "description": "training data",
            "tags": {"foundry-ops": "1"},
            "properties": {},
            "isAnonymous": False,
            "isArchived": False,
        }
    }


def finetune_body(
    sub: str,
    rg: str,
    ws: str,
    data: str = "train",
    model: str = "azureml://registries/azureml/models/Phi-4-mini-instruct/versions/3",
    **extra: Any,
) -> dict[str, Any]:
    """A FineTuning job as the product submits it (ops/azure/jobs.py finetune_body)."""
    data_id = (
        f"azureml:/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearningServices"
        f"/workspaces/{ws}/data/{data}/versions/1"
    )
    props: dict[str, Any] = {
        "jobType": "FineTuning",
        "displayName": "support bot",
        "experimentName": "foundry-ops",
        "tags": {"foundry-ops": "1"},
        "properties": {},
        "isArchived": False,
        "fineTuningDetails": {
            "taskType": "ChatCompletion",
            "modelProvider": "Custom",
            "model": {"jobInputType": "mlflow_model", "uri": model},
            "trainingData": {"jobInputType": "uri_file", "uri": data_id},
            "validationData": {"jobInputType": "uri_file", "uri": data_id},
            "hyperParameters": {"num_train_epochs": "2", "learning_rate": "0.0002"},
        },
        "outputs": {"registered_model": {"jobOutputType": "mlflow_model", "assetName": "phi4-support"}},
        **extra,
    }
    return {"properties": props}


def endpoint_body(model_id: str, location: str = "eastus2", safety: str = "Enabled") -> dict[str, Any]:
    """A serverless endpoint as the product creates it (api-version 2024-10-01)."""
    return {
        "location": location,
        "sku": {"name": "Consumption"},
        "tags": {"foundry-ops": "1"},
        "properties": {
            "authMode": "Key",
            "modelSettings": {"modelId": model_id},
            "contentSafety": {"contentSafetyStatus": safety},
        },
    }
