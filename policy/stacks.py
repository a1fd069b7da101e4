"""The repository's stacks, derived from `<stackConfigDir>/Pulumi.<stack>.yaml`: the CI matrix source.

CI never keeps its own list: adding `stacks/Pulumi.staging.yaml` adds a `staging` leg to preview, up and drift.
`python -m policy.stacks` prints the matrix as compact JSON; `--github-output` also appends `matrix=<json>`
to the file named by $GITHUB_OUTPUT. A broken stack file fails here, with its name, before any job starts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_STACK_DIR = "stacks"
# Pulumi stack names: letters, digits, hyphens, underscores and periods.
_STACK_FILE = re.compile(r"Pulumi\.([A-Za-z0-9_.-]+)\.yaml")


class StackFileError(ValueError):
    """A stack directory or file CI cannot use."""


def stack_dir(root: Path) -> Path:
    """The stack config directory: Pulumi.yaml's `stackConfigDir`, else `stacks/`."""
    project = root / "Pulumi.yaml"
    configured = None
    if project.is_file():
        try:
            data = yaml.safe_load(project.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise StackFileError(f"{project}: not valid YAML ({exc.__class__.__name__})") from exc
        if isinstance(data, dict):
            configured = data.get("stackConfigDir")
    return root / (configured if isinstance(configured, str) and configured else DEFAULT_STACK_DIR)


def stack_names(directory: Path) -> list[str]:
    """Sorted stack names of the `Pulumi.<stack>.yaml` files in `directory`; each must be a YAML mapping."""
    if not directory.is_dir():
        raise StackFileError(f"no stack directory {directory}")
    names: list[str] = []
    for path in sorted(directory.iterdir()):
        match = _STACK_FILE.fullmatch(path.name)
        if not match or not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise StackFileError(f"{path}: not valid YAML ({exc.__class__.__name__})") from exc
        if data is not None and not isinstance(data, dict):
            raise StackFileError(f"{path}: a stack file must be a YAML mapping")
        names.append(match.group(1))
    if not names:
        raise StackFileError(f"no Pulumi.<stack>.yaml files in {directory}")
    return names


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
