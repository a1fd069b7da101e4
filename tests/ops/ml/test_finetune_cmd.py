"""`finetune submit | list | show | wait | cancel` against the emulator (real SDK, real HTTPS)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.routes.jobs import JOB_EXISTS
from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import FakeClock, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


def submitted(emulator: Emulator, name: str) -> dict[str, Any]:
    ws = emulator.scenario.project_name.lower()
    body: dict[str, Any] = emulator.world.jobs[(ws, name)]["submitted"]
    return body


def use_outputs(emulator: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: Any) -> None:
    """Point FOUNDRY_OUTPUTS at a changed copy of the emulated stack's outputs."""
    path = tmp_path / "outputs-changed.json"
    path.write_text(json.dumps({**emulator.outputs(), **changes}), encoding="utf-8")
    monkeypatch.setenv("FOUNDRY_OUTPUTS", str(path))


@pytest.fixture
def assets(emulated_stack: EmulatedStack, tmp_path: Path) -> tuple[str, str]:
    train = invoke("data", "upload", str(write_jsonl(tmp_path / "train.jsonl")), "-o", "json").json()["ref"]
    valid = invoke("data", "upload", str(write_jsonl(tmp_path / "valid.jsonl", 12, "shipping")), "-o", "json")
    return train, valid.json()["ref"]


