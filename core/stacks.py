"""The repository's stacks: `<stackConfigDir>/Pulumi.<stack>.yaml`, discovered, never listed by hand.

Used by the CI matrices (policy/stacks.py for infra, ops/runs/matrix.py for run files) and by the run-file
loader to check a run's `stacks:`. Pure: PyYAML only.
"""

from __future__ import annotations

import re
from pathlib import Path

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
