"""The offline plan: tree, dependencies, critical path, JSON, and the CLI edge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click import Group
from click.testing import CliRunner

from infra.plan import HEADLINE, PlanError, build_plan, critical_path, main, pick, render_text, waves
from tests.infra.harness import STACKS_DIR

# The aim of issue 2: rg -> {storage, key vault, AI Services, identity, registration} -> hub -> {project,
# connection} -> role assignments (and the optional cluster on the project).
LEVEL_1 = {"foundry-storage-account", "foundry-keyvault-vault", "foundry-ai-services-account"}
LAST = {"foundry-rbac-project-cogsvc-user-ais", "foundry-compute-cluster"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_critical_path_is_no_longer_than_the_aim(stack: str) -> None:
    plan = build_plan(stack)
    path = plan.critical_path
    assert len(path) == 5
    assert path[0] == "foundry-rg"
    assert path[1] in LEVEL_1
    assert path[2:4] == ("foundry-workspace-hub", "foundry-workspace-project")
    assert path[4] in LAST


def test_every_dependency_edge_is_real() -> None:
    plan = build_plan("dev")
    deps = {r.name: set(r.depends_on) for r in plan.resources if r.custom}
    assert deps["foundry-rg"] == set()
    assert deps["foundry-workspace-hub"] == {
        "foundry-rg",
        "foundry-storage-account",
        "foundry-keyvault-vault",
    }
    assert deps["foundry-workspace-project"] == {"foundry-rg", "foundry-workspace-hub"}
    assert deps["foundry-network-provider-registration"] == set()
    assert "foundry-network-provider-registration" not in set().union(*deps.values())
    assert deps["foundry-rbac-example-user-ai-developer-rg"] == {"foundry-rg"}


def test_critical_path_helper() -> None:
    assert critical_path({}) == ()
    assert critical_path({"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c")}) == ("a", "b", "d")
    with pytest.raises(PlanError, match="cycle"):
        critical_path({"a": ("b",), "b": ("a",)})


def test_waves_helper() -> None:
    assert waves({}) == []
    assert waves({"a": (), "b": ("a",), "c": (), "d": ("b", "c")}) == [["a", "c"], ["b"], ["d"]]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_registration_starts_in_the_first_wave_and_the_hub_in_the_third(stack: str) -> None:
    plan = build_plan(stack)
    assert len(plan.waves) == len(plan.critical_path)
    assert set(plan.waves[0]) == {"foundry-rg", "foundry-network-provider-registration"}
    assert LEVEL_1 | {"foundry-finetune-identity-uai"} <= set(plan.waves[1])
    assert "foundry-workspace-hub" in plan.waves[2]
    assert {"foundry-workspace-project", "foundry-workspace-ai-services-connection"} <= set(plan.waves[3])
    assert sum(len(w) for w in plan.waves) == sum(1 for r in plan.resources if r.custom)


def test_pick_dotted_paths() -> None:
    data = {"a": {"b": [{"c": 1}]}}
    assert pick(data, "a.b[0].c") == 1
    assert pick(data, "a.b[1].c") is None and pick(data, "a.x") is None and pick(data, "a.b.c") is None


def test_text_rendering_shows_tree_properties_dependencies_and_path() -> None:
    text = render_text(build_plan("prod"))
    lines = text.splitlines()
    assert lines[0] == HEADLINE.format(stack="prod")
    assert "not a diff against the cloud" in lines[0]
    assert lines[1] == "Config: stacks/Pulumi.prod.yaml" or lines[1].endswith("stacks/Pulumi.prod.yaml")
    assert "└─ foundry  (foundry:infra:FoundryEnvironment)" in lines
    assert any(ln.strip(" │") == "systemDatastoresAuthMode = identity" for ln in lines)
    assert any(ln.strip(" │") == "role = Azure AI Developer" for ln in lines)
    assert any(
        "foundry-workspace-hub  (azure-native:machinelearningservices:Workspace)  [protect]" in ln
        for ln in lines
    )
    assert any(
        ln.strip(" │") == "depends on: foundry-ai-services-account, foundry-keyvault-vault, "
        "foundry-network-provider-registration, foundry-rg, foundry-storage-account"
        for ln in lines
    )
    assert "Critical path: 5 resources (4 dependency hops): foundry-rg -> " in text
    assert "  1. foundry-network-provider-registration, foundry-rg" in lines
    assert "  compute_name                 gpu-phiprod" in lines


def test_json_plan_is_machine_readable() -> None:
    data = build_plan("dev").as_dict()
    assert data["kind"] == "offline-plan" and data["stack"] == "dev"
    assert data["critical_path_length"] == len(data["critical_path"]) == len(data["waves"]) == 5
    assert data["resource_count"] == sum(1 for r in data["resources"] if r["custom"])
    assert json.loads(json.dumps(data)) == data
    hub = next(r for r in data["resources"] if r["name"] == "foundry-workspace-hub")
    assert hub["properties"]["kind"] == "Hub" and hub["parent"] == "foundry-workspace"
    assert (
        hub["inputs"]["systemDatastoresAuthMode"] == "identity"
        and hub["inputs"]["tags"]["environment"] == "dev"
    )


@pytest.fixture
def cli() -> Group:
    """The foundry-ops root group, the one importer of infra.plan (imported here, not at collection,
    so the offline-plan tests above do not depend on ops)."""
    from ops.cli import cli

    return cli


def test_cli_plan_table(cli: Group) -> None:
    result = CliRunner().invoke(cli, ["infra", "plan", "--stack", "dev"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == HEADLINE.format(stack="dev")
    assert "Critical path: 5 resources (4 dependency hops): foundry-rg -> " in result.output


def test_cli_plan_json_and_root_stack_option(cli: Group) -> None:
    result = CliRunner().invoke(cli, ["--stack", "prod", "infra", "plan", "--output", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["stack"] == "prod" and data["outputs"]["compute_name"] == "gpu-phiprod"


def test_cli_unknown_stack_is_a_one_line_usage_error(cli: Group) -> None:
    result = CliRunner().invoke(cli, ["infra", "plan", "--stack", "staging"])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: unknown stack 'staging': no Pulumi.staging.yaml in {STACKS_DIR} (known stacks: dev, prod)\n"
    )


def test_cli_without_a_stack_says_how(cli: Group) -> None:
    result = CliRunner(env={"FOUNDRY_STACK": None}).invoke(cli, ["infra", "plan"])
    assert result.exit_code == 2
    assert result.output == "Error: which stack? (hint: pass --stack NAME (stacks/Pulumi.<NAME>.yaml))\n"


def test_cli_invalid_stack_config_lists_every_problem_on_its_own_line(tmp_path: Path, cli: Group) -> None:
    """One Error: line, then a line per problem (as run files do); a misspelt key of this project is one of
    them: pulumi.Config reads known keys only, so it would otherwise drop what it meant without a word."""
    bad = {
        "config": {
            "foundry-phi:location": "westeurope",
            "foundry-phi:namePrefix": "X",
            "foundry-phi:computee": {"vmSize": "Standard_NC24ads_A100_v4", "maxNodes": 1},
            "azure-native:location": "eastus2",  # another namespace: not this program's to judge
        }
    }
    (tmp_path / "Pulumi.broken.yaml").write_text(yaml.safe_dump(bad), encoding="utf-8")
    result = CliRunner().invoke(cli, ["infra", "plan", "--stack", "broken", "--stacks-dir", str(tmp_path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[0] == "Error: Pulumi.broken.yaml: invalid stack configuration (3 problem(s))"
    assert lines[1] == "  unknown config key 'foundry-phi:computee': did you mean foundry-phi:compute?"
    assert lines[2].startswith("  location 'westeurope' is not a region") and lines[3].startswith(
        "  namePrefix 'X' must be"
    )
    assert len(lines) == 4


def test_unreadable_stack_file(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.odd.yaml").write_text("config: [1, 2]\n", encoding="utf-8")
    with pytest.raises(PlanError, match="config:` must be a mapping"):
        build_plan("odd", tmp_path)


def test_module_entry_point(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--stack", "nope"]) == 2
    assert capsys.readouterr().err.startswith("Error: unknown stack 'nope'")
    assert main(["--stack", "dev", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["stack"] == "dev"
