"""`--outputs`/`--stack` given on the root win over FOUNDRY_OUTPUTS/FOUNDRY_STACK read again by the subcommand."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import Emulator
from tests.ops.ml.helpers import invoke


def test_root_flag_beats_environment(
    azure_emulator: Emulator, emulator_env: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    westeurope = tmp_path / "westeurope.json"
    westeurope.write_text(
        json.dumps({**azure_emulator.outputs(), "location": "westeurope"}), encoding="utf-8"
    )
    args = ("finetune", "submit", "--model", "Phi-4-mini-instruct", "--mode", "serverless",
            "--train", "t:1", "--validation", "v:1")  # fmt: skip
    run = invoke("--outputs", str(westeurope), *args)  # FOUNDRY_OUTPUTS (eastus2) is set by emulator_env
    assert run.code == 2 and "not offered in westeurope" in run.err, run
    # a flag on the subcommand itself still wins over everything
    run = invoke(*args[:2], "--outputs", str(westeurope), *args[2:])
    assert run.code == 2 and "not offered in westeurope" in run.err, run
    # and the environment alone is used when no flag is given
    run = invoke(*args)
    assert "westeurope" not in run.err
