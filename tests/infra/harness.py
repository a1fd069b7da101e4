"""Run the Pulumi program under the suite's mock engine and get back everything it declared.

Reusable by any area's tests (policy, ops):

    from tests.infra.harness import run_program, STACK_FILES
    run = run_program(STACK_FILES["prod"])
    run.of_type("azure-native:storage:StorageAccount")[0].inputs   # camelCase wire names
    run.outputs["hub_name"]

`run.resources` holds every registration (components too) with inputs, mock state, parent,
dependencies (URNs) and `protect`; `run.outputs` the resolved stack exports.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from infra.mock_engine import ProgramRun, RecordedResource, load_stack_file
from infra.mock_engine import run_program as _run

ROOT = Path(__file__).resolve().parents[2]
STACKS_DIR = ROOT / "stacks"
STACK_FILES: dict[str, Path] = {p.name.split(".")[1]: p for p in sorted(STACKS_DIR.glob("Pulumi.*.yaml"))}

__all__ = ["STACK_FILES", "ProgramRun", "RecordedResource", "run_config", "run_program", "stack_config"]


def stack_config(stack_config_path: Path | str) -> dict[str, Any]:
    """The `config:` mapping of a stack file (keys as written, e.g. "foundry-phi:location")."""
    return load_stack_file(Path(stack_config_path))


def run_program(stack_config_path: Path | str, *, stack: str | None = None) -> ProgramRun:
    """Run infra/__main__.py with the config of `stack_config_path` (a Pulumi.<stack>.yaml)."""
    path = Path(stack_config_path)
    name = stack or path.name.removeprefix("Pulumi.").removesuffix(".yaml")
    return _run(stack_config(path), stack=name)


def run_config(config: Mapping[str, Any], *, stack: str = "test") -> ProgramRun:
    """Run the program with an in-memory config (bare keys get the project namespace)."""
    return _run(config, stack=stack)
