"""`data upload`: validated, content-addressed, uploaded once, through the SDK to Azurite."""

from __future__ import annotations

from pathlib import Path

from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import blobs_in_default_container, invoke, write_jsonl


def test_upload_registers_a_versioned_asset_once(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulator = emulated_stack.emulator
    train = write_jsonl(tmp_path / "support.jsonl")
    first = invoke("data", "upload", str(train), "--name", "support-train", "-o", "json")
    assert first.code == 0, first
    data = first.json()
    assert data["name"] == "support-train"
    assert data["uploaded"] is True
    assert data["ref"] == f"azureml:support-train:{data['version']}"
    assert len(data["version"]) == 12 and data["sha256"].startswith(data["version"])
    # registered with the short form, answered (as the real service does) with the long one
    sub, rg = emulator.scenario.subscription_id, emulator.scenario.resource_group
    assert data["path"] == (
        f"azureml://subscriptions/{sub}/resourcegroups/{rg}/workspaces/proj-foundry-dev/datastores/"
        f"workspaceblobstore/paths/foundry-ops/data/{data['sha256']}/support.jsonl"
    )
    put = next(
        r for r in emulator.requests if r["method"] == "PUT" and "/data/support-train/versions/" in r["path"]
    )
    assert put["status"] == 201
    assert emulator.world.created["data_versions"] == 1

    # The blob really is in Azurite, under its hash, byte for byte.
    blobs = blobs_in_default_container(emulated_stack)
    assert blobs == {f"foundry-ops/data/{data['sha256']}/support.jsonl": train.read_bytes()}

    again = invoke("data", "upload", str(train), "--name", "support-train", "-o", "json")
    assert again.code == 0, again
    assert again.json()["uploaded"] is False
    assert again.json()["version"] == data["version"]
    assert "already holds this file" in again.err
    assert emulator.world.created["data_versions"] == 1
    assert emulator.count("PUT", "/data/support-train/versions/") == 1
    assert len(blobs_in_default_container(emulated_stack)) == 1


def test_changed_file_gets_a_new_version(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    train = write_jsonl(tmp_path / "t.jsonl")
    v1 = invoke("data", "upload", str(train), "-o", "json").json()["version"]
    write_jsonl(train, n=31)
    v2 = invoke("data", "upload", str(train), "-o", "json").json()["version"]
    assert v1 != v2
    assert emulated_stack.emulator.world.created["data_versions"] == 2


def test_invalid_data_is_refused_before_anything_is_created(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    bad = write_jsonl(tmp_path / "bad.jsonl")
    with bad.open("a", encoding="utf-8") as fh:
        fh.write('{"messages": [{"role": "user", "content": "no answer"}]}\n')
        fh.write("not json\n")
    before = len(emulated_stack.emulator.requests)
    run = invoke("data", "upload", str(bad))
    assert run.code == 1, run  # data with errors: exit 1, as `data validate` (usage errors are 2)
    assert run.err.startswith("Error: ")
    assert "invalid training data" in run.err and "line 31" in run.err
    assert "Traceback" not in run.err
    assert len(emulated_stack.emulator.requests) == before
    assert emulated_stack.emulator.world.created["data_versions"] == 0


def test_small_validation_data_uploads_with_for_validation(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    """Training data needs 10 examples; validation data one, as `finetune submit --validation FILE` has
    always allowed: `data upload --for validation` applies the same rule, so a held-out file of 4 uploads."""
    held_out = write_jsonl(tmp_path / "holdout.jsonl", n=4, topic="shipping")
    as_training = invoke("data", "upload", str(held_out))
    assert as_training.code == 1, as_training
    assert as_training.errors == [
        f"Error: {held_out}: invalid training data for Phi-4-mini-instruct (1 too_few_examples); 4 example(s); "
        "fine-tuning needs at least 10 (hint: add examples; for validation data, pass --for validation: it needs "
        "only one)"
    ]
    assert emulated_stack.emulator.world.created["data_versions"] == 0

    as_validation = invoke("data", "upload", str(held_out), "--for", "validation", "-o", "json")
    assert as_validation.code == 0, as_validation
    assert as_validation.json()["name"] == "holdout" and as_validation.json()["uploaded"] is True
    assert emulated_stack.emulator.world.created["data_versions"] == 1

    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    none_at_all = invoke("data", "upload", str(empty), "--for", "validation")
    assert none_at_all.code == 1, none_at_all
    assert (
        "invalid validation data" in none_at_all.err and "validation data needs at least 1" in none_at_all.err
    )
    assert emulated_stack.emulator.world.created["data_versions"] == 1


def test_a_json_array_is_refused_with_how_to_make_jsonl(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    import json

    lines = write_jsonl(tmp_path / "t.jsonl").read_text(encoding="utf-8").splitlines()
    array = tmp_path / "examples.json"
    array.write_text(json.dumps([json.loads(line) for line in lines], indent=2), encoding="utf-8")
    run = invoke("data", "upload", str(array))
    assert run.code == 1, run
    assert run.errors[0].endswith(
        f"(hint: {array} looks like one JSON array; JSONL is one example per line: `jq -c '.[]' {array} > OUT.jsonl`)"
    )
    assert emulated_stack.emulator.world.created["data_versions"] == 0


def test_missing_file_is_a_usage_error(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    run = invoke("data", "upload", str(tmp_path / "nope.jsonl"))
    assert run.code == 2
    assert "nope.jsonl: no such file" in run.err


def test_transient_faults_on_upload_do_not_duplicate(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulator = emulated_stack.emulator
    emulator.faults.add("status", method="GET", path="/datastores", status=503, count=1)
    emulator.faults.add("reset_after", method="PUT", path="/data/.+/versions/", count=1)
    run = invoke("data", "upload", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json")
    assert run.code == 0, run
    assert emulator.world.created["data_versions"] == 1


def test_a_refused_repeat_of_a_registration_that_worked_answers_with_the_version(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    # The first PUT registers the version but its answer is lost, and the repeat is refused. What the
    # real service answers to a repeated data version PUT is not on record (SOURCES.md, Assets 11), so
    # the refusal here is a plain 409; the version is there, pointing at the uploaded blob, so it stands.
    emulator = emulated_stack.emulator
    emulator.faults.add("reset_after", method="PUT", path="/data/.+/versions/", count=1)
    refusal = {"error": {"code": "UserError", "message": "The version already exists."}}
    emulator.faults.add("replay", method="PUT", path="/data/.+/versions/", status=409, body=refusal, count=1)
    run = invoke("data", "upload", str(write_jsonl(tmp_path / "t.jsonl")), "-o", "json")
    assert run.code == 0, run
    assert emulator.world.created["data_versions"] == 1
    assert run.json()["path"].endswith(f"/paths/foundry-ops/data/{run.json()['sha256']}/t.jsonl")


def _refuse_the_next_registration(emulator: Emulator, first: dict[str, str]) -> None:
    """The version is missed by the look-up before the upload (as when another upload makes it just then),
    and the PUT is refused."""
    emulator.faults.add("status", method="GET", path=f"/versions/{first['version']}$", status=404, count=1)
    refusal = {"error": {"code": "UserError", "message": "The version already exists."}}
    emulator.faults.add("replay", method="PUT", path="/data/.+/versions/", status=409, body=refusal, count=1)


def test_a_refused_registration_stands_when_the_version_holds_other_bytes(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    emulator = emulated_stack.emulator
    train = write_jsonl(tmp_path / "t.jsonl")
    first = invoke("data", "upload", str(train), "-o", "json").json()
    ws = emulator.scenario.project_name.lower()
    view = emulator.world.data[(ws, first["name"])]["versions"][first["version"]]
    view["properties"]["tags"]["sha256"] = "0" * 64
    _refuse_the_next_registration(emulator, first)
    run = invoke("data", "upload", str(train), "--name", first["name"], "-o", "json")
    assert run.code == 1, run
    errors = run.errors
    assert len(errors) == 1 and errors[0].endswith("UserError: The version already exists."), run.err


def test_a_refused_registration_of_the_same_bytes_from_another_file_answers_with_the_version(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    # Same bytes, so the same version, uploaded from another file name: the blobs differ, the content does not.
    emulator = emulated_stack.emulator
    train = write_jsonl(tmp_path / "t.jsonl")
    first = invoke("data", "upload", str(train), "-o", "json").json()
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(train.read_bytes())
    _refuse_the_next_registration(emulator, first)
    run = invoke("data", "upload", str(copy), "--name", first["name"], "-o", "json")
    assert run.code == 0, run
    assert run.json()["version"] == first["version"] and run.json()["path"] == first["path"]
    assert emulator.world.created["data_versions"] == 1


def _with_a_key(path: Path, line: int) -> Path:
    rows = path.read_text(encoding="utf-8").splitlines()
    key = "sk-proj-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4"
    rows[line - 1] = rows[line - 1].replace("and save.", f"and save with key {key}.")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_file_holding_a_credential_is_refused_with_its_line(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    train = _with_a_key(write_jsonl(tmp_path / "support.jsonl"), 7)
    before = len(emulated_stack.emulator.requests)
    run = invoke("data", "upload", str(train))
    assert run.code == 1, run
    assert run.err.startswith(f"Error: {train}: line 7 contains what looks like an OpenAI-style API key")
    assert "nothing was uploaded" in run.err and "--allow-secrets" in run.err
    assert "sk-proj-" not in run.err  # the match itself is never echoed
    assert len(emulated_stack.emulator.requests) == before
    assert blobs_in_default_container(emulated_stack) == {}


def test_allow_secrets_uploads_and_still_says_so(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    train = _with_a_key(write_jsonl(tmp_path / "support.jsonl"), 7)
    run = invoke("data", "upload", str(train), "--allow-secrets", "-o", "json")
    assert run.code == 0, run
    assert "warning: " in run.err and "look like credentials (--allow-secrets)" in run.err


def test_warnings_are_shown_and_the_profile_is_recorded(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    train = write_jsonl(tmp_path / "support.jsonl")
    with train.open("a", encoding="utf-8") as fh:  # a duplicate: a warning, not an error
        fh.write(train.read_text(encoding="utf-8").splitlines()[0] + "\n")
    run = invoke("data", "upload", str(train), "-o", "json")
    assert run.code == 0, run
    assert "warning: " in run.err and "duplicate" in run.err and "line 31" in run.err
    name, version = run.json()["name"], run.json()["version"]
    stored = emulated_stack.emulator.world.data[("proj-foundry-dev", name)]["versions"][version]
    tags = stored["properties"]["tags"]
    assert tags["tokenizer"] == "o200k_base" and tags["validated_for"] == "Phi-4-mini-instruct"
    assert int(tags["max_tokens"]) > 0 and tags["examples"] == "31" and tags["sha256"].startswith(version)
