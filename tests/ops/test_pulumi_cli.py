"""`pulumi destroy` runs for minutes: its output reaches the user as it comes, not at the end."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from core.errors import ToolkitError
from ops import pulumi_cli


def stand_in(tmp_path: Path, exit_code: int = 0) -> Path:
    """A `pulumi` that prints one line, then waits (up to 5 s) until the caller has seen it."""
    seen = tmp_path / "seen"
    script = tmp_path / "bin" / "pulumi"
    script.parent.mkdir()
    script.write_text(
        f"#!{sys.executable}\n"
        "import os, sys, time\n"
        "print('Destroying (dev):', flush=True)\n"
        "deadline = time.monotonic() + 5\n"
        f"while not os.path.exists({str(seen)!r}) and time.monotonic() < deadline:\n"
        "    time.sleep(0.01)\n"
        f"print('seen' if os.path.exists({str(seen)!r}) else 'not seen before the end', flush=True)\n"
        f"sys.exit({exit_code})\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return seen


def test_destroy_passes_each_line_on_while_pulumi_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = stand_in(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    lines: list[str] = []

    def on_line(line: str) -> None:
        lines.append(line)
        seen.touch()

    pulumi_cli.destroy("dev", on_line)
    assert lines == ["Destroying (dev):", "seen"]


def test_a_failed_destroy_is_one_error_after_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stand_in(tmp_path, exit_code=255)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    lines: list[str] = []
    with pytest.raises(ToolkitError, match=r"pulumi destroy of stack 'dev' failed \(exit 255\)"):
        pulumi_cli.destroy("dev", lines.append)
    assert lines[0] == "Destroying (dev):"
