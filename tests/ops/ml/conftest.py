"""Fixtures for the ML-side command tests: fake clocks, no real sleeps, a private cache dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ops.ml.helpers import FakeClock, patch_sleeps


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeClock:
    fake = FakeClock()
    patch_sleeps(monkeypatch, fake, tmp_path)
    return fake
