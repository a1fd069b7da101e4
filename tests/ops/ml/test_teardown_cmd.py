"""`teardown`: safe order, plan and confirmation, data kept unless asked, resumable, pulumi destroy."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from ops.app import App
from ops.azure.errors import ROLE_HINT
from ops.flows import teardown
from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import FakeClock, blobs_in_default_container, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


@pytest.fixture
def deployed(emulated_stack: EmulatedStack, tmp_path: Path) -> dict[str, str]:
    """A fine-tuned, deployed model: job, endpoint, and its two data assets."""
    job = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl", 40)),
        "--suffix", "td", "--wait", "-o", "json",
    ).json()["name"]  # fmt: skip
    endpoint = invoke("deploy", "create", "--job", job, "-o", "json").json()["name"]
    return {"job": job, "endpoint": endpoint, "model": "phi-4-mini-instruct-ft-td"}


def ml_requests(emulator: Emulator, method: str) -> list[str]:
    return [r["path"] for r in emulator.requests if r["method"] == method and r["status"] in (200, 202, 204)]


def test_asks_first_and_does_nothing_without_yes(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    emulator = emulated_stack.emulator
    run = invoke("teardown", "--delete-models")
    assert run.code == 2, run  # no terminal to ask on and no --yes: nothing is done
    sc = emulator.scenario
    assert (
        f"teardown plan for subscription {sc.subscription_id}, resource group {sc.resource_group}, "
        f"project {sc.project_name}:" in run.err
    )
    assert f"1. delete endpoint {deployed['endpoint']}" in run.err
    assert f"2. delete model {deployed['model']}:1" in run.err
    assert "kept: 2 data asset version(s) and their uploaded files (--delete-data deletes them)" in run.err
    assert "kept: the infrastructure" in run.err
    assert "--yes" in run.err
    assert ml_requests(emulator, "DELETE") == []


def test_answered_no_nothing_is_done_and_it_says_so(
    emulated_stack: EmulatedStack, deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("ops.cli.options.can_ask", lambda: True)  # as at a terminal
    run = invoke("teardown", input="n\n")
    assert run.code == 0, run
    assert "Proceed with these 1 step(s)" in run.err, run.err
    assert run.err.rstrip().endswith("nothing was done") and "Aborted" not in run.err
    assert [name for _, name in emulated_stack.emulator.world.endpoints] == [deployed["endpoint"]]


def test_default_teardown_removes_only_endpoints(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    emulator = emulated_stack.emulator
    run = invoke("teardown", "--yes", "-o", "json")
    assert run.code == 0, run
    sc = emulator.scenario
    assert run.json()["scope"] == {  # snake_case keys, as every JSON key of the toolkit
        "subscription": sc.subscription_id,
        "resource_group": sc.resource_group,
        "project": sc.project_name,
    }
    assert run.json()["steps"] == [
        {
            "step": f"delete endpoint {deployed['endpoint']} (serving {deployed['model']}:1)",
            "result": "deleted",
        }
    ]
    assert emulator.world.endpoints == {}
    assert emulator.world.models  # the fine-tuned model is kept
    assert emulator.world.data  # training data is kept
    again = invoke("teardown", "--yes")
    assert again.code == 0 and "nothing to tear down" in again.err


def test_full_teardown_in_safe_order(emulated_stack: EmulatedStack, deployed: dict[str, str]) -> None:
    emulator = emulated_stack.emulator
    assert len(blobs_in_default_container(emulated_stack)) == 2
    run = invoke("teardown", "--yes", "--delete-models", "--delete-data", "-o", "json")
    assert run.code == 0, run
    deletes = ml_requests(emulator, "DELETE")
    kinds = [
        "endpoint" if "/serverlessEndpoints/" in p else "model" if "/models/" in p else "data"
        for p in deletes
    ]
    assert kinds == sorted(kinds, key=["endpoint", "model", "data"].index), deletes
    assert kinds.count("endpoint") == 1 and "model" in kinds and "data" in kinds
    # the model went only after the endpoint was no longer listed
    last_endpoint_list = max(
        i for i, r in enumerate(emulator.requests)
        if r["method"] == "GET" and r["path"].endswith("/serverlessEndpoints")
    )  # fmt: skip
    first_model_delete = min(
        i for i, r in enumerate(emulator.requests) if r["method"] == "DELETE" and "/models/" in r["path"]
    )
    assert last_endpoint_list < first_model_delete
    assert emulator.world.endpoints == {} and emulator.world.models == {} and emulator.world.data == {}
    assert blobs_in_default_container(emulated_stack) == {}


def test_data_is_listed_for_the_plan_and_before_deleting_its_datastore_read_once(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    """Data versions are listed for the plan and again just before files are deleted (which files stay
    in use may have changed while the plan was read); both files live in one key-based datastore:
    read once, its secret asked for once, for both deletions."""
    emulator = emulated_stack.emulator
    emulator.settings.datastore_credentials = "AccountKey"
    start = len(emulator.requests)
    run = invoke("teardown", "--yes", "--delete-data", "--concurrency", "2", "-o", "json")
    assert run.code == 0, run
    assert blobs_in_default_container(emulated_stack) == {} and emulator.world.data == {}
    during = emulator.requests[start:]
    data_lists = [r for r in during if r["method"] == "GET" and r["path"].endswith("/data")]
    assert len(data_lists) == 2
    store_reads = [
        r for r in during if r["method"] == "GET" and r["path"].endswith("/datastores/workspaceblobstore")
    ]
    assert len(store_reads) == 1
    assert sum(1 for r in during if r["method"] == "POST" and r["path"].endswith("/listSecrets")) == 1


def test_a_file_that_an_asset_registered_after_the_plan_uses_is_kept(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    """Someone registers the same file under another name while the plan is on screen: teardown
    deletes the old asset but never the file the new one still points at."""
    train = write_jsonl(tmp_path / "t.jsonl", 40)
    assert invoke("data", "upload", str(train), "--name", "first").code == 0
    app = App(outputs_file=emulated_stack.outputs_file, clock=FakeClock())
    options = teardown.Options(delete_data=True)
    plan = teardown.build_plan(app, options)
    assert invoke("data", "upload", str(train), "--name", "second").code == 0
    results = teardown.run(app, plan, options)
    app.close()
    assert any(r["result"] == "kept: a data asset that stays still uses it" for r in results), results
    assert blobs_in_default_container(emulated_stack) != {}
    assert [name for _, name in emulated_stack.emulator.world.data] == ["second"]


def test_failure_half_way_is_resumed(
    emulated_stack: EmulatedStack, deployed: dict[str, str], tmp_path: Path
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add(
        "status", method="DELETE", path="/models/.+/versions/", status=409, code="Conflict",
        message="The model is being updated; try again later",
    )  # fmt: skip
    failed = invoke("teardown", "--yes", "--delete-models")
    assert failed.code == 1, failed
    assert "The model is being updated" in failed.err
    assert "run the same teardown command again to resume" in failed.err
    assert emulator.world.endpoints == {}  # the first step happened
    assert not (tmp_path / "cache" / "foundry-ops").exists()  # no local state: Azure is the record
    emulator.faults.clear()
    resumed = invoke("teardown", "--yes", "--delete-models", "-o", "json")
    assert resumed.code == 0, resumed
    # the plan is read again from Azure: only what is left is done
    assert [s["step"] for s in resumed.json()["steps"]] == [f"delete model {deployed['model']}:1"]
    assert emulator.world.models == {}


def test_a_failure_keeps_its_own_hint_beside_the_resume_note(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    """Access denied says which role is missing; the resume note is added, never put in its place."""
    emulated_stack.emulator.faults.add(
        "status", method="DELETE", path="/models/.+/versions/", status=403, code="AuthorizationFailed"
    )
    failed = invoke("teardown", "--yes", "--delete-models")
    assert failed.code == 1, failed
    assert "access denied" in failed.err
    assert ROLE_HINT in failed.err and "run the same teardown command again to resume" in failed.err


def test_running_job_is_reported(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulated_stack.emulator.settings.polls_per_step = 50
    job = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json"
    ).json()["name"]
    run = invoke("teardown", "--yes")
    assert run.code == 0
    assert f"job {job} is still" in run.err and f"finetune cancel {job}" in run.err


def test_the_data_of_a_job_still_running_is_kept(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    """--delete-data leaves the data versions a job that has not ended trains on (deleting them would
    fail it when it reads them), says so in the plan, and deletes them once the job has ended."""
    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 50

    def versions() -> set[str]:
        return {f"{name}:{v}" for (_, name), c in emulator.world.data.items() for v in c["versions"]}

    submitted = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json"
    ).json()
    job = submitted["name"]
    used = {submitted[k].removeprefix("azureml:") for k in ("training_data", "validation_data")}
    spare = invoke("data", "upload", str(write_jsonl(tmp_path / "spare.jsonl", 12, "returns")), "-o", "json")
    assert versions() == used | {spare.json()["ref"].removeprefix("azureml:")}
    status = invoke("finetune", "show", job, "-o", "json").json()["status"]
    run = invoke("teardown", "--delete-data", "--yes")
    assert run.code == 0, run
    for ref in sorted(used):
        assert f"kept: data asset {ref}: job {job} is {status} on it" in run.err
    assert versions() == used  # the spare went; what the job trains on stayed

    emulator.settings.polls_per_step = 1
    assert invoke("finetune", "wait", job).code == 0
    assert invoke("teardown", "--delete-data", "--yes").code == 0
    assert versions() == set()


def test_data_a_job_submitted_after_the_plan_trains_on_is_kept(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    """Jobs are listed again before the data phase, as the assets are: the plan was read before the job
    existed (a user reading the plan at the prompt), and its data must stay all the same."""
    from ops.app import App
    from ops.flows import teardown

    emulator = emulated_stack.emulator
    emulator.settings.polls_per_step = 50
    train = invoke("data", "upload", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json").json()["ref"]
    valid = invoke("data", "upload", str(write_jsonl(tmp_path / "v.jsonl", 12, "shipping")), "-o", "json")
    app = App(outputs_file=emulated_stack.outputs_file)
    options = teardown.Options(delete_data=True)
    plan = teardown.build_plan(app, options)
    assert {s.kind for s in plan.steps} == {"data"} and len(plan.steps) == 2
    job = invoke(
        "finetune", "submit", "-m", PHI4, "--train", train, "--validation", valid.json()["ref"], "-o", "json"
    )
    assert job.code == 0, job
    results = teardown.run(app, plan, options)
    kept = [r for r in results if r["result"].startswith("kept: job ")]
    assert len(kept) == 2 and all(job.json()["name"] in r["result"] for r in kept)
    versions = {f"{name}:{v}" for (_, name), c in emulator.world.data.items() for v in c["versions"]}
    assert versions == {train.removeprefix("azureml:"), valid.json()["ref"].removeprefix("azureml:")}
    app.close()


def fake_pulumi(tmp_path: Path, exit_code: int = 0) -> Path:
    """A stand-in `pulumi` on PATH that records its arguments."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "pulumi-args.txt"
    script = bindir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{log}"\n'
        'echo "Destroying (dev):"\n'
        'echo "Resources: 14 deleted"\n'
        f"exit {exit_code}\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return log


