"""The CLI reads what Azure really answers: recorded bodies (azure-ai-ml test recordings) and Microsoft's
published REST examples are replayed verbatim by the emulator, and the commands render them.

Each fixture names its repository, path and commit (tests/contract/fixtures/SOURCES.md). The readers are
also checked one by one on the same bodies, without HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ops.app import App
from ops.azure import records
from ops.cli import cli
from tests.emulator.server import Emulator
from tests.ops.ml.helpers import FakeClock

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


def answer(name: str, status: str = "200") -> dict[str, Any]:
    """The response body of a recording or of a REST example."""
    data = recorded(name)
    if "response" in data:
        body: dict[str, Any] = data["response"]["body"]
        return body
    example: dict[str, Any] = data["responses"][status]["body"]
    return example


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args), obj=App(clock=FakeClock()), catch_exceptions=False)
    return result


@pytest.fixture
def replay(azure_emulator: Emulator, emulator_env: dict[str, str]) -> Any:
    def add(
        method: str, path: str, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        azure_emulator.faults.add(
            "replay", method=method, path=path, status=status, body=body, headers=headers or {}, count=-1
        )

    return add


JOB = "recordings/finetuning-maap-get-running-2024-01-01-preview.json"


def test_finetune_show_renders_a_recorded_job(replay: Any) -> None:
    body = answer(JOB)
    replay("GET", f"/jobs/{body['name']}$", body)
    result = run("finetune", "show", body["name"], "-o", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "Running"
    assert shown["base_model_uri"] == "azureml://registries/azureml-meta/models/Meta-Llama-3-8B/versions/8"
    assert shown["model_version"] == "8"
    assert shown["hyperparameters"] == {
        "num_train_epochs": "1",
        "learning_rate": "0.00002",
        "per_device_train_batch_size": "1",
    }
    assert shown["training_data"].endswith("/paths/LocalUpload/00000000000000000000000000000000/train.jsonl")
    assert shown["output_model"] == "llama-3-8B-finetuned-942f4d6f"
    assert shown["created"] == "2024-11-25T07:36:17Z"  # 7 fractional digits and +00:00, as Azure writes them
    table = run("finetune", "show", body["name"]).stdout
    assert "learning_rate=0.00002" in table


def test_finetune_list_renders_the_published_example(replay: Any) -> None:
    replay(
        "GET", "/jobs$", {**answer("rest-examples/finetuning-job-list.json"), "nextLink": None}
    )  # a placeholder link
    result = run("finetune", "list", "-o", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(set(r) >= {"name", "status", "model", "hyperparameters"} for r in rows)


def test_a_recorded_rejection_of_a_finetuning_put_is_one_error_line(
    emulated_stack: Any, tmp_path: Path
) -> None:
    rejected = recorded("recordings/finetuning-serverless-put-400.json")["response"]
    emulated_stack.emulator.faults.add(
        "replay", method="PUT", path="/jobs/", status=rejected["status"], body=rejected["body"],
        headers={"x-ms-response-type": "error"}, count=-1,
    )  # fmt: skip
    from tests.ops.ml.helpers import write_jsonl

    result = run(
        "finetune", "submit", "-m", "Phi-4-mini-instruct", "--train", str(write_jsonl(tmp_path / "t.jsonl"))
    )
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].endswith("UserError: Meta-Llama-3-8B : Serverless FineTuning not supported in westus.")
    assert "Traceback" not in result.output


ENDPOINT = "rest-examples/serverless-endpoint-get.json"


def test_deploy_show_and_content_safety_show_render_the_published_example(replay: Any) -> None:
    body = answer(ENDPOINT)
    replay("GET", "/serverlessEndpoints/example$", body)
    shown = json.loads(run("deploy", "show", "example", "-o", "json").stdout)
    assert shown["state"] == "Suspending" and shown["provisioning_state"] == "Succeeded"
    assert shown["content_safety"] == "Enabled" and shown["uri"] == "https://www.contoso.com/example"
    assert shown["created"] == "2020-01-01T12:21:56Z"  # +00:13 in the example, shown in UTC
    safety = json.loads(run("content-safety", "show", "example", "-o", "json").stdout)
    assert safety == {"name": body["name"], "content_safety": "Enabled", "provisioning_state": "Succeeded"}


def test_deploy_list_renders_the_published_example(replay: Any) -> None:
    replay(
        "GET",
        "/serverlessEndpoints$",
        {**answer("rest-examples/serverless-endpoint-list.json"), "nextLink": None},
    )
    rows = json.loads(run("deploy", "list", "-o", "json").stdout)
    assert rows and {r["provisioning_state"] for r in rows} <= {
        "Succeeded",
        "Creating",
        "Updating",
        "Deleting",
        "Failed",
        "Canceled",
    }


def test_deploy_keys_reads_the_published_list_keys_answer(replay: Any) -> None:
    keys = answer("rest-examples/serverless-endpoint-listkeys.json")
    replay("GET", "/serverlessEndpoints/example$", answer(ENDPOINT))
    replay("POST", "/serverlessEndpoints/example/listKeys$", keys)
    hidden = json.loads(run("deploy", "keys", "example", "-o", "json").stdout)
    assert hidden == {"name": "example", "has_primary_key": True, "has_secondary_key": True}
    shown = json.loads(run("deploy", "keys", "example", "--show-keys", "-o", "json").stdout)
    assert (shown["primary_key"], shown["secondary_key"]) == (keys["primaryKey"], keys["secondaryKey"])


# --- the readers on their own, on every recorded shape ---------------------------------------------------
def test_job_reader_on_the_recorded_managed_compute_put_answer() -> None:
    job = records.job_info(answer("recordings/finetuning-maap-put-queue-settings.json"))
    assert job.status == "Running" and job.hyperparameters["learning_rate"] == "0.00002"
    assert job.model == "azureml://registries/azureml-meta/models/Meta-Llama-3-8B/versions/8"
    assert job.properties["_fineTuningJobType"] == "MaaP" and not job.terminal


def test_data_reader_keeps_the_long_form_the_service_answers() -> None:
    data = records.data_info(answer("recordings/data-version-get-uri-file.json"))
    assert data.uri.startswith("azureml://subscriptions/") and "/resourcegroups/" in data.uri
    assert data.version and data.name


def test_model_reader_on_the_recorded_latest_list() -> None:
    (item,) = answer("recordings/model-versions-list-latest.json")["value"]
    model = records.model_info(item)
    assert model.name and model.version and model.job_name is None


def test_workspace_reader_on_the_recorded_project() -> None:
    ws = records.workspace_info(answer("recordings/workspace-get-project.json"))
    assert ws.kind == "Project" and ws.hub_id and ws.workspace_id
    assert ws.discovery_url and ws.discovery_url.endswith("/discovery")
    assert ws.tracking_uri and ws.tracking_uri.startswith("azureml://")


def test_registry_reader_on_the_recorded_version() -> None:
    body = answer("registry-and-metrics/registry-model-version-get.json")
    model = records.registry_model("testFeed", body)
    assert model.uri == f"azureml://registries/testFeed/models/{model.name}/versions/{model.version}"
    assert body["id"].endswith(f"/models/{model.name}/versions/{model.version}")


def test_endpoint_reader_on_the_published_example() -> None:
    endpoint = records.endpoint_info(answer(ENDPOINT))
    assert (endpoint.provisioned, endpoint.failed) == (True, False)
    assert endpoint.content_safety == "Enabled" and endpoint.endpoint_state == "Suspending"
