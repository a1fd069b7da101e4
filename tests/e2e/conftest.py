"""End-to-end flow fixtures: no real sleeping, a private cache directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.ml.helpers import FakeClock


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr("ops.commands.finetune.CLOCK", fake)
    monkeypatch.setattr("ops.commands.teardown.CLOCK", fake)
    monkeypatch.setattr("ops.azure.ml.SLEEP", fake.sleep)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return fake
