"""`run plan | apply | status` against the emulation: state read from Azure, idempotent, resumable, gated."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import FakeClock, Run, invoke, write_jsonl

RUN = """\
name: support-bot
model: Phi-4-mini-instruct
data: {{train: train.jsonl, validation: validation.jsonl}}
hyperparameters: {{epochs: {epochs}, learningRate: 0.00002}}
deploy: {{contentSafety: true, ttl: 8h}}
smoke: [{{prompt: "My console won't turn on"}}]
eval: {{data: heldout.jsonl, gate: {{metric: token_f1, min: {gate}}}{on_failure}}}
"""


def run_file(tmp_path: Path, *, epochs: int = 2, gate: float = 0.0, on_failure: str = "") -> Path:
    write_jsonl(tmp_path / "train.jsonl", 30)
    write_jsonl(tmp_path / "validation.jsonl", 12, "shipping")
    write_jsonl(tmp_path / "heldout.jsonl", 5, "returns")
    extra = f", onFailure: {on_failure}" if on_failure else ""
    path = tmp_path / "support-bot.yaml"
    path.write_text(RUN.format(epochs=epochs, gate=gate, on_failure=extra), encoding="utf-8")
    return path


def run_file_for_stacks(tmp_path: Path, *stacks: str) -> Path:
    """The run file, listing `stacks`, in a project whose stacks are dev and prod."""
    path = run_file(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: foundry-phi\nruntime: python\n", encoding="utf-8")
    (tmp_path / "stacks").mkdir()
    for stack in ("dev", "prod"):
        (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text("config: {}\n", encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8") + f"stacks: [{', '.join(stacks)}]\n", encoding="utf-8")
    return path


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def cli(clock: FakeClock, *args: str) -> Run:
    return invoke(*args, clock=clock)


def states(run: Run) -> dict[str, str]:
    return {s["name"]: s["state"] for s in run.json()["steps"]}


def created(stack: EmulatedStack) -> dict[str, int]:
    world = stack.emulator.world
    return {k: world.created.get(k, 0) for k in ("jobs", "endpoints", "data_versions")}


def test_plan_changes_nothing_and_apply_does_everything_once(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert plan.code == 0, plan
    assert states(plan) == {
        "validate": "done", "upload": "to do", "fine-tune": "to do", "wait": "to do", "deploy": "to do",
        "content safety": "to do", "smoke": "to do", "eval gate": "to do", "expiry": "to do",
    }  # fmt: skip
    assert created(emulated_stack) == {"jobs": 0, "endpoints": 0, "data_versions": 0}

    applied = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert applied.code == 0, applied
    assert set(states(applied).values()) == {"done"}
    status = applied.json()
    assert status["job"]["status"] == "Completed" and status["endpoint"]["state"] == "Online"
    assert status["endpoint"]["expires"].endswith("Z")
    assert status["metrics"]["training_loss"]["value"] > 0 and status["metrics"]["gate"].startswith("passed:")
    assert created(emulated_stack) == {"jobs": 1, "endpoints": 1, "data_versions": 2}

    # the training curves next to the run file, a real PNG
    png = tmp_path / "support-bot.outputs" / "loss.png"
    header = png.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (800, 450)
    saved = json.loads((tmp_path / "support-bot.outputs" / "status.json").read_text(encoding="utf-8"))
    assert saved["name"] == "support-bot"

    before = len(emulated_stack.emulator.requests)
    again = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert again.code == 0, again
    assert "nothing to apply" in again.err
    assert created(emulated_stack) == {"jobs": 1, "endpoints": 1, "data_versions": 2}  # a no-op
    writes = [
        r for r in emulated_stack.emulator.requests[before:] if r["method"] in ("PUT", "PATCH", "DELETE")
    ]
    assert writes == []

    status_run = cli(clock, "run", "status", str(path), "-o", "json")
    assert {"name", "steps", "job", "endpoint", "metrics"} <= set(status_run.json())


def test_a_plan_whose_data_does_not_validate_shows_the_plan_and_exits_1(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    train = tmp_path / "train.jsonl"
    train.write_text(train.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert plan.code == 1, plan
    assert states(plan)["validate"] == "failed" and states(plan)["fine-tune"] == "blocked"
    errors = plan.errors
    assert len(errors) == 1 and "its data does not validate, so nothing can be applied" in errors[0]
    assert "nothing to apply" not in plan.err
    assert created(emulated_stack) == {"jobs": 0, "endpoints": 0, "data_versions": 0}


def test_a_split_that_leaves_too_few_to_train_on_says_its_numbers(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    write_jsonl(tmp_path / "train.jsonl", 12)
    path = tmp_path / "small.yaml"
    path.write_text(
        "name: small\nmodel: Phi-4-mini-instruct\ndata: {train: train.jsonl, validationFraction: 0.25}\n",
        encoding="utf-8",
    )
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert plan.code == 1, plan
    detail = next(s["detail"] for s in plan.json()["steps"] if s["name"] == "validate")
    found = re.search(r"\((\d+) example", detail)
    assert found is not None and int(found[1]) < 10, detail
    kept = found[1]
    assert detail == (
        f"train.jsonl (train part): 1 too_few_examples ({kept} example(s); fine-tuning needs at least 10 "
        "after the 0.25 split)"
    )


def test_a_yml_run_file_is_planned_with_a_word_that_gitops_skips_it(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    yml = path.with_suffix(".yml")
    path.rename(yml)
    plan = cli(clock, "run", "plan", str(yml), "-o", "json")
    assert plan.code == 0, plan
    assert (
        f"warning: {yml}: the GitOps workflows apply runs/*.yaml only; they will never pick this file up"
        in (plan.err.splitlines())
    )


def test_plan_only_reads_so_the_reader_role_is_enough(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    """docs/gitops.md gives `run plan` the Reader role (`*/read`). After an apply, a plan reads every step's
    state (data, job, model, endpoint, metrics), and every request it makes is a read: a GET, or MLflow's
    run search, a POST that Microsoft's role guide files under `workspaces/models/*/read`
    (MicrosoftDocs/azure-ai-docs articles/machine-learning/how-to-assign-roles.md, "MLflow operations").
    No listKeys, no datastore secrets."""
    path = run_file(tmp_path)
    assert cli(clock, "run", "apply", str(path), "--yes").code == 0
    before = len(emulated_stack.emulator.requests)
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert plan.code == 0, plan
    assert set(states(plan).values()) == {"done"}
    sign_in = ("/oauth2/", "/.well-known/", "/common/discovery/")  # Entra ID, not Azure RBAC
    made = [
        (r["method"], r["path"])
        for r in emulated_stack.emulator.requests[before:]
        if not any(part in r["path"] for part in sign_in)
    ]
    assert any("/mlflow/" in p and p.endswith("/runs/search") for _, p in made)  # the metrics were read
    assert any(p.lower().endswith("/serverlessendpoints") for _, p in made)
    not_reads = [
        (method, p)
        for method, p in made
        if method != "GET" and not (method == "POST" and p.endswith("/runs/search"))
    ]
    assert not_reads == []


def test_apply_reads_the_state_twice_the_plan_it_shows_and_the_state_it_leaves(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    """The plan shown before the confirmation is the plan applied (the base model is pinned and the
    data validated once for both); the state read after it is what `apply` prints."""
    path = run_file(tmp_path)
    before = len(emulated_stack.emulator.requests)
    assert cli(clock, "run", "apply", str(path), "--yes").code == 0
    pinned = [
        r
        for r in emulated_stack.emulator.requests[before:]
        if r["method"] == "GET" and "/registries/azureml/models/" in r["path"]
    ]
    assert len(pinned) == 2, [r["path"] for r in pinned]


def test_an_interrupted_apply_resumes_where_azure_says(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    clock.interrupt_after = 2  # Ctrl-C while waiting for the job
    stopped = cli(clock, "run", "apply", str(path), "--yes")
    assert stopped.code == 130, stopped
    assert "keeps running" in stopped.err
    clock.interrupt_after = None
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert states(plan)["upload"] == "done" and states(plan)["fine-tune"] == "done"
    resumed = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert resumed.code == 0, resumed
    assert created(emulated_stack) == {"jobs": 1, "endpoints": 1, "data_versions": 2}


def test_no_wait_submits_and_a_later_apply_continues(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    first = cli(clock, "run", "apply", str(path), "--yes", "--no-wait", "-o", "json")
    assert first.code == 0, first
    assert states(first)["wait"] == "running" and states(first)["deploy"] == "to do"
    second = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert second.code == 0 and set(states(second).values()) == {"done"}
    assert created(emulated_stack)["jobs"] == 1


NEW_JOB = "a run trains again only when its file changes the job: its model, data or hyperparameters"
STEPS_AFTER_DEPLOY = ("deploy", "content safety", "smoke", "eval gate", "expiry")


def test_a_failed_job_ends_the_run_until_its_file_changes(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    """A run's job is named from its inputs: applying again finds the same failed job, says so the same
    way, and submits nothing."""
    emulated_stack.emulator.faults.add(
        "job_fail", method="PUT", path="/jobs/", message="bad schema on line 3"
    )
    path = run_file(tmp_path)
    first = cli(clock, "run", "apply", str(path), "--yes")
    assert first.code == 3, first
    name = next(iter(emulated_stack.emulator.world.jobs))[1]
    said = f"Error: job {name} ended Failed: bad schema on line 3 (hint: {NEW_JOB})"
    assert first.errors == [said]
    again = cli(clock, "run", "apply", str(path), "--yes")
    assert (again.code, again.errors) == (3, [said])
    assert created(emulated_stack)["jobs"] == 1 and created(emulated_stack)["endpoints"] == 0


def test_a_timeout_says_to_apply_again_not_to_wait_for_the_job(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    """`finetune wait` only waits; applying again also deploys, smoke-tests and gates."""
    emulated_stack.emulator.settings.polls_per_step = 50
    path = run_file(tmp_path)
    timed_out = cli(clock, "run", "apply", str(path), "--yes", "--timeout", "30")
    assert timed_out.code == 6, timed_out
    assert timed_out.errors[0].endswith(
        f"(hint: the job goes on; keep waiting with `foundry-ops run apply {path}`)"
    )


def test_a_canceled_job_is_said_as_canceled(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    emulated_stack.emulator.settings.polls_per_step = 50
    path = run_file(tmp_path)
    submitted = cli(clock, "run", "apply", str(path), "--yes", "--no-wait", "-o", "json")
    assert submitted.code == 0, submitted
    name = submitted.json()["job"]["name"]
    assert cli(clock, "finetune", "cancel", name, "--yes").code == 0
    applied = cli(clock, "run", "apply", str(path), "--yes")
    assert applied.code == 3, applied
    assert applied.errors == [f"Error: job {name} was canceled; it made no model (hint: {NEW_JOB})"]
    assert created(emulated_stack)["jobs"] == 1


def test_a_changed_hyperparameter_makes_a_new_job_and_replaces_the_endpoint_after_its_checks(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    old = cli(clock, "run", "apply", str(path), "--yes", "-o", "json").json()
    run_file(tmp_path, epochs=3)
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert states(plan)["fine-tune"] == "changed"
    assert old["endpoint"]["name"] in next(s["detail"] for s in plan.json()["steps"] if s["name"] == "deploy")
    new = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert new.code == 0, new
    assert new.json()["job"]["name"] != old["job"]["name"]
    endpoints = {name for (_, name) in emulated_stack.emulator.world.endpoints}
    assert endpoints == {new.json()["endpoint"]["name"]}  # the old one went once the new one passed
    assert created(emulated_stack) == {"jobs": 2, "endpoints": 2, "data_versions": 2}  # same data


def test_a_failing_gate_deletes_the_new_endpoint_and_is_not_retried(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path, gate=0.99)
    failed = cli(clock, "run", "apply", str(path), "--yes")
    assert failed.code == 1, failed
    error = failed.errors
    assert len(error) == 1 and "eval gate failed: token_f1" in error[0] and "it was deleted" in error[0]
    assert emulated_stack.emulator.world.endpoints == {}
    again = cli(clock, "run", "apply", str(path), "--yes")
    assert again.code == 1 and "failed before" in again.err and "not deployed again" in again.err
    assert created(emulated_stack)["endpoints"] == 1  # not redeployed on every reconcile
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert states(plan)["eval gate"] == "failed"
    # the plan says what apply will do: nothing deployed, and a failing check (a PR's plan must not pass)
    assert {k: v for k, v in states(plan).items() if k in STEPS_AFTER_DEPLOY} == {
        "deploy": "blocked", "content safety": "blocked", "smoke": "blocked", "eval gate": "failed", "expiry": "blocked"
    }  # fmt: skip
    deploy_step = next(s for s in plan.json()["steps"] if s["name"] == "deploy")
    assert deploy_step["detail"].startswith("its eval gate failed before: not deployed again")
    assert plan.code == 1, plan
    assert plan.errors[0].startswith("Error: run support-bot: its eval gate step failed (")
    assert "`run apply` stops there too" in plan.errors[0]
    assert "nothing to apply" not in plan.err and "to apply" not in plan.err.splitlines()[-1]


def test_a_failing_gate_with_keep_leaves_the_endpoint_marked(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path, gate=0.99, on_failure="keep")
    failed = cli(clock, "run", "apply", str(path), "--yes")
    assert failed.code == 1 and "is kept, marked failed" in failed.err
    (endpoint,) = emulated_stack.emulator.world.endpoints.values()
    assert endpoint["tags"]["foundry-ops-gate"].startswith("failed:")


def test_expiry_then_reap_then_the_run_stays_retired(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = run_file(tmp_path)
    applied = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    name = applied.json()["endpoint"]["name"]
    early = cli(clock, "deploy", "reap", "--yes", "-o", "json")
    assert early.code == 0 and early.json() == [] and "no endpoint" in early.err
    listed = cli(clock, "deploy", "list", "-o", "json").json()
    assert listed[0]["expires"] and listed[0]["hours_billed"] == 1
    clock.t += 9 * 3600  # past the 8 h ttl
    reaped = cli(clock, "deploy", "reap", "--yes", "-o", "json")
    assert reaped.code == 0, reaped
    assert [r["name"] for r in reaped.json()] == [name] and reaped.json()[0]["deleted"] is True
    assert f"{name}: expired" in reaped.err
    assert emulated_stack.emulator.world.endpoints == {}
    plan = cli(clock, "run", "plan", str(path), "-o", "json")
    assert states(plan)["deploy"] == "done" and "retired" in plan.json()["steps"][4]["detail"]
    again = cli(clock, "run", "apply", str(path), "--yes", "-o", "json")
    assert again.code == 0 and emulated_stack.emulator.world.endpoints == {}  # not resurrected


def test_reap_never_touches_an_endpoint_it_did_not_create(
    emulated_stack: EmulatedStack, clock: FakeClock
) -> None:
    from tests.ops.arm.helpers import deploy_endpoint

    deploy_endpoint(emulated_stack.emulator, "theirs", tags={"foundry-ops-expires": "2000-01-01T00:00:00Z"})
    reaped = cli(clock, "deploy", "reap", "--yes", "-o", "json")
    assert reaped.code == 0 and reaped.json() == []
    assert {name for (_, name) in emulated_stack.emulator.world.endpoints} == {"theirs"}


def test_a_run_for_other_stacks_is_refused_on_this_one(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    from tests.ops.ml.helpers import CliRunner
    from tests.ops.ml.helpers import cli as root

    path = run_file_for_stacks(tmp_path, "dev")
    from ops.app import App

    app = App(clock=clock, stack="prod", outputs_file=emulated_stack.outputs_file)
    result = CliRunner().invoke(root, ["run", "plan", str(path)], obj=app)
    assert result.exit_code == 2
    assert "run support-bot is not for stack prod" in result.stderr


def test_a_run_for_other_stacks_is_refused_by_the_stack_its_outputs_name(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    """No --stack: the outputs file (dev's) says which stack it is; a prod run is not applied to it."""
    path = run_file_for_stacks(tmp_path, "prod")
    for args in (["plan"], ["apply", "--yes"]):
        refused = cli(clock, "run", *args, str(path))
        assert refused.code == 2, refused
        assert refused.errors == [
            "Error: run support-bot is not for stack dev (its stacks: prod); nothing was done (hint: add dev to "
            "`stacks:` in support-bot.yaml, or give the outputs of one of its stacks)"
        ]
    assert created(emulated_stack) == {"jobs": 0, "endpoints": 0, "data_versions": 0}

    outputs = json.loads(emulated_stack.outputs_file.read_text(encoding="utf-8"))
    del outputs["stack"]  # saved before the outputs named their stack
    emulated_stack.outputs_file.write_text(json.dumps(outputs), encoding="utf-8")
    unknown = cli(clock, "run", "apply", str(path), "--yes")
    assert unknown.code == 2, unknown
    assert unknown.errors[0].startswith(
        "Error: run support-bot is for stack(s) prod, and the stack outputs do not say which stack they are"
    )
    assert created(emulated_stack)["data_versions"] == 0


def test_bad_run_files_list_every_problem(
    emulated_stack: EmulatedStack, tmp_path: Path, clock: FakeClock
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: Bad Name\nmodel: Phi-9\nlerningRate: 1\ndata: {train: nope.jsonl}\n", encoding="utf-8"
    )
    result = cli(clock, "run", "plan", str(path))
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith(f"Error: {path}: ") and "problems in the run file" in lines[0]
    assert any(f"{path}:3:" in line and "lerningRate" in line for line in lines[1:])
    assert "Traceback" not in result.err


def run_metrics(clock: FakeClock, job: str, *args: str) -> Any:
    return cli(clock, "finetune", "metrics", job, *args)
