"""Loopback HTTPS emulation of the Azure REST subset foundry-ops uses, plus Azurite fixtures.

Test-only: product code never imports this package. See README.md in this directory.
"""

from __future__ import annotations

from tests.emulator.azurite import Azurite
from tests.emulator.faults import Fault, Faults
from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.emulator.state import Scenario, Settings

__all__ = ["Azurite", "EmulatedStack", "Emulator", "Fault", "Faults", "Scenario", "Settings"]
