"""One convention everywhere: global options on either side of the command, suggestions for misspelt
names, timestamps in UTC with Z, Ctrl-C that says what goes on and how to resume."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.stack import EmulatedStack
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"
Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.mark.parametrize(
    "args",
    [
        ("-o", "json", "deploy", "list"),
        ("deploy", "-o", "json", "list"),
        ("deploy", "list", "-o", "json"),
        ("-q", "--debug", "deploy", "list", "-o", "json"),
        ("deploy", "list", "--debug", "-q", "--output", "json"),
    ],
)
def test_global_options_work_before_or_after_the_command(
    emulated_stack: EmulatedStack, args: tuple[str, ...]
) -> None:
    deploy_endpoint(emulated_stack.emulator, "bot", tags={"foundry-ops": "1"})
    run = invoke(*args)
    assert run.code == 0, run
    assert [e["name"] for e in json.loads(run.out)] == ["bot"]
    if "--debug" in args:
        assert "debug: GET https://" in run.err


def test_outputs_given_after_the_command_wins_over_the_environment(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    outputs = emulated_stack.emulator.outputs()
    elsewhere = {
        "project_name": "proj-elsewhere",
        "project_id": outputs["project_id"].rsplit("/", 1)[0] + "/proj-elsewhere",
    }
    other.write_text(json.dumps({**outputs, **elsewhere}), encoding="utf-8")
    run = invoke("deploy", "list", "--outputs", str(other))
    assert run.code == 4 and "proj-elsewhere" in run.err


def test_a_stack_that_is_not_the_outputs_stack_is_refused_before_anything_is_done(
    emulated_stack: EmulatedStack,
) -> None:
    # FOUNDRY_OUTPUTS (set by the emulated stack) holds stack dev's outputs; the user types another stack
    deploy_endpoint(emulated_stack.emulator, "bot", tags={"foundry-ops": "1"})
    run = invoke("--stack", "prod", "teardown", "--yes")
    assert run.code == 2, run
    errors = run.errors
    assert len(errors) == 1
    assert "holds the outputs of stack 'dev', and the stack given is 'prod'; nothing was done" in errors[0]
    assert emulated_stack.emulator.count("DELETE", "/serverlessEndpoints/") == 0
    assert invoke("--stack", "dev", "deploy", "list", "-o", "json").code == 0


def test_outputs_saved_without_their_stack_are_read_as_before(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    older = tmp_path / "older.json"
    saved = {k: v for k, v in emulated_stack.emulator.outputs().items() if k != "stack"}
    older.write_text(json.dumps(saved), encoding="utf-8")
    run = invoke("--stack", "prod", "deploy", "list", "--outputs", str(older), "-o", "json")
    assert run.code == 0, run


def test_misspelt_names_get_a_suggestion(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    deploy_endpoint(emulated_stack.emulator, "support-bot")
    endpoint = invoke("deploy", "show", "suport-bot")
    assert endpoint.code == 4 and "did you mean support-bot?" in endpoint.err
    job = invoke(
        "finetune", "submit", "-m", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json"
    )
    name = job.json()["name"]
    typo = name[:-1] + ("0" if name[-1] != "0" else "1")
    shown = invoke("finetune", "show", typo)
    assert shown.code == 4 and f"did you mean {name}?" in shown.err
    waited = invoke("finetune", "wait", typo)
    assert waited.code == 4 and f"did you mean {name}?" in waited.err


def test_timestamps_are_utc_with_z(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    invoke("finetune", "submit", "-m", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")))
    (job,) = invoke("finetune", "list", "-o", "json").json()
    assert Z.match(job["created"]), job["created"]
    deploy_endpoint(emulated_stack.emulator, "bot")
    (endpoint,) = invoke("deploy", "list", "-o", "json").json()
    assert Z.match(endpoint["created"]), endpoint["created"]


@pytest.fixture
def completed_job(emulated_stack: EmulatedStack, tmp_path: Path) -> str:
    run = invoke(
        "finetune",
        "submit",
        "-m",
        PHI4,
        "--train",
        str(write_jsonl(tmp_path / "t.jsonl")),
        "--wait",
        "-o",
        "json",
    )
    assert run.code == 0, run
    return str(run.json()["name"])


def test_ctrl_c_during_a_deployment_says_it_goes_on_and_the_rerun_waits_for_it(
    emulated_stack: EmulatedStack, completed_job: str
) -> None:
    settings = emulated_stack.emulator.settings
    clock = FakeClock()
    settings.clock = clock.now  # the deployment takes 10 minutes of the test's simulated time
    settings.lro_timeline = ((0, "InProgress"), (600, "Succeeded"))
    clock.interrupt_after = 2
    stopped = invoke("deploy", "create", "--job", completed_job, clock=clock)
    assert stopped.code == 130, stopped
    assert (
        "keeps provisioning in Azure" in stopped.err and f"deploy create --job {completed_job}" in stopped.err
    )
    (endpoint,) = emulated_stack.emulator.world.endpoints.values()
    assert endpoint["properties"]["provisioningState"] == "Creating"
    clock.interrupt_after = None
    resumed = invoke("deploy", "create", "--job", completed_job, "-o", "json", clock=clock)
    assert resumed.code == 0, resumed
    assert resumed.json()["provisioning_state"] == "Succeeded" and clock.t >= 600  # it waited for it
    assert emulated_stack.emulator.world.created["endpoints"] == 1


def test_a_failed_job_fails_run_apply_with_3(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    write_jsonl(tmp_path / "train.jsonl", 30)
    path = tmp_path / "bot.yaml"
    path.write_text(
        "name: bot\nmodel: Phi-4-mini-instruct\ndata: {train: train.jsonl, validationFraction: 0.2}\n",
        encoding="utf-8",
    )
    emulated_stack.emulator.faults.add("job_fail", method="PUT", path="/jobs/", message="Out of capacity")
    run = invoke("run", "apply", str(path), "--yes")
    assert run.code == 3, run
    assert "ended Failed" in run.err and "Out of capacity" in run.err


def test_run_apply_without_yes_in_a_pipeline_does_nothing(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    write_jsonl(tmp_path / "train.jsonl", 30)
    path = tmp_path / "bot.yaml"
    path.write_text(
        "name: bot\nmodel: Phi-4-mini-instruct\ndata: {train: train.jsonl, validationFraction: 0.2}\n",
        encoding="utf-8",
    )
    before = len(emulated_stack.emulator.requests)
    run = invoke("run", "apply", str(path))
    assert run.code == 2 and "pass --yes" in run.err
    writes: list[Any] = [
        r for r in emulated_stack.emulator.requests[before:] if r["method"] in ("PUT", "DELETE", "PATCH")
    ]
    assert writes == []
