"""The run matrix is derived from runs/*.yaml and the stack files: a new run file is new CI legs, nothing else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.errors import UsageError
from ops.runs import matrix as run_matrix
from ops.runs import schema as run_schema
from ops.runs.matrix import Leg, RunsError, StackLeg, legs, stack_legs
from policy import stacks as policy_stacks

ROOT = Path(__file__).resolve().parents[3]


def run_text(name: str, *, stacks: str | None = None, train: str = "data/train.jsonl") -> str:
    text = f"name: {name}\nmodel: Phi-4-mini-instruct\ndata:\n  train: {train}\n"
    return text + (f"stacks: {stacks}\n" if stacks is not None else "")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """Pulumi.yaml and stacks/ of this repository, and runs/ with two run files and their data."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    runs = tmp_path / "runs"
    (runs / "data").mkdir(parents=True)
    for name in ("train", "other", "heldout"):
        (runs / "data" / f"{name}.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
    (runs / "alpha.yaml").write_text(run_text("alpha"), encoding="utf-8")
    (runs / "beta.yaml").write_text(
        run_text("beta", stacks="[prod]", train="data/other.jsonl") + "eval: {data: data/heldout.jsonl}\n",
        encoding="utf-8",
    )
    return tmp_path


def cli(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.runs.matrix", "--root", str(root), *args],
        cwd=root,
        env={**(env or os.environ), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_default_is_every_stack_and_explicit_stacks_are_kept(repo: Path) -> None:
    assert policy_stacks.matrix(repo)["stack"] == ["dev", "prod"]
    assert legs(repo) == [
        Leg(stack="dev", run="runs/alpha.yaml", name="alpha"),
        Leg(stack="prod", run="runs/alpha.yaml", name="alpha"),
        Leg(stack="prod", run="runs/beta.yaml", name="beta"),
    ]


def test_a_new_stack_file_adds_legs_to_runs_without_stacks(repo: Path) -> None:
    shutil.copy(repo / "stacks" / "Pulumi.dev.yaml", repo / "stacks" / "Pulumi.staging.yaml")
    assert [(leg.stack, leg.name) for leg in legs(repo)] == [
        ("dev", "alpha"),
        ("prod", "alpha"),
        ("staging", "alpha"),
        ("prod", "beta"),
    ]


def test_only_top_level_yaml_files_of_runs_are_runs(repo: Path) -> None:
    (repo / "runs" / "README.md").write_text("# runs\n", encoding="utf-8")
    (repo / "runs" / "schema.json").write_text("{}\n", encoding="utf-8")
    nested = repo / "runs" / "archive"
    nested.mkdir()
    (nested / "old.yaml").write_text("not: a run\n", encoding="utf-8")
    (repo / "runs" / "alpha.outputs").mkdir()
    assert {leg.run for leg in legs(repo)} == {"runs/alpha.yaml", "runs/beta.yaml"}


def test_no_runs_directory_is_an_empty_matrix(repo: Path) -> None:
    shutil.rmtree(repo / "runs")
    assert run_matrix.matrix(repo) == {"include": []}


def test_changed_keeps_runs_whose_file_or_data_changed(repo: Path) -> None:
    def names(changed: list[str]) -> list[str]:
        return sorted({leg.name for leg in legs(repo, changed)})

    assert names(["runs/beta.yaml"]) == ["beta"]
    assert names(["runs/data/train.jsonl", "README.md"]) == ["alpha"]
    assert names(["runs/data/heldout.jsonl"]) == ["beta"]
    assert names([str(repo / "runs" / "alpha.yaml")]) == ["alpha"]  # absolute paths too
    assert names(["runs/gone.yaml", "runs/README.md", "infra/__main__.py"]) == []  # deleted or not a run
    assert names([]) == []
    assert legs(repo, None) == legs(repo)


def test_run_keeps_one_run_file_and_refuses_anything_else(repo: Path) -> None:
    assert legs(repo, only="runs/beta.yaml") == [Leg(stack="prod", run="runs/beta.yaml", name="beta")]
    with pytest.raises(UsageError) as caught:
        legs(repo, only="runs/gamma.yaml")
    assert str(caught.value) == (
        "--run runs/gamma.yaml: not a run file (runs/*.yaml); run files: runs/alpha.yaml, runs/beta.yaml"
    )


def test_an_invalid_run_file_fails_with_all_its_problems(repo: Path) -> None:
    (repo / "runs" / "gamma.yaml").write_text(run_text("gamma", stacks="[dev, qa]") + "epochs: 3\n", "utf-8")
    with pytest.raises(RunsError) as caught:
        legs(repo, ["runs/alpha.yaml"])  # every run file is checked, not only the changed ones
    stacks = (repo / "stacks").resolve()
    assert [str(p).split("gamma.yaml", 1)[1] for p in caught.value.problems] == [
        f":5: stacks[1]: no stack 'qa'; stacks: dev, prod ({stacks}/Pulumi.<stack>.yaml)",
        ":6: unknown key 'epochs' (known keys: name, model, modelVersion, stacks, data, hyperparameters, "
        "deploy, smoke, eval, force)",
    ]


def test_run_names_are_unique(repo: Path) -> None:
    (repo / "runs" / "gamma.yaml").write_text("# a copy\n" + run_text("alpha"), encoding="utf-8")
    with pytest.raises(RunsError) as caught:
        legs(repo)
    rule = "run names must be unique (they name what the run creates in Azure)"
    assert [(str(p).split(":")[0].rsplit("/", 1)[-1], p.line, p.message) for p in caught.value.problems] == [
        ("alpha.yaml", 1, f"name 'alpha' is also the name of runs/gamma.yaml; {rule}"),
        ("gamma.yaml", 2, f"name 'alpha' is also the name of runs/alpha.yaml; {rule}"),
    ]  # both files are named: whichever a pull request added gets its annotation


def test_yml_files_in_runs_are_an_error_not_silently_skipped(repo: Path) -> None:
    (repo / "runs" / "gamma.yml").write_text(run_text("gamma"), encoding="utf-8")
    with pytest.raises(RunsError) as caught:
        legs(repo)
    assert [p.message for p in caught.value.problems] == ["a run file ends in .yaml, not .yml"]


def test_a_run_file_name_with_a_tab_or_line_break_is_an_error(repo: Path) -> None:
    (repo / "runs" / "my\trun.yaml").write_text(run_text("gamma"), encoding="utf-8")
    with pytest.raises(RunsError) as caught:
        stack_legs(repo)
    assert [p.message for p in caught.value.problems] == [
        "a run file's name has no tab, line break or other control character "
        "(run-apply reads its runs one a line, tab-separated)"
    ]


def test_a_run_file_name_with_a_space_is_a_run(repo: Path) -> None:
    (repo / "runs" / "my run.yaml").write_text(run_text("gamma", stacks="[dev]"), encoding="utf-8")
    assert Leg(stack="dev", run="runs/my run.yaml", name="gamma") in legs(repo)
    proc = cli(repo, "--stack", "dev", "--tsv")
    assert proc.returncode == 0, proc.stderr
    assert "dev\truns/my run.yaml\tgamma\n" in proc.stdout


def test_the_stack_files_are_read_once_not_once_per_run_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "runs" / "gamma.yaml").write_text(run_text("gamma", stacks="[dev, prod]"), encoding="utf-8")
    reads: list[Path] = []
    real = run_matrix.stack_names

    def counted(directory: Path) -> list[str]:
        reads.append(directory)
        return real(directory)

    monkeypatch.setattr(run_matrix, "stack_names", counted)
    monkeypatch.setattr(run_schema, "stack_names", counted)
    assert [leg.name for leg in legs(repo)] == ["alpha", "alpha", "beta", "gamma", "gamma"]
    assert len(reads) == 1
    stacks = (repo / "stacks").resolve()
    (repo / "runs" / "gamma.yaml").write_text(run_text("gamma", stacks="[dev, qa]"), encoding="utf-8")
    with pytest.raises(RunsError) as caught:  # the problem still names the stack directory
        legs(repo)
    assert str(caught.value.problems[0]).endswith(
        f":5: stacks[1]: no stack 'qa'; stacks: dev, prod ({stacks}/Pulumi.<stack>.yaml)"
    )


def test_a_duplicate_name_is_reported_without_reading_the_run_file_again(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "runs" / "gamma.yaml").write_text("\n# a copy\n" + run_text("alpha"), encoding="utf-8")
    runs = (repo / "runs").resolve()
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        assert self.resolve().parent != runs, f"{self} read again"
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    with pytest.raises(RunsError) as caught:
        legs(repo)
    alpha, gamma = caught.value.problems  # each file's name line, taken from the first read
    assert (alpha.line, gamma.line) == (1, 3) and gamma.file.endswith("gamma.yaml")


def test_stack_keeps_the_legs_of_one_stack_and_refuses_anything_else(repo: Path) -> None:
    assert legs(repo, stack="prod") == [
        Leg(stack="prod", run="runs/alpha.yaml", name="alpha"),
        Leg(stack="prod", run="runs/beta.yaml", name="beta"),
    ]
    assert legs(repo, ["runs/beta.yaml"], stack="dev") == []
    with pytest.raises(UsageError) as caught:
        legs(repo, stack="qa")
    assert str(caught.value) == "--stack qa: no stack 'qa'; stacks: dev, prod"


# ---------------------------------------------------------------------------------------------------------
# --by-stack: one reconcile leg per stack (run-apply)
# ---------------------------------------------------------------------------------------------------------


def test_by_stack_is_one_leg_per_targeted_stack(repo: Path) -> None:
    assert stack_legs(repo) == [StackLeg(stack="dev"), StackLeg(stack="prod")]
    assert run_matrix.matrix(repo, by_stack=True) == {"include": [{"stack": "dev"}, {"stack": "prod"}]}


def test_by_stack_a_stack_that_no_run_targets_gets_no_leg(repo: Path) -> None:
    shutil.copy(repo / "stacks" / "Pulumi.dev.yaml", repo / "stacks" / "Pulumi.staging.yaml")
    (repo / "runs" / "alpha.yaml").write_text(run_text("alpha", stacks="[dev, prod]"), encoding="utf-8")
    assert [leg.stack for leg in stack_legs(repo)] == ["dev", "prod"]
    shutil.rmtree(repo / "runs")
    assert stack_legs(repo) == []


def test_by_stack_changed_chooses_the_stacks(repo: Path) -> None:
    (repo / "runs" / "aardvark.yaml").write_text(run_text("aardvark", stacks="[prod]"), encoding="utf-8")
    prod, dev = StackLeg(stack="prod"), StackLeg(stack="dev")
    assert stack_legs(repo, ["runs/beta.yaml"]) == [prod]  # only beta changed: the leg applies all of prod
    assert stack_legs(repo, ["runs/data/heldout.jsonl"]) == [prod]  # beta's eval data
    assert stack_legs(repo, ["runs/alpha.yaml"]) == [dev, prod]
    assert stack_legs(repo, ["runs/data/train.jsonl"]) == [dev, prod]  # alpha's and aardvark's data
    assert stack_legs(repo, ["README.md", "runs/gone.yaml"]) == []  # nothing that a run reads
    assert stack_legs(repo, []) == []
    assert stack_legs(repo, None) == [dev, prod] == stack_legs(repo)  # the schedule: every stack


def test_by_stack_with_run_or_stack(repo: Path) -> None:
    prod = StackLeg(stack="prod")
    assert stack_legs(repo, only="runs/beta.yaml") == [prod]
    assert stack_legs(repo, stack="prod") == [prod]
    assert stack_legs(repo, ["runs/beta.yaml"], stack="dev") == []
    with pytest.raises(UsageError, match="--stack qa: no stack 'qa'"):
        stack_legs(repo, stack="qa")


# ---------------------------------------------------------------------------------------------------------
# The command line, as the workflows run it
# ---------------------------------------------------------------------------------------------------------


def test_prints_the_matrix_as_one_line_of_json(repo: Path) -> None:
    proc = cli(repo)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and " " not in proc.stdout.strip()
    assert json.loads(proc.stdout) == {
        "include": [
            {"stack": "dev", "run": "runs/alpha.yaml", "name": "alpha"},
            {"stack": "prod", "run": "runs/alpha.yaml", "name": "alpha"},
            {"stack": "prod", "run": "runs/beta.yaml", "name": "beta"},
        ]
    }


def test_github_output_appends_the_matrix_and_the_leg_count(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    output = tmp_path_factory.mktemp("gh") / "github_output"
    output.write_text("earlier=1\n", encoding="utf-8")
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    proc = cli(repo, "--github-output", "--changed", "runs/beta.yaml", "docs/x.md", env=env)
    assert proc.returncode == 0, proc.stderr
    lines = output.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "earlier=1"  # appended, as GitHub expects
    expected = {"include": [{"stack": "prod", "run": "runs/beta.yaml", "name": "beta"}]}
    assert lines[1] == "matrix=" + json.dumps(expected, separators=(",", ":"))
    assert lines[2] == "count=1"
    assert json.loads(proc.stdout) == expected

    proc = cli(repo, "--github-output", "--changed", env=env)  # nothing changed: no leg, the job is skipped
    assert proc.returncode == 0, proc.stderr
    assert output.read_text(encoding="utf-8").splitlines()[3:] == ['matrix={"include":[]}', "count=0"]


def test_by_stack_on_the_command_line(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    output = tmp_path_factory.mktemp("gh") / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output)}
    proc = cli(repo, "--github-output", "--by-stack", "--changed", "runs/data/other.jsonl", env=env)
    assert proc.returncode == 0, proc.stderr
    expected = {"include": [{"stack": "prod"}]}
    assert json.loads(proc.stdout) == expected
    assert output.read_text(encoding="utf-8").splitlines() == [
        "matrix=" + json.dumps(expected, separators=(",", ":")),
        "count=1",
    ]
    proc = cli(repo, "--by-stack", "--stack", "dev")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"include": [{"stack": "dev"}]}
    proc = cli(repo, "--by-stack", "--stack", "qa")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "Error: --stack qa: no stack 'qa'; stacks: dev, prod"


def test_tsv_prints_one_leg_a_line(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    proc = cli(repo, "--stack", "prod", "--tsv")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "prod\truns/alpha.yaml\talpha\nprod\truns/beta.yaml\tbeta\n"
    proc = cli(repo, "--by-stack", "--tsv")
    assert proc.stdout == "dev\nprod\n"
    proc = cli(repo, "--changed", "--tsv")
    assert proc.returncode == 0 and proc.stdout == ""
    output = tmp_path_factory.mktemp("gh") / "github_output"  # the GitHub output stays JSON
    proc = cli(
        repo, "--tsv", "--github-output", "--stack", "dev", env={**os.environ, "GITHUB_OUTPUT": str(output)}
    )
    assert proc.stdout == "dev\truns/alpha.yaml\talpha\n"
    assert output.read_text(encoding="utf-8").startswith('matrix={"include":[{"stack":"dev",')


def test_github_output_needs_the_variable(repo: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
    proc = cli(repo, "--github-output", env=env)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "Error: --github-output needs $GITHUB_OUTPUT"


def test_an_invalid_run_file_exits_2_with_its_problems_and_annotations(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (repo / "runs" / "beta.yaml").write_text(run_text("beta", stacks="[dev, prdo]"), encoding="utf-8")
    output = tmp_path_factory.mktemp("gh") / "github_output"
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_ACTIONS": "true"}
    proc = cli(repo, "--github-output", env=env)
    assert proc.returncode == 2
    message = "stacks[1]: no stack 'prdo' (did you mean 'prod'?); stacks: dev, prod"
    assert proc.stderr.splitlines()[0] == "Error: 1 problem in runs/beta.yaml"
    assert proc.stderr.splitlines()[1].startswith(f"  runs/beta.yaml:5: {message}")
    assert proc.stdout.startswith(f"::error file=runs/beta.yaml,line=5::{message}")
    assert not output.exists()  # no matrix: no job starts


def test_a_broken_stack_directory_exits_1_like_policy_stacks(repo: Path) -> None:
    shutil.rmtree(repo / "stacks")
    proc = cli(repo)
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"Error: no stack directory {(repo / 'stacks').resolve()}"


def test_the_runs_of_this_repository_are_valid() -> None:
    """runs/ of this repository (if any) loads, so the workflows' matrix job passes on main."""
    assert run_matrix.matrix(ROOT)["include"] is not None
    assert run_matrix.matrix(ROOT, by_stack=True)["include"] is not None
