"""`foundry-ops infra --help` stays offline-cheap: pulumi is imported only when `plan` runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, sys
from click.testing import CliRunner
from ops.cli import cli
result = CliRunner().invoke(cli, sys.argv[1:])
print(json.dumps([result.exit_code, sorted(m for m in sys.modules if m.split(".")[0] in ("pulumi", "pulumi_azure_native"))]))
"""


def modules_after(*args: str) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=True
    )
    code, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    return code, modules


def test_infra_help_does_not_import_pulumi() -> None:
    assert modules_after("infra", "--help") == (0, [])
    assert modules_after("infra", "plan", "--help") == (0, [])


def test_plan_imports_pulumi_when_it_runs() -> None:
    code, modules = modules_after("infra", "plan", "--stack", "dev", "-o", "json")
    assert code == 0 and "pulumi" in modules and "pulumi_azure_native" in modules
