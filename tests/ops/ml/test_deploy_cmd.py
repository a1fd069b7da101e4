"""`deploy create | list | show | delete | keys` against the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


@pytest.fixture
def job(emulated_stack: EmulatedStack, tmp_path: Path) -> str:
    """A completed fine-tuning job (its model is registered in the project)."""
    run = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl", 40)),
        "--suffix", "support", "--wait", "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run
    name: str = run.json()["name"]
    return name


def endpoint_puts(emulator: Emulator) -> list[dict[str, Any]]:
    return [r for r in emulator.requests if r["method"] == "PUT" and "/serverlessEndpoints/" in r["path"]]


def test_deploy_a_job_with_content_safety_in_one_put(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    run = invoke("deploy", "create", "--job", job, "-o", "json")
    assert run.code == 0, run
    ep = run.json()
    guid = emulator.scenario.workspace_guid(emulator.scenario.project_name)
    assert ep["model_id"] == (
        f"azureml://locations/eastus2/workspaces/{guid}/models/phi-4-mini-instruct-ft-support/versions/1"
    )
    assert ep["state"] == "Online" and ep["provisioning_state"] == "Succeeded"
    assert ep["content_safety"] == "Enabled"
    assert ep["name"].startswith("phi-4-mini-instruct-ft-s") and len(ep["name"]) <= 32
    puts = endpoint_puts(emulator)
    assert len(puts) == 1 and puts[0]["api_version"] == "2024-10-01"  # the one endpoints api-version
    stored = emulator.world.endpoints[(emulator.scenario.project_name.lower(), ep["name"])]
    assert stored["properties"]["contentSafety"] == {"contentSafetyStatus": "Enabled"}
    assert stored["sku"]["name"] == "Consumption"


def test_an_endpoint_without_expiry_is_said_to_bill_until_deleted(
    emulated_stack: EmulatedStack, job: str
) -> None:
    forever = invoke("deploy", "create", "--job", job, "-o", "json")
    assert forever.code == 0, forever
    name = forever.json()["name"]
    assert forever.json()["expires"] is None
    assert forever.err.splitlines()[-1] == (
        f"warning: endpoint {name} has no expiry: it is billed every hour until `foundry-ops deploy delete "
        f"{name}` (--ttl 8h records one that `deploy reap` acts on)"
    )
    assert invoke("deploy", "delete", name, "--yes").code == 0
    bounded = invoke("deploy", "create", "--job", job, "--ttl", "8h", "-o", "json")
    assert bounded.code == 0, bounded
    assert bounded.json()["expires"] and "no expiry" not in bounded.err


def test_a_mistyped_job_is_said_as_every_command_says_it(emulated_stack: EmulatedStack, job: str) -> None:
    typo = job[:-1]
    for args in (["deploy", "create", "--job", typo], ["finetune", "show", typo], ["finetune", "wait", typo]):
        run = invoke(*args)
        assert run.code == 4, run
        assert run.errors == [f"Error: job {typo} not found in the project; did you mean {job}?"]
    assert emulated_stack.emulator.world.created["endpoints"] == 0


def endpoint_gets_after_its_put(emulator: Emulator, name: str) -> int:
    path = f"/serverlessEndpoints/{name}"
    requests = emulator.requests
    put = next(i for i, r in enumerate(requests) if r["method"] == "PUT" and r["path"].endswith(path))
    return sum(1 for r in requests[put:] if r["method"] == "GET" and r["path"].endswith(path))


def test_a_deployment_is_read_only_through_its_operation(emulated_stack: EmulatedStack, job: str) -> None:
    """The operation ends with the endpoint (ARMPolling's final GET); no read of it follows."""
    emulator = emulated_stack.emulator
    run = invoke("deploy", "create", "--job", job, "--name", "waited", "-o", "json")
    assert run.code == 0, run
    assert run.json()["provisioning_state"] == "Succeeded"
    assert endpoint_gets_after_its_put(emulator, "waited") == 1
    invoke("deploy", "delete", "waited", "--yes")
    started = invoke("deploy", "create", "--job", job, "--name", "started", "--no-wait", "-o", "json")
    assert started.code == 0, started
    assert started.json()["provisioning_state"] == "Creating"  # the PUT's own answer
    assert endpoint_gets_after_its_put(emulator, "started") == 0


def test_one_endpoint_per_model(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    first = invoke("deploy", "create", "--job", job, "-o", "json").json()
    same = invoke("deploy", "create", "--model", "phi-4-mini-instruct-ft-support", "-o", "json")
    assert same.code == 0, same  # the same request again: the endpoint that serves it
    assert same.json()["name"] == first["name"] and "already deployed as" in same.err
    other = invoke("deploy", "create", "--model", "phi-4-mini-instruct-ft-support", "--name", "other")
    assert other.code == 2, other  # another name conflicts with what exists: nothing changes
    assert other.err.splitlines()[-1] == (
        f"Error: phi-4-mini-instruct-ft-support:1 is already deployed as endpoint {first['name']} (one endpoint "
        f"per model); nothing was changed (hint: use that endpoint, or delete it first: foundry-ops deploy "
        f"delete {first['name']})"
    )
    unfiltered = invoke("deploy", "create", "--job", job, "--no-content-safety", "--yes")
    assert unfiltered.code == 2, unfiltered  # content safety the other way: the command that would do it
    assert f"foundry-ops content-safety set {first['name']} --disabled" in unfiltered.err
    assert emulator.world.created["endpoints"] == 1
    assert len(endpoint_puts(emulator)) == 1


def test_no_content_safety(emulated_stack: EmulatedStack, job: str) -> None:
    refused = invoke("deploy", "create", "--job", job, "--no-content-safety", "--name", "support-bot")
    assert refused.code == 2 and "pass --yes" in refused.err  # lowering safety asks first
    assert emulated_stack.emulator.world.created["endpoints"] == 0
    run = invoke(
        "deploy",
        "create",
        "--job",
        job,
        "--no-content-safety",
        "--name",
        "support-bot",
        "--yes",
        "-o",
        "json",
    )
    assert run.code == 0, run
    assert run.json()["name"] == "support-bot"
    assert run.json()["content_safety"] == "Disabled"


def test_faults_during_create_leave_exactly_one_endpoint(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("status", method="PUT", path="/serverlessEndpoints/", status=500, count=1)
    emulator.faults.add("reset_after", method="PUT", path="/serverlessEndpoints/", count=1)
    emulator.faults.add(
        "status", method="GET", path="/mfeOperationsStatus/", status=429, retry_after=0, count=1
    )
    emulator.faults.add("reset", method="GET", path="/serverlessEndpoints/", count=1)
    run = invoke("deploy", "create", "--job", job, "-o", "json")
    assert run.code == 0, run
    assert run.json()["state"] == "Online"
    assert emulator.world.created["endpoints"] == 1
    assert len(invoke("deploy", "list", "-o", "json").json()) == 1


def test_failed_deployment_exits_3(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add(
        "lro_fail", method="PUT", path="/serverlessEndpoints/", message="Quota exceeded for MaaS"
    )
    run = invoke("deploy", "create", "--job", job)
    assert run.code == 3, run
    assert "deployment of endpoint" in run.err and "Quota exceeded for MaaS" in run.err
    assert "Traceback" not in run.err


def test_name_not_available_tries_another_derived_name(emulated_stack: EmulatedStack, job: str) -> None:
    from ops.flows.naming import endpoint_name

    emulator = emulated_stack.emulator
    guid = emulator.scenario.workspace_guid(emulator.scenario.project_name)
    model = "phi-4-mini-instruct-ft-support"
    model_id = f"azureml://locations/eastus2/workspaces/{guid}/models/{model}/versions/1"
    taken = endpoint_name(model, model_id)
    emulator.settings.unavailable_endpoint_names = {taken}
    run = invoke("deploy", "create", "--job", job, "-o", "json")
    assert run.code == 0, run
    assert run.json()["name"] == endpoint_name(model, model_id, 1)
    assert f"the name {taken} is taken" in run.err


def test_job_not_completed_cannot_be_deployed(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulated_stack.emulator.settings.polls_per_step = 50
    sub = invoke(
        "finetune", "submit", "--model", PHI4, "--train", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json"
    )
    name = sub.json()["name"]
    run = invoke("deploy", "create", "--job", name)
    assert run.code == 2
    assert "only a completed job has a model to deploy" in run.err
    assert f"finetune wait {name}" in run.err


def test_usage_errors(azure_emulator: Emulator, emulator_env: Any) -> None:
    assert invoke("deploy", "create").code == 2
    both = invoke("deploy", "create", "--job", "a", "--model", "b")
    assert both.code == 2 and "exactly one of --job or --model" in both.err
    missing = invoke("deploy", "create", "--model", "nope")
    assert missing.code == 4 and "model nope not found in the project" in missing.err
    misspelt = invoke("deploy", "show", "phi-4-mini")
    assert misspelt.code == 4
    assert invoke("deploy", "show", "nope").code == 4


def test_keys_are_printed_only_when_asked(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    name = invoke("deploy", "create", "--job", job, "-o", "json").json()["name"]
    secrets = emulator.world.endpoints[(emulator.scenario.project_name.lower(), name)]["_keys"]
    hidden = invoke("deploy", "keys", name, "-o", "json")
    assert hidden.code == 0, hidden
    assert hidden.json() == {"name": name, "has_primary_key": True, "has_secondary_key": True}
    assert "--show-keys" in hidden.err
    table = invoke("deploy", "keys", name)
    shown = invoke("deploy", "keys", name, "--show-keys", "-o", "json")
    assert shown.json() == {
        "name": name,
        "primary_key": secrets["primaryKey"],
        "secondary_key": secrets["secondaryKey"],
    }
    everything_else = "".join(
        r.out + r.err
        for r in (hidden, table, invoke("deploy", "show", name), invoke("deploy", "list", "-o", "json"))
    )
    for key in secrets.values():
        assert key not in everything_else


def test_list_show_delete(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    name = invoke("deploy", "create", "--job", job, "-o", "json").json()["name"]
    listed = invoke("deploy", "list")
    assert listed.out.splitlines()[0].split() == [
        "NAME", "MODEL", "STATE", "CONTENT_SAFETY", "CREATED", "EXPIRES", "HOURS_BILLED"
    ]  # fmt: skip
    assert name in listed.out
    shown = invoke("deploy", "show", name, "-o", "json").json()
    assert shown["uri"] == f"{emulator.base_url}/inference/{name}"
    refused = invoke("deploy", "delete", name)
    assert refused.code == 2 and "--yes" in refused.err  # no terminal to ask on: exit 2, nothing done
    assert emulator.count("DELETE", "/serverlessEndpoints/") == 0
    emulator.faults.add("status", method="DELETE", path="/serverlessEndpoints/", status=503, count=1)
    deleted = invoke("deploy", "delete", name, "--yes", "-o", "json")
    assert deleted.code == 0, deleted
    assert deleted.json() == {"name": name, "deleted": True}
    assert json.loads(invoke("deploy", "list", "-o", "json").out) == []


def test_failed_endpoint_is_provisioned_again_not_duplicated(emulated_stack: EmulatedStack, job: str) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add(
        "lro_fail", method="PUT", path="/serverlessEndpoints/", message="Transient capacity issue"
    )
    failed = invoke("deploy", "create", "--job", job)
    assert failed.code == 3, failed
    retried = invoke("deploy", "create", "--job", job, "-o", "json")
    assert retried.code == 0, retried
    assert "failed to provision earlier; trying again" in retried.err
    assert retried.json()["provisioning_state"] == "Succeeded"
    assert emulator.world.created["endpoints"] == 1
