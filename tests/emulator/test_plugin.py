"""A missing Azurite (or Node.js) fails the tests that need it with one line naming what to install;
it never turns into a silent skip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.emulator import azurite as azurite_module
from tests.emulator.azurite import Azurite, AzuriteError

REPO = Path(__file__).resolve().parents[2]


def test_missing_pieces_are_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(azurite_module, "EXECUTABLE", REPO / "node_modules" / ".bin" / "no-azurite-here")
    problem = Azurite.missing()
    assert problem is not None and "make install" in problem and "npm ci" in problem and "\n" not in problem
    with pytest.raises(AzuriteError, match="make install"):
        Azurite(tmp_path).start()
    monkeypatch.setattr(azurite_module.shutil, "which", lambda name: None)
    assert "Node.js" in (Azurite.missing() or "")


def test_the_fixture_fails_instead_of_skipping(tmp_path: Path) -> None:
    (tmp_path / "test_needs_azurite.py").write_text(
        "def test_blob(azurite):\n    pass\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin"), "PYTHONPATH": str(REPO)}  # no `node`
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.emulator.plugin", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-q", "-rA", "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert "Azurite needs Node.js: `node` is not on PATH" in result.stdout
