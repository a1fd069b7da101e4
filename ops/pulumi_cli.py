"""The Pulumi CLI, run as a subprocess: reading a stack's outputs and `pulumi destroy`.

The only module that shells out to `pulumi`; tests put a stand-in executable on PATH.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

from core.errors import OutputsError, ToolkitError, UsageError

INSTALL_HINT = "install it from pulumi.com, or pass --outputs FILE with saved outputs"


def executable() -> str:
    found = shutil.which("pulumi")
    if found is None:
        raise UsageError("the Pulumi CLI is not on PATH", hint=INSTALL_HINT)
    return found


def stack_output_json(stack: str) -> str:
    """`pulumi stack output --json --show-secrets` (secrets included: they never reach stdout)."""
    try:
        exe = executable()
    except UsageError as exc:
        raise OutputsError(str(exc), hint=exc.hint) from None
    proc = subprocess.run(
        [exe, "stack", "output", "--json", "--show-secrets", "--stack", stack],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        detail = (proc.stderr.strip().splitlines() or ["no error text"])[-1]
        raise OutputsError(f"pulumi could not read outputs of stack {stack!r}: {detail}")
    return proc.stdout or "{}"


def destroy(stack: str, on_line: Callable[[str], None]) -> None:
    """`pulumi destroy --yes` of `stack`, its output passed on line by line as it comes (a destroy
    takes minutes: the user sees it move)."""
    with subprocess.Popen(
        [executable(), "destroy", "--yes", "--skip-preview", "--non-interactive", "--stack", stack],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as proc:
        assert proc.stdout is not None  # stdout=PIPE
        for line in proc.stdout:
            on_line(line.rstrip("\n"))
    if proc.returncode != 0:
        raise ToolkitError(f"pulumi destroy of stack {stack!r} failed (exit {proc.returncode})")
