"""An App wired to the emulator with a fake clock: the adapters as the flows use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.app import App
from tests.emulator.server import Emulator
from tests.ops.ml.helpers import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(emulator_env: dict[str, str], azure_emulator: Emulator, clock: FakeClock) -> Iterator[App]:
    app = App(outputs_file=azure_emulator.outputs_file, clock=clock)  # type: ignore[attr-defined]
    yield app
    app.close()
