"""Contract tests: the emulator against recorded real traffic and Microsoft's REST examples (fixtures/)."""

from __future__ import annotations

import pytest

from tests.emulator.client import Rest
from tests.emulator.server import Emulator


@pytest.fixture
def rest(azure_emulator: Emulator) -> Rest:
    return Rest(azure_emulator)