def test_destroy_stack_runs_pulumi_last(
    emulated_stack: EmulatedStack, deployed: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = fake_pulumi(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    run = invoke(
        "--stack",
        "dev",
        "teardown",
        "--yes",
        "--delete-models",
        "--delete-data",
        "--destroy-stack",
        "-o",
        "json",
    )
    assert run.code == 0, run
    steps = [s["step"] for s in run.json()["steps"]]
    assert steps[-1] == "delete Pulumi stack dev (pulumi destroy)"
    assert log.read_text().split() == [
        "destroy",
        "--yes",
        "--skip-preview",
        "--non-interactive",
        "--stack",
        "dev",
    ]
    assert "pulumi: Resources: 14 deleted" in run.err


def test_destroy_stack_failure_and_usage(
    emulated_stack: EmulatedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emulator_env: Any
) -> None:
    no_stack = invoke("teardown", "--yes", "--destroy-stack")
    assert no_stack.code == 2 and "--destroy-stack needs --stack" in no_stack.err
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    no_cli = invoke("--stack", "dev", "teardown", "--yes", "--destroy-stack")
    assert no_cli.code == 2 and "Pulumi CLI" in no_cli.err
    fake_pulumi(tmp_path, exit_code=255)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    failed = invoke("--stack", "dev", "teardown", "--yes", "--destroy-stack")
    assert failed.code == 1
    assert "pulumi destroy of stack 'dev' failed (exit 255)" in failed.err
    assert "run the same teardown command again to resume" in failed.err


def test_failed_endpoint_deletion_is_reported_then_resumed(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("lro_fail", method="DELETE", path="/serverlessEndpoints/", message="Deletion failed")
    failed = invoke("teardown", "--yes", "--delete-models")
    assert failed.code == 1, failed
    assert "Deletion failed" in failed.err and "run the same teardown command again" in failed.err
    assert emulator.world.models  # nothing after the failed step was attempted
    assert emulator.count("DELETE", "/models/") == 0
    emulator.faults.add("reset", method="GET", path="/serverlessEndpoints$", count=1)
    resumed = invoke("teardown", "--yes", "--delete-models", "-o", "json")
    assert resumed.code == 0, resumed
    assert emulator.world.endpoints == {} and emulator.world.models == {}
    assert emulator.count("DELETE", "/serverlessEndpoints/") == 2


def test_a_file_that_is_not_ours_is_kept_and_said(emulated_stack: EmulatedStack) -> None:
    from tests.emulator.client import Rest, data_body

    rest = Rest(emulated_stack.emulator)
    foreign = "https://otheraccount.blob.core.windows.net/shared/corpus/train.jsonl"
    assert rest.put(f"{rest.project}/data/corpus/versions/1", data_body(foreign)).status_code in (200, 201)
    odd = "azureml://datastores/workspaceblobstore/paths/someone-elses/train.jsonl"
    assert rest.put(f"{rest.project}/data/odd/versions/1", data_body(odd)).status_code in (200, 201)
    run = invoke("teardown", "--yes", "--delete-data", "-o", "json")
    assert run.code == 0, run
    results = {s["step"]: s["result"] for s in run.json()["steps"]}
    assert results["delete the uploaded file of corpus:1"] == f"kept: unknown location {foreign!r}"
    assert (
        results["delete the uploaded file of odd:1"]
        == "kept: someone-elses/train.jsonl was not uploaded by foundry-ops"
    )
    assert "warning: the file of corpus:1 is kept" in run.err  # never skipped silently
    assert emulated_stack.emulator.world.data == {}


def test_a_file_that_cannot_be_deleted_keeps_its_asset_for_the_next_run(
    emulated_stack: EmulatedStack, deployed: dict[str, str]
) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("status", method="GET", path="/datastores/workspaceblobstore$", status=500, count=-1)
    failed = invoke("teardown", "--yes", "--delete-data")
    assert failed.code == 1, failed
    assert "reading datastore workspaceblobstore" in failed.err and "resume" in failed.err
    assert len(blobs_in_default_container(emulated_stack)) == 2  # nothing lost ...
    assert len(emulator.world.data) == 2  # ... and the assets still point at their files
    emulator.faults.clear()
    resumed = invoke("teardown", "--yes", "--delete-data")
    assert resumed.code == 0, resumed
    assert blobs_in_default_container(emulated_stack) == {} and emulator.world.data == {}
