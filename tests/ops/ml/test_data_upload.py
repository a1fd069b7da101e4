"""`data upload`: validated, content-addressed, uploaded once, through the SDK to Azurite."""

from __future__ import annotations

from pathlib import Path

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
    assert data["path"].startswith("azureml://datastores/workspaceblobstore/paths/foundry-ops/data/")
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
    assert run.code == 2, run
    assert run.err.startswith("Error: ")
    assert "invalid training data" in run.err and "line 31" in run.err
    assert "Traceback" not in run.err
    assert len(emulated_stack.emulator.requests) == before
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
