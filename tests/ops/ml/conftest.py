"""Fixtures for the ML-side command tests: fake clocks, no real sleeps, a private cache dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.ml.helpers import FakeClock


@pytest.fixture(autouse=True)
def _no_real_waiting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeClock]:
    clock = FakeClock()
    monkeypatch.setattr("ops.commands.finetune.CLOCK", clock)
    monkeypatch.setattr("ops.commands.teardown.CLOCK", clock)
    monkeypatch.setattr("ops.azure.ml.SLEEP", clock.sleep)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    yield clock


@pytest.fixture
def clock(_no_real_waiting: FakeClock) -> FakeClock:
    return _no_real_waiting