def test_submit_from_a_file_splits_uploads_and_waits(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulator = emulated_stack.emulator
    train = write_jsonl(tmp_path / "support.jsonl", 40)
    run = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(train), "--epochs", "2",
        "--learning-rate", "0.00002", "--batch-size", "4", "--wait", "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run
    job = run.json()
    assert job["status"] == "Completed"
    assert job["mode"] == "serverless"
    assert job["training_data"].startswith("azureml:support-train:")
    assert job["validation_data"].startswith("azureml:support-validation:")
    body = submitted(emulator, job["name"])
    details = body["fineTuningDetails"]
    latest = max(emulator.world.registry_models[("azureml", PHI4)], key=int)  # newest version in the registry
    assert details["model"]["uri"] == f"azureml://registries/azureml/models/{PHI4}/versions/{latest}"
    assert job["model_version"] == latest
    # the keys and the string form of the FineTuning bodies Azure accepted (tests/contract/fixtures)
    assert details["hyperParameters"] == {
        "num_train_epochs": "2",
        "learning_rate": "0.00002",
        "per_device_train_batch_size": "4",
    }
    assert details["taskType"] == "ChatCompletion"
    assert "computeId" not in body or body["computeId"] is None
    assert emulator.world.created["data_versions"] == 2
    # CI (not a terminal): plain lines, one per status change.
    lines = [line for line in run.err.splitlines() if line.startswith(f"job {job['name']}: ")]
    assert [line.split(": ")[1].split(" (")[0] for line in lines][-1] == "Completed"
    assert len(lines) == len({line.split(" (")[0] for line in lines})
    assert "\r" not in run.err


def test_resubmitting_the_same_inputs_returns_the_same_job(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    args = ("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    first = invoke(*args)
    second = invoke(*args)
    assert first.code == 0 and second.code == 0, (first, second)
    assert first.json()["name"] == second.json()["name"]
    assert "already exists" in second.err and "--new" in second.err
    assert emulator.count("PUT", "/jobs/") == 1
    third = invoke(*args, "--new")
    assert third.code == 0, third
    assert third.json()["name"] != first.json()["name"]
    assert emulator.world.created["jobs"] == 2


def test_retired_serverless_model_is_refused_with_alternatives(
    azure_emulator: Emulator, emulator_env: Any
) -> None:
    run = invoke(
        "finetune", "submit", "--model", "Phi-3-mini-4k-instruct", "--mode", "serverless",
        "--train", "t:1", "--validation", "v:1",
    )  # fmt: skip
    assert run.code == 2, run
    assert "retired on 2025-08-30" in run.err
    assert "serverless alternatives here: Phi-4-mini-instruct" in run.err
    assert "--mode managed-compute" in run.err
    assert azure_emulator.count("PUT", "/jobs/") == 0


def test_unknown_model_lists_known_ones(azure_emulator: Emulator, emulator_env: Any) -> None:
    run = invoke("finetune", "submit", "--model", "Phi-9", "--train", "t:1", "--validation", "v:1")
    assert run.code == 2
    assert "unknown model 'Phi-9'" in run.err and "Phi-4" in run.err


def test_phi3_goes_to_the_stacks_compute_cluster(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    run = invoke(
        "finetune", "submit", "--model", "Phi-3-mini-4k-instruct", "--train", train, "--validation", valid,
        "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run
    assert run.json()["mode"] == "managed-compute"
    body = submitted(emulator, run.json()["name"])
    assert body["computeId"].endswith(f"/workspaces/{emulator.scenario.project_name}/computes/gpu-cluster")


def test_phi3_without_a_cluster_is_a_clear_error(
    azure_emulator: Emulator, emulator_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_outputs(azure_emulator, tmp_path, monkeypatch, compute_name="")
    run = invoke(
        "finetune", "submit", "--model", "Phi-3.5-mini-instruct",
        "--train", "t:1", "--validation", "v:1",
    )  # fmt: skip
    assert run.code == 2
    assert "this stack has no compute cluster" in run.err
    assert "Traceback" not in run.err


def test_wrong_region_for_serverless(
    azure_emulator: Emulator, emulator_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_outputs(azure_emulator, tmp_path, monkeypatch, location="westeurope")
    run = invoke(
        "finetune", "submit", "--model", PHI4, "--mode", "serverless",
        "--train", "t:1", "--validation", "v:1",
    )  # fmt: skip
    assert run.code == 2
    assert "not offered in westeurope" in run.err


def test_missing_asset_and_conflicting_options(azure_emulator: Emulator, emulator_env: Any) -> None:
    run = invoke("finetune", "submit", "--model", PHI4, "--train", "nope:1", "--validation", "v:1")
    assert run.code == 4 and "data asset nope:1 not found in the project" in run.err
    run = invoke("finetune", "submit", "--model", PHI4, "--train", "t:1", "--validation", "v:1",
                 "--validation-fraction", "0.2")  # fmt: skip
    assert run.code == 2 and "either --validation or --validation-fraction" in run.err
    run = invoke("finetune", "submit", "--model", PHI4, "--train", "t:1")
    assert run.code == 2 and "no validation data" in run.err


@pytest.mark.parametrize("validation", [None, "valid:1"])
def test_a_train_path_that_is_no_file_is_said_as_such(
    azure_emulator: Emulator, emulator_env: Any, tmp_path: Path, validation: str | None
) -> None:
    more = ["--validation", validation] if validation else []
    for train, said in (
        (str(tmp_path / "missing.jsonl"), "missing.jsonl: no such file"),
        (str(tmp_path), f"{tmp_path}: is a directory; give a JSONL file"),
    ):
        run = invoke("finetune", "submit", "--model", PHI4, "--train", train, *more)
        assert run.code == 2, run
        errors = run.errors
        assert len(errors) == 1 and errors[0].endswith(said), run.err


def test_a_file_split_for_submit_is_checked_whole_and_named_in_errors(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    train = write_jsonl(tmp_path / "support.jsonl", 20)
    rows = train.read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace("and save.", "and save with key AKIA" + "Z7XQ4J2M8N3P5R6T.")
    train.write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = invoke("finetune", "submit", "--model", PHI4, "--train", str(train))
    assert run.code == 1, run
    errors = run.errors
    assert len(errors) == 1 and errors[0].startswith(f"Error: {train}: line 6 "), run.err
    assert "foundry-split-" not in run.err
    assert emulated_stack.emulator.world.created["data_versions"] == 0


def test_the_same_data_for_training_and_validation_is_warned_about(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    train, _ = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", train, "-o", "json")
    assert run.code == 0, run
    assert f"warning: --train and --validation are the same data ({train})" in run.err


def test_failed_job_exits_3_with_the_service_message(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add(
        "job_fail", method="PUT", path="/jobs/", message="Training file contains invalid schema"
    )
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "--wait")
    assert run.code == 3, run
    # the service's message, with its error code when run history gives one ("UserError: ...")
    assert re.search(r"ended Failed: (\w+: )?Training file contains invalid schema$", run.err.strip())
    name = invoke("finetune", "list", "-o", "json").json()[0]["name"]
    assert f"job {name} ended Failed" in run.err
    show = invoke("finetune", "show", name, "-o", "json")
    assert show.code == 0, show
    assert show.json()["error"].endswith("Training file contains invalid schema")


def test_a_failed_jobs_message_comes_from_run_history_at_the_api_url(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    # azure-ai-ml reads run history at the discovery document's "api" URL (registry-and-metrics/NOTES.md);
    # a document with nothing else still gives the service's message with its code, not a fallback
    emulator = emulated_stack.emulator
    base = emulator.ctx.base_url
    emulator.faults.add("replay", method="GET", path="^/discovery$", status=200, body={"api": base}, count=-1)
    emulator.faults.add("job_fail", method="PUT", path="/jobs/", message="Bad schema", code="UserError")
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "--wait")
    assert run.code == 3, run
    assert run.err.strip().endswith("ended Failed: UserError: Bad schema"), run.err
    assert emulator.count("GET", "/details", 200) == 1


def test_wait_survives_throttling_server_errors_and_resets(
    emulated_stack: EmulatedStack, assets: tuple[str, str], clock: FakeClock
) -> None:
    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 4
    train, valid = assets
    name = invoke(
        "finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json"
    )
    job = name.json()["name"]
    emulator.faults.add("status", method="GET", path=f"/jobs/{job}", status=429, retry_after=0, count=2)
    emulator.faults.add("status", method="GET", path=f"/jobs/{job}", status=500, skip=3, count=1)
    emulator.faults.add("status", method="GET", path=f"/jobs/{job}", status=503, skip=5, count=1)
    emulator.faults.add("reset", method="GET", path=f"/jobs/{job}", skip=7, count=1)
    run = invoke("finetune", "wait", job, "-o", "json")
    assert run.code == 0, run
    assert run.json()["status"] == "Completed"
    faults = [r["fault"] for r in emulator.requests if r["fault"]]
    assert sorted(faults) == ["reset", "status", "status", "status", "status"]
    assert emulator.world.created["jobs"] == 1


def test_lost_submit_response_does_not_duplicate_the_job(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("reset_after", method="PUT", path="/jobs/", count=1)
    emulator.faults.add("status", method="PUT", path="/jobs/", status=503, count=1, skip=1)
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    assert run.code == 0, run
    assert emulator.world.created["jobs"] == 1
    again = invoke(
        "finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json"
    )
    assert again.json()["name"] == run.json()["name"]
    assert emulator.world.created["jobs"] == 1


def _refuse_the_next_job_put(emulator: Emulator) -> None:
    """The service's answer to a PUT it sees as a change to an existing job (tests/emulator/routes/jobs.py
    JOB_EXISTS: MicrosoftDocs/azure-docs issue 122250), whatever the body."""
    body = {"error": {"code": "UserError", "message": JOB_EXISTS, "details": [], "additionalInfo": []}}
    emulator.faults.add(
        "replay", method="PUT", path="/jobs/", status=400, body=body,
        headers={"x-ms-response-type": "error"}, count=1,
    )  # fmt: skip


def test_a_retried_submit_refused_because_the_job_exists_answers_with_that_job(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    # The first PUT creates the job but its answer is lost; the retry policy sends it again and the
    # service refuses the repeat as a change to an existing job. The job is there, made from these inputs.
    emulator = emulated_stack.emulator
    emulator.faults.add("reset_after", method="PUT", path="/jobs/", count=1)
    _refuse_the_next_job_put(emulator)
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    assert run.code == 0, run
    assert emulator.world.created["jobs"] == 1
    name = run.json()["name"]
    puts = [r["status"] for r in emulator.requests if r["method"] == "PUT" and f"/jobs/{name}" in r["path"]]
    assert puts == ["reset", 400]  # the answer lost, then the repeat refused
    assert emulator.count("GET", f"/jobs/{name}", 200) >= 1
    assert run.json()["training_data"] == train and run.json()["validation_data"] == valid


def test_a_refused_submit_stands_when_no_job_was_made(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    _refuse_the_next_job_put(emulator)
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid)
    assert run.code == 1, run
    errors = run.errors
    assert len(errors) == 1 and "UserError: A job with this name already exists." in errors[0]
    assert emulator.world.created["jobs"] == 0


def test_a_refusal_whose_look_up_fails_says_so(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    # the answer lost, the repeat refused, and reading the job back throttled past the retry budget
    emulator = emulated_stack.emulator
    emulator.faults.add("reset_after", method="PUT", path="/jobs/", count=1)
    _refuse_the_next_job_put(emulator)
    emulator.faults.add("status", method="GET", path="/jobs/ft-", status=503, count=-1, skip=1)
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid)
    assert run.code == 1, run
    errors = run.errors
    assert len(errors) == 1 and "UserError: A job with this name already exists." in errors[0]
    assert "reading it back failed" in errors[0] and "the same command run again finds it" in errors[0]
    assert emulator.world.created["jobs"] == 1


def test_a_submit_out_of_retries_is_no_refusal_and_reads_nothing_more(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("status", method="PUT", path="/jobs/", status=503, count=-1)
    train, valid = assets
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid)
    assert run.code != 0, run
    assert emulator.count("PUT", "/jobs/") == 6  # the retry budget, and no more
    assert emulator.count("GET", "/jobs/ft-") == 1  # the look-up before the submit, none after it


def test_a_refused_submit_stands_when_the_job_there_trains_something_else(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    first = invoke(
        "finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json"
    )
    name = first.json()["name"]
    ws = emulator.scenario.project_name.lower()
    job = emulator.world.jobs[(ws, name)]
    training = job["view"]["properties"]["fineTuningDetails"]["trainingData"]
    training["uri"] = training["uri"].replace("/data/train/versions/", "/data/other/versions/")
    emulator.faults.add("status", method="GET", path=f"/jobs/{name}$", status=404, count=1)  # not found first
    _refuse_the_next_job_put(emulator)
    run = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid)
    assert run.code == 1, run
    assert "UserError: A job with this name already exists." in run.err


def test_ctrl_c_stops_waiting_but_not_the_job(
    emulated_stack: EmulatedStack, assets: tuple[str, str], clock: FakeClock
) -> None:
    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 50
    train, valid = assets
    job = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    name = job.json()["name"]
    clock.interrupt_after = 2
    run = invoke("finetune", "wait", name)
    assert run.code == 130, run
    assert f"job {name} keeps running" in run.err
    assert f"foundry-ops finetune wait {name}" in run.err
    assert emulator.count("POST", "/cancel") == 0
    assert invoke("finetune", "show", name, "-o", "json").json()["status"] not in (
        "Canceled",
        "CancelRequested",
    )


def test_polling_backs_off_and_resets_on_status_change(
    emulated_stack: EmulatedStack, assets: tuple[str, str], clock: FakeClock
) -> None:
    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 4  # one GET per poll: a status lasts 4 polls
    train, valid = assets
    job = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    run = invoke("finetune", "wait", job.json()["name"])
    assert run.code == 0, run
    # within a status the interval grows (5, 7.5, 11.25, ...), after a change it starts over at 5
    assert clock.sleeps[:3] == [5.0, 7.5, 11.25]
    resets = [i for i, s in enumerate(clock.sleeps) if s == 5.0]
    assert len(resets) >= 3
    assert max(clock.sleeps) <= 60.0


def test_list_show_cancel(emulated_stack: EmulatedStack, assets: tuple[str, str]) -> None:
    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 50
    train, valid = assets
    job = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    name = job.json()["name"]
    listed = invoke("finetune", "list", "-o", "json")
    assert [j["name"] for j in listed.json()] == [name]
    table = invoke("finetune", "list")
    assert table.out.splitlines()[0].split() == ["NAME", "STATUS", "MODEL", "OUTPUT_MODEL", "CREATED"]
    assert name in table.out
    refused = invoke("finetune", "cancel", name)
    assert refused.code == 2 and "pass --yes" in refused.err  # no terminal to ask on: nothing done
    assert emulator.count("POST", f"/jobs/{name}/cancel") == 0
    cancelled = invoke("finetune", "cancel", name, "--yes", "-o", "json")
    assert cancelled.code == 0, cancelled
    assert cancelled.json()["status"] in ("Canceled", "CancelRequested")
    assert emulator.count("POST", f"/jobs/{name}/cancel") == 1
    again = invoke("finetune", "cancel", name)
    assert again.code == 0 and "nothing to cancel" in again.err
    waited = invoke("finetune", "wait", name)
    assert waited.code == 3, waited  # no model came of it: a script gating on success must stop
    assert waited.errors == [
        f"Error: job {name} was canceled (`finetune cancel`, the portal or the API); it made no model "
        f"(hint: submit it again to train: `foundry-ops finetune show {name}` lists what it was given)"
    ]
    missing = invoke("finetune", "show", "no-such-job")
    assert missing.code == 4 and "not found" in missing.err


def test_terminal_gets_a_live_line(
    emulated_stack: EmulatedStack, assets: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ops.cli.output.stderr_is_terminal", lambda: True)
    train, valid = assets
    job = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    run = invoke("finetune", "wait", job.json()["name"])
    assert run.code == 0, run
    assert "\r" in run.err  # the status line is rewritten in place
    assert (
        run.err.rstrip("\n")
        .split("\n")[-1]
        .strip()
        .split("\r")[-1]
        .startswith(f"job {job.json()['name']}: Completed")
    )


def test_cloud_setting_of_azure_ai_ml_does_not_leak(emulated_stack: EmulatedStack) -> None:
    import os

    before = os.environ.get("AZUREML_CURRENT_CLOUD")
    assert invoke("finetune", "list").code == 0
    assert os.environ.get("AZUREML_CURRENT_CLOUD") == before


def test_wait_outlasts_throttling_longer_than_the_retries(
    emulated_stack: EmulatedStack, assets: tuple[str, str], clock: FakeClock
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    job = invoke("finetune", "submit", "--model", PHI4, "--train", train, "--validation", valid, "-o", "json")
    name = job.json()["name"]
    emulator.faults.add("status", method="GET", path=f"/jobs/{name}", status=429, retry_after=7, count=25)
    run = invoke("finetune", "wait", name, "-o", "json")
    assert run.code == 0, run
    assert run.json()["status"] == "Completed"
    assert f"still waiting: could not read job {name}" in run.err
    assert "TooManyRequests" in run.err
    # azure-core honours Retry-After inside one call (5 retries of one read), on the App's clock ...
    assert clock.sleeps[:5] == [7.0] * 5
    # ... and the wait loop waits at least as long between calls
    assert all(s >= 7.0 for s in clock.sleeps[5:25])
    assert emulator.faults.list()[-1]["fired"] == 25
