"""Every stack file in stacks/ runs, and the project file points Pulumi at the program the way the docs say."""

from __future__ import annotations

import pytest
import yaml

from catalog.contract import OUTPUT_KEYS
from infra.config import PROJECT
from tests.infra.harness import ROOT, STACK_FILES, run_program, stack_config


def test_project_file() -> None:
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    assert project["name"] == PROJECT
    assert project["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}
    assert project["main"] == "infra/"
    assert project["stackConfigDir"] == "stacks"
    assert (ROOT / project["main"] / "__main__.py").is_file()


def test_shipped_stacks() -> None:
    assert {"dev", "prod"} <= set(STACK_FILES)


@pytest.mark.parametrize("stack", sorted(STACK_FILES))
def test_every_stack_file_runs(stack: str) -> None:
    config = stack_config(STACK_FILES[stack])
    assert all(k.startswith((f"{PROJECT}:", "azure-native:")) for k in config), "keys need a namespace"
    assert config[f"{PROJECT}:location"] == "eastus2"
    assert config[f"{PROJECT}:principals"], "each stack lists at least one example principal"
    run = run_program(STACK_FILES[stack])
    assert list(run.outputs) == list(OUTPUT_KEYS)
    assert len(run.custom) >= 15


def test_the_directory_entry_point_pulumi_runs() -> None:
    """Pulumi runs `main: infra/` as a directory (its __main__.py as __main__): same outputs as main()."""
    import runpy

    from infra.mock_engine import run_program as run_with

    def program() -> None:
        runpy.run_path(str(ROOT / "infra"), run_name="__main__")

    via_directory = run_with(stack_config(STACK_FILES["dev"]), stack="dev", program=program)
    assert via_directory.outputs == run_program(STACK_FILES["dev"]).outputs
    assert len(via_directory.custom) >= 15
