"""pytest fixtures for the emulation. Registered for the whole suite in tests/conftest.py.

- `azure_emulator`: a started Emulator (HTTPS on 127.0.0.1:<free port>), stopped after the test.
- `azurite`: a started Azurite (HTTPS + OAuth) with the workspace's default container; also sets
  FOUNDRY_BLOB_ENDPOINT for the test.
- `emulator_env`: os.environ pointed at `azure_emulator` (credentials, endpoints, CA bundle,
  FOUNDRY_OUTPUTS); returns the dict it set.
- `emulated_stack`: emulator + Azurite + env in one (what end-to-end tests want).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.azurite import Azurite
from tests.emulator.server import Emulator
from tests.emulator.stack import FOREIGN_ENV, EmulatedStack, create_default_container


@pytest.fixture
def azure_emulator(tmp_path: Path) -> Iterator[Emulator]:
    emulator = Emulator(tmp_path / "emulator").start()
    outputs = tmp_path / "emulator" / "outputs.json"
    outputs.write_text(json.dumps(emulator.outputs(), indent=2), encoding="utf-8")
    emulator.outputs_file = outputs  # type: ignore[attr-defined]
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def emulator_env(azure_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in FOREIGN_ENV:
        monkeypatch.delenv(name, raising=False)
    env = {**azure_emulator.env(), "FOUNDRY_OUTPUTS": str(azure_emulator.outputs_file)}  # type: ignore[attr-defined]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def azurite(tmp_path: Path, azure_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Azurite]:
    problem = Azurite.missing()
    if problem is not None:  # never a silent skip: the suite needs Azurite
        pytest.fail(problem, pytrace=False)
    server = Azurite(tmp_path / "azurite", azure_emulator.certs.cert, azure_emulator.certs.key).start()
    try:
        azure_emulator.world.blob_endpoint = server.blob_endpoint
        create_default_container(azure_emulator, server)
        monkeypatch.setenv("FOUNDRY_BLOB_ENDPOINT", server.blob_endpoint)
        yield server
    finally:
        server.stop()


@pytest.fixture
def emulated_stack(azure_emulator: Emulator, azurite: Azurite, emulator_env: dict[str, str]) -> EmulatedStack:
    """Everything wired: `stack.emulator`, `stack.azurite`, `stack.env()`, `stack.outputs_file`."""
    stack = EmulatedStack(azure_emulator.workdir, blob=False)
    stack.emulator = azure_emulator
    stack.azurite = azurite
    stack.outputs_file = azure_emulator.outputs_file  # type: ignore[attr-defined]
    return stack
