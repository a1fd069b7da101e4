"""The emulation as the real azure-ai-ml and azure-storage-blob call it (custom cloud via
ARM_CLOUD_METADATA_URL, token from the emulator's Entra endpoints, TLS through the CA bundle)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.azurite import Azurite
from tests.emulator.server import Emulator


@pytest.fixture
def ml(emulator_env: dict[str, str], azure_emulator: Emulator) -> Any:
    from azure.ai.ml import MLClient

    from core.cloud import resolve_cloud
    from core.credential import build_credential

    sc = azure_emulator.scenario
    credential = build_credential(resolve_cloud(None))
    return MLClient(
        credential, sc.subscription_id, sc.resource_group, sc.project_name, enable_telemetry=False
    )


def _submit(ml: Any, data_id: str) -> Any:
    from azure.ai.ml.finetuning import create_finetuning_job

    job = create_finetuning_job(
        model="azureml://registries/azureml/models/Phi-4-mini-instruct/versions/1",
        training_data=data_id,
        validation_data=data_id,
        hyperparameters={"learning_rate": "0.0002", "num_train_epochs": "1"},
        task="ChatCompletion",
        output_model_name_prefix="phi4-ft",
    )
    return ml.jobs.create_or_update(job)


def _data(ml: Any) -> str:
    from azure.ai.ml.entities import Data

    asset = Data(
        name="train",
        version="1",
        type="uri_file",
        path="azureml://datastores/workspaceblobstore/paths/train.jsonl",
    )
    return str(ml.data.create_or_update(asset).id)


def test_project_workspace_and_default_datastore(ml: Any, azure_emulator: Emulator) -> None:
    workspace = ml.workspaces.get(azure_emulator.scenario.project_name)
    assert type(workspace).__name__ == "Project"
    store = ml.datastores.get_default()
    assert (store.name, store.account_name) == ("workspaceblobstore", "devstoreaccount1")


def test_finetuning_job_progresses_and_registers_a_model(ml: Any, azure_emulator: Emulator) -> None:
    job = _submit(ml, _data(ml))
    assert job.status == "Queued"
    seen = []
    for _ in range(10):
        status = ml.jobs.get(job.name).status
        seen.append(status)
        if status == "Completed":
            break
    assert seen[-1] == "Completed"
    assert set(seen) <= {"Preparing", "Running", "Finalizing", "Completed"}
    output = ml.jobs.get(job.name).outputs["registered_model"]
    assert output.path.endswith("/models/phi4-ft/versions/1")
    assert [m.version for m in ml.models.list("phi4-ft")] == ["1"]
    put = [r for r in azure_emulator.requests if r["method"] == "PUT" and "/jobs/" in r["path"]]
    assert [r["api_version"] for r in put] == ["2024-10-01-preview"]


def test_job_fail_fault_carries_the_service_message(ml: Any, azure_emulator: Emulator) -> None:
    azure_emulator.faults.add(
        "job_fail", method="PUT", path="/jobs/", code="UserError", message="Training data has invalid schema"
    )
    job = _submit(ml, _data(ml))
    for _ in range(10):
        got = ml.jobs.get(job.name)
        if got.status in ("Completed", "Failed"):
            break
    assert got.status == "Failed"
    assert got.properties["azureml.failureReason"] == "Training data has invalid schema"
    details = ml.jobs._runs_operations.get_run_details(job.name)  # run history, via the discoveryUrl
    assert (details.error.error.code, details.error.error.message) == (
        "UserError",
        "Training data has invalid schema",
    )
    assert azure_emulator.world.models == {}


def test_cancel(ml: Any) -> None:
    job = _submit(ml, _data(ml))
    ml.jobs.begin_cancel(job.name).result()
    assert ml.jobs.get(job.name).status == "Canceled"


def test_endpoint_of_a_fine_tuned_model_guards_the_model(ml: Any, azure_emulator: Emulator) -> None:
    from azure.ai.ml.entities import ServerlessEndpoint
    from azure.core.exceptions import HttpResponseError

    job = _submit(ml, _data(ml))
    while ml.jobs.get(job.name).status != "Completed":
        pass
    sc = azure_emulator.scenario
    model_id = (
        f"azureml://locations/{sc.location}/workspaces/{sc.workspace_guid(sc.project_name)}"
        "/models/phi4-ft/versions/1"
    )
    endpoint = ml.serverless_endpoints.begin_create_or_update(
        ServerlessEndpoint(name="ft", model_id=model_id)
    ).result()
    assert endpoint.provisioning_state == "succeeded"
    with pytest.raises(HttpResponseError, match="one deployment"):
        ml.serverless_endpoints.begin_create_or_update(
            ServerlessEndpoint(name="ft2", model_id=model_id)
        ).result()
    assert _delete(azure_emulator, "/models/phi4-ft/versions/1").status_code == 409  # deployed: refused
    ml.serverless_endpoints.begin_delete("ft").result()
    assert [e.name for e in ml.serverless_endpoints.list()] == []
    assert azure_emulator.count("DELETE", "/serverlessEndpoints/ft", status=202) == 1
    assert _delete(azure_emulator, "/models/phi4-ft/versions/1").status_code == 200
    assert _delete(azure_emulator, "/models/phi4-ft/versions/1").status_code == 204
    assert _delete(azure_emulator, "/models/phi4-ft").status_code == 200


def _delete(emulator: Emulator, path: str) -> Any:
    import requests

    from tests.ops.arm.helpers import token

    sc = emulator.scenario
    return requests.delete(
        f"{emulator.base_url}{sc.workspace_id(sc.project_name)}{path}",
        params={"api-version": "2024-04-01"},
        headers={"Authorization": f"Bearer {token(emulator)}"},
        verify=str(emulator.certs.ca),
        timeout=10,
    )


def test_lro_fail_leaves_a_failed_endpoint(ml: Any, azure_emulator: Emulator) -> None:
    from azure.ai.ml.entities import ServerlessEndpoint
    from azure.core.exceptions import HttpResponseError

    azure_emulator.faults.add("lro_fail", method="PUT", path="/serverlessEndpoints/x", message="capacity")
    with pytest.raises(HttpResponseError, match="capacity"):
        ml.serverless_endpoints.begin_create_or_update(
            ServerlessEndpoint(name="x", model_id="azureml://registries/azureml/models/Phi-4")
        ).result()
    assert ml.serverless_endpoints.get("x").provisioning_state == "failed"


def test_blob_upload_to_azurite_with_a_token(
    emulator_env: dict[str, str], azure_emulator: Emulator, azurite: Azurite
) -> None:
    from azure.storage.blob import BlobServiceClient

    from core.cloud import resolve_cloud
    from core.credential import build_credential

    cloud = resolve_cloud(None)
    assert cloud.blob_endpoint == azurite.blob_endpoint
    client = BlobServiceClient(
        cloud.blob_endpoint,
        credential=build_credential(cloud),
        connection_verify=cloud.ca_bundle,  # type: ignore[arg-type]
    )
    guid = azure_emulator.scenario.workspace_guid(azure_emulator.scenario.project_name)
    container = client.get_container_client(f"azureml-blobstore-{guid}")
    container.upload_blob("data/train.jsonl", b'{"messages": []}\n')
    assert [b.name for b in container.list_blobs()] == ["data/train.jsonl"]


def test_standalone_launcher_writes_env_and_stops(tmp_path: Path) -> None:
    env_file = tmp_path / "emulator.env"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.emulator",
            "--env-file",
            str(env_file),
            "--workdir",
            str(tmp_path / "w"),
        ],
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not env_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        text = env_file.read_text(encoding="utf-8")
        values = dict(line.removeprefix("export ").split("=", 1) for line in text.splitlines())
        assert values["FOUNDRY_CLOUD"] == "custom"
        assert values["FOUNDRY_BLOB_ENDPOINT"].startswith("https://127.0.0.1:")
        assert os.path.isfile(values["FOUNDRY_OUTPUTS"])
        print(f"launcher ready in {time.perf_counter() - started:.2f} s")
    finally:
        proc.terminate()
        assert proc.wait(timeout=15) == 0
