"""Fixtures for the ARM-side command tests: a CLI runner and a deployed endpoint in the emulator."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ops.app import App
from ops.cli import cli
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock


@pytest.fixture
def run(emulator_env: dict[str, str]) -> Callable[..., Result]:
    """Invoke the real CLI in-process with the emulator's environment, on a fake clock (retry and polling
    waits pass at once) unless `real_time=True` (a test that measures the waits themselves)."""

    def invoke(*args: str, input: str | None = None, real_time: bool = False) -> Result:
        app = App() if real_time else App(clock=FakeClock())
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, obj=app)

    return invoke


@pytest.fixture
def endpoint(azure_emulator: Emulator, emulator_env: dict[str, str]) -> dict[str, Any]:
    """A serverless endpoint `bot` (content safety on) with known answers."""
    azure_emulator.settings.answers["bot"] = {
        "What is 2+2?": "4",
        "Capital of France?": "The capital is Paris.",
    }
    return deploy_endpoint(azure_emulator, "bot")
