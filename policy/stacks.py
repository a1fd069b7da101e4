"""The repository's stacks, derived from `<stackConfigDir>/Pulumi.<stack>.yaml`: the CI matrix source.

CI never keeps its own list: adding `stacks/Pulumi.staging.yaml` adds a `staging` leg to preview, up and drift.
`python -m policy.stacks` prints the matrix as compact JSON; `--github-output` also appends `matrix=<json>`
to the file named by $GITHUB_OUTPUT. A broken stack file fails here, with its name, before any job starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from core.stacks import StackFileError, stack_dir, stack_names

__all__ = ["main", "matrix"]


def matrix(root: Path) -> dict[str, Any]:
    """The GitHub Actions matrix: one `stack` leg per stack file."""
    return {"stack": stack_names(stack_dir(root))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m policy.stacks", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="repository root (default: current directory)"
    )
    parser.add_argument(
        "--github-output",
        action="store_true",
        help="also append matrix=<json> to the file named by $GITHUB_OUTPUT",
    )
    args = parser.parse_args(argv)
    try:
        found = matrix(args.root)
    except StackFileError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(found, separators=(",", ":"))
    print(text)
    if args.github_output:
        target = os.environ.get("GITHUB_OUTPUT")
        if not target:
            print("Error: --github-output needs $GITHUB_OUTPUT", file=sys.stderr)
            return 1
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"matrix={text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
