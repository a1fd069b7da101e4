"""The CI stack matrix is derived from the stack files, so a new stack file is a new CI leg with no other change."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policy import stacks

ROOT = Path(__file__).resolve().parents[2]


def _cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "policy.stacks", "--root", str(root), *args],
        cwd=ROOT,
        env=env or dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """Pulumi.yaml and stacks/ of this repository, copied as they are."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    return tmp_path


def test_matrix_matches_the_stack_files_of_this_repository() -> None:
    files = sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (ROOT / "stacks").glob("Pulumi.*.yaml")
    )
    assert {"dev", "prod"} <= set(files)
    assert stacks.matrix(ROOT) == {"stack": files}
    proc = _cli(ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"stack": files}


def test_a_new_stack_file_adds_a_leg_with_no_other_change(repo_copy: Path, tmp_path: Path) -> None:
    before = stacks.matrix(repo_copy)["stack"]
    shutil.copy(repo_copy / "stacks" / "Pulumi.dev.yaml", repo_copy / "stacks" / "Pulumi.staging.yaml")
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n", encoding="utf-8")
    proc = _cli(repo_copy, "--github-output", env={**os.environ, "GITHUB_OUTPUT": str(output)})
    assert proc.returncode == 0, proc.stderr
    expected = {"stack": sorted([*before, "staging"])}
    assert json.loads(proc.stdout) == expected
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "earlier=1"  # appended, as GitHub expects
    key, _, value = lines[1].partition("=")
    assert key == "matrix" and json.loads(value) == expected


def test_stack_config_dir_comes_from_pulumi_yaml(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.yaml").write_text(
        "name: x\nruntime: python\nstackConfigDir: env/stacks\n", encoding="utf-8"
    )
    (tmp_path / "env" / "stacks").mkdir(parents=True)
    (tmp_path / "env" / "stacks" / "Pulumi.qa.yaml").write_text("config: {}\n", encoding="utf-8")
    assert stacks.matrix(tmp_path) == {"stack": ["qa"]}


def test_without_pulumi_yaml_the_default_is_stacks(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.b.yaml").write_text("", encoding="utf-8")
    (tmp_path / "stacks" / "Pulumi.a-1_x.yaml").write_text("config: {}\n", encoding="utf-8")
    for other in ("README.md", "Pulumi.yaml", "Pulumi.c.yml", "Pulumi.bad name.yaml"):
        (tmp_path / "stacks" / other).write_text("x: 1\n", encoding="utf-8")
    assert stacks.matrix(tmp_path) == {"stack": ["a-1_x", "b"]}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "no Pulumi.<stack>.yaml files in"),
        ({"Pulumi.dev.yaml": "config: [unclosed\n"}, "Pulumi.dev.yaml: not valid YAML"),
        ({"Pulumi.dev.yaml": "- a list\n"}, "Pulumi.dev.yaml: a stack file must be a YAML mapping"),
    ],
)
def test_bad_stack_directories_fail_with_one_line(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    (tmp_path / "stacks").mkdir()
    for name, text in files.items():
        (tmp_path / "stacks" / name).write_text(text, encoding="utf-8")
    proc = _cli(tmp_path)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.startswith("Error: ") and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_stack_directory(tmp_path: Path) -> None:
    proc = _cli(tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: no stack directory {tmp_path / 'stacks'}"


def test_github_output_needs_the_variable(repo_copy: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
    proc = _cli(repo_copy, "--github-output", env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: --github-output needs $GITHUB_OUTPUT"
