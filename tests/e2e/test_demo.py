"""`make demo` keeps working: `python -m demo` runs the installed CLI through the whole flow."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.emulator.azurite import Azurite

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_the_whole_flow(tmp_path: Path) -> None:
    assert Azurite.available(), "Azurite is not installed: run `make install` (npm ci)"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FOUNDRY_", "AZURE_", "AZUREML_"))}
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    out = proc.stdout
    assert out.rstrip().endswith("demo passed")
    assert "left after teardown: 0 endpoints, 0 models, 0 data assets" in out
    assert "jobs created: 2; endpoints created: 2" in out  # the single commands' and the run file's
    assert "second apply created: {'jobs': 0, 'endpoints': 0, 'data_versions': 0}" in out
    assert "apply after the reap created 0 endpoint(s)" in out  # the reaped run stays retired
    assert "Traceback" not in out + proc.stderr
    for noise in ("experimental", "Azure ML was unable"):  # SDK log records never reach the user
        assert noise not in out + proc.stderr
    assert "has_primary_key" in out or "yes" in out  # keys are said to exist, never printed
    from tests.emulator.stack import AZURITE_KEY
    from tests.emulator.state import Scenario

    for secret in (Scenario().client_secret, AZURITE_KEY):
        assert secret not in out + proc.stderr
