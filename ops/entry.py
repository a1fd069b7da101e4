"""Console entry point of `foundry-ops`.

`foundry-ops --help` is the command people type most, and importing Click alone costs about three
times a bare interpreter start. The root help is therefore served from ops/help_text.py, generated
from the real Click command by `make docs` and checked against it in the tests; every other
invocation, and any terminal too narrow for the cached layout, goes through Click.
"""

from __future__ import annotations

import os
import sys


def _terminal_columns() -> int:
    """Same rule as shutil.get_terminal_size, which Click uses, without importing shutil."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def main() -> None:
    if sys.argv[1:] in (["--help"], ["-h"]):
        from ops.help_text import ROOT_HELP, WIDTH

        if _terminal_columns() >= WIDTH:
            sys.stdout.write(ROOT_HELP)
            return
    from ops.cli import main as click_main

    click_main()


if __name__ == "__main__":
    main()
