"""Importing one module of ops.data loads that module, not the whole validator (ops/data/__init__.py is empty)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_reading_conversations_does_not_load_the_validator() -> None:
    """eval and `endpoint test` read held-out conversations; they need no scanner, tokenizer or report."""
    probe = (
        "import json, sys\n"
        "import ops.data.conversations\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('ops.data.'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "ops.data.conversations" in loaded
    for heavy in ("ops.data.validate", "ops.data.scan", "ops.data.report", "ops.data.tokens"):
        assert heavy not in loaded, loaded
