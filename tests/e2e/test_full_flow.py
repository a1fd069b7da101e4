"""The whole workflow through the real CLI, the real SDKs, HTTPS to the emulator and a real Azurite.

preflight, upload, submit, wait, deploy, content safety off/on, test, eval, teardown — with the faults
the cloud produces (429 + Retry-After, 500/503, connection resets before and after processing, failing
long-running operations, failing jobs), and the promises that matter: no duplicate job or endpoint
after retries, nothing secret printed, nothing left behind.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.emulator.stack import AZURITE_KEY, EmulatedStack
from tests.ops.ml.helpers import Run, example, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


def heldout(path: Path) -> Path:
    path.write_text("".join(json.dumps(example(i, "returns")) + "\n" for i in range(5)), encoding="utf-8")
    return path


def secrets_of(stack: EmulatedStack) -> list[str]:
    world = stack.emulator.world
    found = [stack.emulator.scenario.client_secret, AZURITE_KEY, *world.tokens]
    for endpoint in world.endpoints.values():
        found.extend(endpoint["_keys"].values())
    return [s for s in found if s]


def test_full_flow_with_faults(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulator = emulated_stack.emulator
    runs: list[Run] = []

    def step(*args: str, code: int = 0) -> Run:
        run = invoke(*args)
        runs.append(run)
        assert run.code == code, run
        assert "Traceback" not in run.err
        return run

    train = write_jsonl(tmp_path / "support.jsonl", 60)

    # offline and read-only steps
    assert PHI4 in step("models", "list", "-o", "json").out
    assert step("data", "validate", str(train), "-o", "json").json()["ok"] is True
    failing = step("preflight", "-o", "json", code=1).json()
    assert [c["name"] for c in failing["checks"] if c["status"] == "fail"] == ["provider Microsoft.Network"]
    emulator.faults.add("status", method="POST", path="/register", status=503, count=1)
    assert step("preflight", "--fix", "-o", "json").json()["ok"] is True

    # upload with a throttled datastore read and a lost response
    emulator.faults.add("status", method="GET", path="/datastores/", status=429, retry_after=0, count=1)
    emulator.faults.add("reset_after", method="PUT", path="/data/.+/versions/", count=1)
    uploaded = step("data", "upload", str(train), "-o", "json").json()
    assert uploaded["uploaded"] is True

    # submit: the first job fails in the service; resubmitting the same inputs returns that failed job,
    # --new submits again, through a 503, a lost PUT response and throttled polls
    emulator.faults.add("job_fail", method="PUT", path="/jobs/", message="Out of capacity in eastus2")
    failed = step(
        "finetune", "submit", "--model", PHI4, "--train", str(train), "--epochs", "1", "--wait", code=3
    )
    assert re.search(r"ended Failed: (\w+: )?Out of capacity in eastus2$", failed.err.strip())
    emulator.faults.add("status", method="PUT", path="/jobs/", status=503, count=1)
    emulator.faults.add("reset_after", method="PUT", path="/jobs/", count=1)
    emulator.faults.add("status", method="GET", path="/jobs/ft-", status=429, retry_after=1, count=2, skip=2)
    emulator.faults.add("status", method="GET", path="/jobs/ft-", status=500, count=1, skip=6)
    emulator.faults.add("reset", method="GET", path="/jobs/ft-", count=1, skip=8)
    job = step(
        "finetune", "submit", "--model", PHI4, "--train", str(train), "--epochs", "1", "--wait", "--new",
        "-o", "json",
    ).json()  # fmt: skip
    assert job["status"] == "Completed"
    assert emulator.world.created["jobs"] == 2  # the failed one and this one: no duplicate from retries
    same = step("finetune", "submit", "--model", PHI4, "--train", str(train), "--epochs", "1", "-o", "json")
    assert same.json()["status"] == "Failed"  # same inputs as the first submit: that job, not a new one
    assert emulator.world.created["jobs"] == 2

    # deploy: the first provisioning fails; the retry goes through a 500, a lost PUT response, a reset
    emulator.faults.add(
        "lro_fail", method="PUT", path="/serverlessEndpoints/", message="Capacity unavailable"
    )
    assert "Capacity unavailable" in step("deploy", "create", "--job", job["name"], code=3).err
    emulator.faults.add("status", method="PUT", path="/serverlessEndpoints/", status=500, count=1)
    emulator.faults.add("reset_after", method="PUT", path="/serverlessEndpoints/", count=1)
    emulator.faults.add(
        "status", method="GET", path="/mfeOperationsStatus/", status=429, retry_after=0, count=1
    )
    endpoint = step("deploy", "create", "--job", job["name"], "-o", "json").json()
    name = endpoint["name"]
    assert endpoint["state"] == "Online" and endpoint["content_safety"] == "Enabled"
    assert emulator.world.created["endpoints"] == 1
    assert step("deploy", "create", "--job", job["name"], "-o", "json").json()["name"] == name
    assert emulator.world.created["endpoints"] == 1

    # content safety: on by default, off (confirmed), on again
    assert step("content-safety", "show", name, "-o", "json").json()["content_safety"] == "Enabled"
    blocked = step("endpoint", "test", name, "--prompt", "BLOCKME please", code=1)
    assert "BLOCKED by content filter" in blocked.out + blocked.err
    step("content-safety", "set", name, "--disabled", code=2)  # no terminal, no --yes: refused, exit 2
    step("content-safety", "set", name, "--disabled", "--yes")
    assert step("content-safety", "show", name, "-o", "json").json()["content_safety"] == "Disabled"
    step("endpoint", "test", name, "--prompt", "BLOCKME please")
    step("content-safety", "set", name, "--enabled")
    assert step("content-safety", "show", name, "-o", "json").json()["content_safety"] == "Enabled"

    # test and evaluate
    emulator.faults.add("status", method="POST", path="/chat/completions", status=429, retry_after=0, count=1)
    answer = step("endpoint", "test", name, "--prompt", "How do I change setting 3?")
    assert "How do I change setting 3?" in answer.out
    scores = step("eval", name, "--file", str(heldout(tmp_path / "heldout.jsonl")), "-o", "json").json()
    assert scores["examples"] == 5
    mine = scores["endpoints"][name]
    assert (mine["answered"], mine["blocked"], mine["failed"]) == (5, 0, 0)
    assert 0.0 <= mine["token_f1"] <= 1.0 and mine["perplexity"] is None
    keys_hidden = step("deploy", "keys", name, "-o", "json").json()
    assert keys_hidden == {"name": name, "has_primary_key": True, "has_secondary_key": True}

    # nothing secret was printed by any step so far
    printed = "".join(r.out + r.err for r in runs)
    for secret in secrets_of(emulated_stack):
        assert secret not in printed

    # teardown, everything, through a throttled delete
    emulator.faults.add(
        "status", method="DELETE", path="/serverlessEndpoints/", status=429, retry_after=0, count=1
    )
    down = step("teardown", "--yes", "--delete-models", "--delete-data", "-o", "json").json()
    assert down["done"] is True
    world = emulator.world
    assert world.endpoints == {} and world.models == {} and world.data == {}
    assert "nothing to tear down in subscription" in step("teardown", "--yes").err

    # every injected fault actually fired
    assert all(f["fired"] >= 1 for f in emulator.faults.list()), emulator.faults.list()
