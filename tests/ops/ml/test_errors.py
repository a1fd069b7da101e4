"""Credential and permission failures: one line, the documented exit code, no traceback, no secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import invoke, write_jsonl


def test_wrong_client_secret_exits_5(
    azure_emulator: Emulator, emulator_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    run = invoke("finetune", "list")
    assert run.code == 5, run
    assert run.err.startswith("Error: ") and len(run.err.strip().splitlines()) == 1
    assert "credentials" in run.err
    assert "not-the-secret" not in run.err and "Traceback" not in run.err


def test_missing_permission_is_one_line_with_a_hint(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulated_stack.emulator.faults.add(
        "status", method="PUT", path="/serverlessEndpoints/", status=403, code="AuthorizationFailed",
        message="The client does not have authorization to perform action "
        "'Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/write'",
    )  # fmt: skip
    job = invoke(
        "finetune", "submit", "--model", "Phi-4-mini-instruct", "--train", str(write_jsonl(tmp_path / "t.jsonl")),
        "--wait", "-o", "json",
    ).json()["name"]  # fmt: skip
    run = invoke("deploy", "create", "--job", job)
    assert run.code == 1, run
    assert "access denied (AuthorizationFailed: The client does not have authorization" in run.err
    assert "Azure AI Developer" in run.err
    assert len(run.err.strip().splitlines()) == 2  # the progress line, then the one-line error
    assert emulated_stack.emulator.world.created["endpoints"] == 0


def test_no_wait_returns_while_creating(emulated_stack: EmulatedStack, tmp_path: Path) -> None:
    emulated_stack.emulator.settings.lro_polls = 5
    job = invoke(
        "finetune", "submit", "--model", "Phi-4-mini-instruct", "--train", str(write_jsonl(tmp_path / "t.jsonl")),
        "--wait", "-o", "json",
    ).json()["name"]  # fmt: skip
    run = invoke("deploy", "create", "--job", job, "--no-wait", "-o", "json")
    assert run.code == 0, run
    assert run.json()["provisioning_state"] == "Creating"
    assert emulated_stack.emulator.count("GET", "/mfeOperationsStatus/") == 0
