"""The run workflows (run-plan, run-apply, reap): structure, and their scripts run for real (bash, git).

The matrix comes from `python -m ops.runs.matrix` (runs) or stack-matrix.yml (reap), never a hand-kept list;
run-apply and reap run behind the stack's environment; run-apply reconciles one stack per leg (every run of the
stack, so a pending leg that GitHub replaces with a newer one loses nothing) in a group of its own, never
`pulumi up`'s; the stack outputs file is private, deleted and never uploaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.gitops.test_workflows import (
    AZURE_LOGIN_INPUTS,
    PULUMI_ACTION_INPUTS,
    WORKFLOWS,
    _lint,
    _load,
    _on,
    _permissions,
    _step_using,
    _steps,
)

ROOT = Path(__file__).resolve().parents[2]
RUN_JOBS = {"run-plan.yml": "plan", "run-apply.yml": "apply", "reap.yml": "reap"}
RUNS_MATRIX = "${{ fromJSON(needs.runs.outputs.matrix) }}"
STACKS_MATRIX = "${{ fromJSON(needs.stacks.outputs.matrix) }}"
OUTPUTS = '"$RUNNER_TEMP/outputs.json"'
FOUNDRY = f".venv/bin/foundry-ops --outputs {OUTPUTS}"


def _runs(job: dict[str, Any]) -> list[str]:
    return [str(s.get("run", "")) for s in _steps(job)]


def _step_named(job: dict[str, Any], name: str) -> dict[str, Any]:
    found = [s for s in _steps(job) if s.get("name") == name]
    assert len(found) == 1, f"expected one step named {name!r}"
    return found[0]


def _index(job: dict[str, Any], needle: str) -> int:
    found = [
        i
        for i, s in enumerate(_steps(job))
        if needle in str(s.get("run", "")) or needle in str(s.get("uses", ""))
    ]
    assert len(found) == 1, f"expected one step with {needle!r}, found {len(found)}"
    return found[0]


def test_the_run_workflows_are_actionlint_clean() -> None:
    assert _lint(*(WORKFLOWS / name for name in sorted(RUN_JOBS))) == []


@pytest.mark.parametrize(("name", "job_id"), sorted(RUN_JOBS.items()))
def test_run_job_shape(name: str, job_id: str) -> None:
    workflow = _load(name)
    job = workflow["jobs"][job_id]
    assert job["strategy"]["fail-fast"] is False
    assert "${{ matrix.stack }}" in job["concurrency"]["group"]
    perms = _permissions(workflow, job)
    assert perms["id-token"] == "write" and perms["contents"] == "read"
    assert job["env"]["ARM_USE_OIDC"] == "true"
    assert "matrix.stack" in job["env"]["STACK"]
    assert job["env"]["STACK"] == _load("up.yml")["jobs"]["up"]["env"]["STACK"]

    steps = _steps(job)
    uses = [str(s.get("uses", "")).split("@")[0] for s in steps]
    runs = _runs(job)
    assert _step_using(job, "actions/setup-python")["with"]["python-version"] == "3.11"
    checkout, setup = uses.index("actions/checkout"), uses.index("actions/setup-python")
    install, login = runs.index("make install"), uses.index("azure/login")
    pulumi = uses.index("pulumi/actions")
    save, clean = _index(job, "pulumi stack output"), _index(job, f"rm -f {OUTPUTS}")
    commands = [i for i, run in enumerate(runs) if FOUNDRY in run]
    assert commands and all(
        ".venv/bin/foundry-ops" not in run for i, run in enumerate(runs) if i not in commands
    )
    assert checkout < setup < install < login < pulumi < save < min(commands) <= max(commands) < clean

    azure_login = _step_using(job, "azure/login")["with"]
    assert set(azure_login) <= AZURE_LOGIN_INPUTS and "creds" not in azure_login
    assert azure_login["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
    # pulumi/actions without `command` only installs the CLI, at the version requirements.lock pins
    install_only = _step_using(job, "pulumi/actions")["with"]
    assert set(install_only) == {"pulumi-version"} and set(install_only) <= PULUMI_ACTION_INPUTS
    assert re.fullmatch(
        r"\$\{\{ needs\.(runs|stacks)\.outputs\.pulumi-version \}\}", install_only["pulumi-version"]
    )

    assert "umask 077" in runs[save]
    assert f'pulumi stack output --stack "$STACK" --json --show-secrets > {OUTPUTS}' in runs[save]
    assert steps[clean]["if"] == "always()" and runs[clean] == f"rm -f {OUTPUTS}"
    for run in runs:  # the outputs file is never printed
        assert not re.search(r"\b(cat|echo|tee|head)\b[^\n]*outputs\.json", run)


def _matrix_job(name: str) -> str:
    """The runs job of a workflow, checked; returns its "Compute the matrix" script."""
    job = _load(name)["jobs"]["runs"]
    assert job["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"
    assert job["outputs"]["count"] == "${{ steps.matrix.outputs.count }}"
    install = _step_named(job, "Install PyYAML and jsonschema as pinned in requirements.lock")["run"]
    assert "--constraint requirements.lock PyYAML jsonschema" in install
    script = _step_named(job, "Compute the matrix")["run"]
    assert isinstance(script, str)
    return script


def test_the_run_plan_matrix_comes_from_the_script() -> None:
    workflow = _load("run-plan.yml")
    assert _on(workflow)["workflow_dispatch"]["inputs"]["run"]["required"] is False
    script = _matrix_job("run-plan.yml")
    assert "python -m ops.runs.matrix --github-output --changed" in script
    assert 'python -m ops.runs.matrix --github-output --run "$RUN_INPUT"' in script
    assert "--by-stack" not in script  # one leg (and one PR comment) per stack and run

    legs = workflow["jobs"]["plan"]
    assert legs["needs"] == "runs"
    assert legs["strategy"]["matrix"] == RUNS_MATRIX  # no hand-kept stack or run list anywhere
    assert "needs.runs.outputs.count != '0'" in legs["if"]  # GitHub refuses an empty matrix
    assert legs["env"]["RUN"] == "${{ matrix.run }}"


def test_the_run_apply_matrix_is_one_leg_per_stack_from_the_script() -> None:
    workflow = _load("run-apply.yml")
    inputs = _on(workflow)["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"stack"} and inputs["stack"]["required"] is False
    script = _matrix_job("run-apply.yml")
    calls = [line.strip() for line in script.splitlines() if "ops.runs.matrix" in line]
    assert calls and all(c.startswith("python -m ops.runs.matrix --github-output --by-stack") for c in calls)
    assert 'python -m ops.runs.matrix --github-output --by-stack --changed "${changed[@]}"' in calls
    assert 'python -m ops.runs.matrix --github-output --by-stack --stack "$STACK_INPUT"' in calls
    assert "--run" not in script

    legs = workflow["jobs"]["apply"]
    assert legs["needs"] == "runs"
    assert legs["strategy"]["matrix"] == RUNS_MATRIX
    assert "needs.runs.outputs.count != '0'" in legs["if"]
    assert "matrix.run" not in json.dumps(legs) and "matrix.name" not in json.dumps(legs)
    # each leg reads its stack's runs again at its own checkout: the branch's newest commit, not the trigger's
    assert _step_using(legs, "actions/checkout")["with"] == {"ref": "${{ github.ref }}"}
    listing = _step_named(legs, "List the runs of the stack")
    assert listing["env"]["STACK_NAME"] == "${{ matrix.stack }}"
    assert (
        '.venv/bin/python -m ops.runs.matrix --stack "$STACK_NAME" --tsv > "$RUNNER_TEMP/runs.tsv"'
        in (listing["run"])
    )
    assert _steps(legs).index(listing) < _index(legs, "pulumi stack output")


def test_run_plan_on_pull_requests_touching_runs_comments_one_plan_per_stack_and_run() -> None:
    workflow = _load("run-plan.yml")
    assert _on(workflow)["pull_request"] == {"branches": ["main"], "paths": ["runs/**"]}
    job = workflow["jobs"]["plan"]
    assert "environment" not in job  # a plan needs no approval
    assert _permissions(workflow, job)["pull-requests"] == "write"
    assert "github.event.pull_request.head.repo.full_name == github.repository" in job["if"]  # no fork PRs
    assert job["concurrency"]["cancel-in-progress"] is True
    assert "github.event.pull_request.number" in job["concurrency"]["group"]
    assert not job["concurrency"]["group"].startswith("pulumi-")  # never displaces a pending up or apply

    plan = _step_named(job, "foundry-ops run plan")["run"]
    # planned once: the JSON to plan.json (the comment's table comes from it), stderr to the log and plan.txt
    assert plan.count("run plan") == 1
    assert (
        f'{FOUNDRY} run plan "$RUN" -o json 2>&1 > "$RUNNER_TEMP/plan.json" | tee "$RUNNER_TEMP/plan.txt"'
        in plan
    )
    assert "set -o pipefail" in plan
    steps = _steps(job)
    clean = _index(job, "rm -f")
    render = steps.index(_step_named(job, "Render the plan"))
    comment = steps.index(_step_named(job, "Comment the plan on the pull request"))
    assert clean < render < comment
    assert steps[comment]["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert "github.event_name == 'pull_request'" in steps[comment]["if"]
    assert "issues/comments/$id" in steps[comment]["run"] and "--method PATCH" in steps[comment]["run"]


def test_run_apply_reconciles_on_push_schedule_and_dispatch_behind_the_stack_environment() -> None:
    workflow = _load("run-apply.yml")
    trigger = _on(workflow)
    assert set(trigger) == {"push", "schedule", "workflow_dispatch"}
    assert trigger["push"] == {"branches": ["main"], "paths": ["runs/**"]}
    [schedule] = trigger["schedule"]
    assert re.fullmatch(r"\d{1,2} \*/2 \* \* \*", schedule["cron"]), schedule["cron"]  # every 2 hours
    job = workflow["jobs"]["apply"]
    up = _load("up.yml")["jobs"]["up"]
    assert job["environment"] == "${{ matrix.stack }}" == up["environment"]
    assert "pull-requests" not in _permissions(workflow, job)


def test_run_apply_has_its_own_concurrency_group_not_pulumi_ups() -> None:
    job = _load("run-apply.yml")["jobs"]["apply"]
    up = _load("up.yml")["jobs"]["up"]
    assert job["concurrency"] == {"group": "runs-${{ matrix.stack }}", "cancel-in-progress": False}
    assert up["concurrency"]["group"] == "pulumi-${{ matrix.stack }}" != job["concurrency"]["group"]
    groups = [
        str(j["concurrency"]["group"])
        for path in WORKFLOWS.glob("*.yml")
        for j in _load(path.name)["jobs"].values()
        if isinstance(j, dict) and isinstance(j.get("concurrency"), dict)
    ]
    assert [g for g in groups if g.startswith("runs-")] == [
        "runs-${{ matrix.stack }}"
    ]  # no one else queues there


def test_run_apply_commands_and_budget() -> None:
    job = _load("run-apply.yml")["jobs"]["apply"]
    script = _step_named(job, "foundry-ops run apply")["run"]
    assert script.startswith("set -euo pipefail\n")
    assert f'{FOUNDRY} run apply "$run" --yes --no-wait || rc=$?' in script
    assert f'{FOUNDRY} run apply "$run" --yes --timeout "$left" || rc=$?' in script
    # 5.5 hours for the leg from its first step: it stops waiting (exit 6) before GitHub stops the job
    assert "deadline=$((LEG_START + 19800))" in script
    assert job["timeout-minutes"] * 60 >= 19800 + 1800  # half an hour left for the status and the upload
    assert _steps(job)[0] == {
        "name": "Start the clock",
        "run": 'echo "LEG_START=$(date +%s)" >> "$GITHUB_ENV"',
    }
    status = _step_named(job, "Save the run status")
    assert status["if"] == "always() && steps.outputs.outcome == 'success'"
    assert f'{FOUNDRY} run status "$run" -o json > "runs/$name.outputs/status.json"' in status["run"]


def test_run_apply_uploads_the_run_directories_and_never_the_stack_outputs() -> None:
    job = _load("run-apply.yml")["jobs"]["apply"]
    upload = _step_using(job, "actions/upload-artifact")
    assert upload["if"] == "always()"
    path = upload["with"]["path"]
    # runs/<name>.outputs/ of each run of the leg; the wildcard keeps each directory's name in the artifact
    assert path == "runs/*.outputs/"
    assert "outputs.json" not in path and "RUNNER_TEMP" not in path
    assert upload["with"]["name"] == "runs-${{ matrix.stack }}"
    assert set(upload["with"]) <= {
        "name",
        "path",
        "if-no-files-found",
        "retention-days",
        "include-hidden-files",
    }
    steps = _steps(job)
    assert _index(job, f"rm -f {OUTPUTS}") < steps.index(upload)  # the outputs file is gone before any upload
    text = (WORKFLOWS / "run-apply.yml").read_text(encoding="utf-8")
    assert text.count("upload-artifact@") == 1


def test_reap_is_hourly_for_every_stack_behind_its_environment() -> None:
    workflow = _load("reap.yml")
    trigger = _on(workflow)
    assert set(trigger) == {"schedule", "workflow_dispatch"}
    cron = trigger["schedule"][0]["cron"]
    assert re.fullmatch(r"\d{1,2} \* \* \* \*", cron), cron  # every hour
    assert workflow["jobs"]["stacks"] == {"uses": "./.github/workflows/stack-matrix.yml"}
    job = workflow["jobs"]["reap"]
    assert job["needs"] == "stacks"
    assert job["strategy"]["matrix"] == STACKS_MATRIX
    assert job["environment"] == "${{ matrix.stack }}"
    # its own group: an hourly reap in pulumi-<stack> would displace a pending up or run apply
    assert job["concurrency"] == {"group": "reap-${{ matrix.stack }}", "cancel-in-progress": False}
    assert f"{FOUNDRY} deploy reap --yes" in _runs(job)
    assert not any("upload-artifact" in str(s.get("uses", "")) for s in _steps(job))


def test_no_workflow_uploads_the_stack_outputs() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        workflow = _load(path.name)
        for job in workflow["jobs"].values():
            for step in job.get("steps", []):
                if "upload-artifact" in str(step.get("uses", "")):
                    assert "outputs.json" not in json.dumps(step["with"]), path.name


# ---------------------------------------------------------------------------------------------------------
# The matrix scripts, run with bash against real git histories
# ---------------------------------------------------------------------------------------------------------


def _git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    proc = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def _commit(repo: Path, message: str, files: dict[str, str]) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def _base_files() -> dict[str, str]:
    files = {
        "Pulumi.yaml": (ROOT / "Pulumi.yaml").read_text(encoding="utf-8"),
        "runs/data/a.jsonl": "{}\n",
        "runs/data/b.jsonl": "{}\n",
        "runs/a.yaml": "name: run-a\nmodel: Phi-4\ndata: {train: data/a.jsonl}\n",
        "runs/b.yaml": "name: run-b\nmodel: Phi-4\nstacks: [prod]\ndata: {train: data/b.jsonl}\n",
    }
    for stack in (ROOT / "stacks").glob("Pulumi.*.yaml"):
        files[f"stacks/{stack.name}"] = stack.read_text(encoding="utf-8")
    return files


def _matrix_step(repo: Path, workflow: str, tmp: Path, env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Run the workflow's "Compute the matrix" script as the runner would (bash -e, python on PATH)."""
    script = _step_named(_load(workflow)["jobs"]["runs"], "Compute the matrix")["run"]
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "python"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    output = tmp / "github_output"
    output.write_text("", encoding="utf-8")
    runner_temp = tmp / "runner_temp"
    runner_temp.mkdir(exist_ok=True)
    full_env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "GITHUB_OUTPUT": str(output),
        "RUNNER_TEMP": str(runner_temp),
        "RUN_INPUT": "",
        "STACK_INPUT": "",
        **env,
    }
    proc = subprocess.run(
        ["bash", "-e", "-c", script], cwd=repo, env=full_env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    lines = dict(line.split("=", 1) for line in output.read_text(encoding="utf-8").splitlines())
    found: dict[str, Any] = json.loads(lines["matrix"])
    assert int(lines["count"]) == len(found["include"])
    return found, proc.stdout + proc.stderr


def _names(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(leg["stack"], leg["name"]) for leg in found["include"]]


def _stacks(found: dict[str, Any]) -> list[str]:
    assert all(set(leg) == {"stack"} for leg in found["include"])  # each leg lists its stack's runs itself
    return [leg["stack"] for leg in found["include"]]


@pytest.fixture
def git_ok() -> None:
    assert shutil.which("git") and shutil.which("bash"), "these tests need git and bash: install them"


@pytest.mark.usefixtures("git_ok")
def test_run_plan_matrix_is_the_pull_requests_changes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _commit(repo, "base", _base_files())
    _git(repo, "checkout", "-q", "-b", "feature")
    _commit(repo, "change b's data", {"runs/data/b.jsonl": '{"x": 1}\n'})
    _git(repo, "checkout", "-q", "main")
    _commit(
        repo,
        "unrelated change on main",
        {"runs/a.yaml": "name: run-a\nmodel: Phi-4-mini-instruct\ndata: {train: data/a.jsonl}\n"},
    )
    # pull_request checks out the merge commit: first parent = the base branch, so HEAD^1..HEAD = the PR's changes
    _git(repo, "merge", "-q", "--no-ff", "-m", "merge", "feature")
    found, _ = _matrix_step(repo, "run-plan.yml", tmp_path, {"EVENT": "pull_request"})
    assert _names(found) == [("prod", "run-b")]

    found, _ = _matrix_step(
        repo, "run-plan.yml", tmp_path, {"EVENT": "workflow_dispatch", "RUN_INPUT": "runs/a.yaml"}
    )
    assert _names(found) == [("dev", "run-a"), ("prod", "run-a")]
    found, _ = _matrix_step(repo, "run-plan.yml", tmp_path, {"EVENT": "workflow_dispatch"})
    assert _names(found) == [("dev", "run-a"), ("prod", "run-a"), ("prod", "run-b")]


@pytest.mark.usefixtures("git_ok")
def test_run_apply_matrix_is_one_leg_per_stack_of_the_pushs_changes_from_a_shallow_checkout(
    tmp_path: Path,
) -> None:
    origin = tmp_path / "origin.git"
    _git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    work = tmp_path / "work"
    _git(tmp_path, "clone", "-q", origin.as_uri(), str(work))
    _git(work, "checkout", "-q", "-b", "main")
    _commit(work, "base", _base_files())  # run-a on every stack (dev, prod), run-b on prod
    _git(work, "push", "-q", "origin", "main")
    before = _git(work, "rev-parse", "HEAD")
    _commit(work, "one", {"runs/data/b.jsonl": '{"x": 1}\n'})
    _commit(work, "two", {"README.md": "x\n"})
    _git(work, "push", "-q", "origin", "main")

    runner = tmp_path / "runner"  # actions/checkout: depth 1
    _git(tmp_path, "clone", "-q", "--depth", "1", origin.as_uri(), str(runner))
    found, _ = _matrix_step(runner, "run-apply.yml", tmp_path, {"EVENT": "push", "BEFORE": before})
    # only run-b changed, and only its stack gets a leg; the leg applies every run of that stack
    assert _stacks(found) == ["prod"]

    everything = ["dev", "prod"]
    found, log = _matrix_step(runner, "run-apply.yml", tmp_path, {"EVENT": "push", "BEFORE": "0" * 40})
    assert "::warning::cannot fetch" in log and "reconciling every stack with runs" in log
    assert _stacks(found) == everything
    found, _ = _matrix_step(runner, "run-apply.yml", tmp_path, {"EVENT": "schedule"})
    assert _stacks(found) == everything
    found, _ = _matrix_step(runner, "run-apply.yml", tmp_path, {"EVENT": "workflow_dispatch"})
    assert _stacks(found) == everything
    found, _ = _matrix_step(
        runner, "run-apply.yml", tmp_path, {"EVENT": "workflow_dispatch", "STACK_INPUT": "dev"}
    )
    assert _stacks(found) == ["dev"]


@pytest.mark.usefixtures("git_ok")
def test_run_plan_renders_one_marked_comment_per_stack_and_run(tmp_path: Path) -> None:
    step = _step_named(_load("run-plan.yml")["jobs"]["plan"], "Render the plan")
    (tmp_path / "plan.txt").write_text("would create the fine-tuning job\n", encoding="utf-8")
    (tmp_path / "plan.json").write_text('{"steps": []}\n', encoding="utf-8")

    def render(stack: str, run: str) -> tuple[str, str]:
        env_file, summary = tmp_path / "env", tmp_path / "summary"
        env_file.write_text("", encoding="utf-8")
        summary.write_text("", encoding="utf-8")
        env = {
            **os.environ,
            "RUNNER_TEMP": str(tmp_path),
            "GITHUB_ENV": str(env_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            "OUTCOME": "success",
            "STACK_NAME": stack,
            "RUN": run,
            "RUN_URL": "https://example.invalid/run/1",
            "HEAD_SHA": "0123456789abcdef",
        }
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr
        body = (tmp_path / "comment.md").read_text(encoding="utf-8")
        assert summary.read_text(encoding="utf-8") == body
        marker = env_file.read_text(encoding="utf-8").strip().removeprefix("PLAN_MARKER=")
        return body, marker

    body, marker = render("dev", "runs/a.yaml")
    assert body.startswith(marker + "\n") and re.fullmatch(
        r"<!-- foundry-ops run plan [0-9a-f]{16} -->", marker
    )
    assert "`runs/a.yaml` on `dev`: plan" in body and "would create the fine-tuning job" in body
    assert '```json\n{"steps": []}' in body and "Commit 0123456789ab" in body
    assert render("dev", "runs/a.yaml")[1] == marker  # the same comment is edited on the next push
    assert len({marker, render("prod", "runs/a.yaml")[1], render("dev", "runs/b.yaml")[1]}) == 3

    # the table comes from the plan's JSON (one `run plan` per leg); a `|` or a line break stays in its cell
    steps = [
        {"name": "validate", "state": "done", "detail": "60 examples"},
        {"name": "deploy", "state": "to do", "detail": "an endpoint | a\nsecond line"},
    ]
    (tmp_path / "plan.json").write_text(json.dumps({"steps": steps}), encoding="utf-8")
    body, _ = render("dev", "runs/a.yaml")
    assert "| step | state | detail |\n|---|---|---|\n| validate | done | 60 examples |\n" in body
    assert "| deploy | to do | an endpoint \\| a second line |\n" in body
    (tmp_path / "plan.json").write_text("", encoding="utf-8")  # the plan failed: its error, no table
    body, _ = render("dev", "runs/a.yaml")
    assert "| step |" not in body and "would create the fine-tuning job" in body


@pytest.mark.usefixtures("git_ok")
def test_run_plan_plans_once_json_to_its_file_and_stderr_to_the_log(tmp_path: Path) -> None:
    step = _step_named(_load("run-plan.yml")["jobs"]["plan"], "foundry-ops run plan")
    venv = tmp_path / ".venv" / "bin"
    venv.mkdir(parents=True)
    stub = venv / "foundry-ops"
    stub.write_text(
        f"#!{sys.executable}\n"
        "import os, sys\n"
        "open(os.environ['CALLS'], 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        "print('{\"steps\": []}')\n"
        "print('3 step(s) to apply', file=sys.stderr)\n"
        "sys.exit(int(os.environ['CODE']))\n",
        encoding="utf-8",
    )
    stub.chmod(0o755)
    temp = tmp_path / "runner_temp"
    temp.mkdir()
    for code in (0, 2):
        calls = tmp_path / f"calls-{code}"
        env = {
            **os.environ,
            "RUNNER_TEMP": str(temp),
            "RUN": "runs/a.yaml",
            "CALLS": str(calls),
            "CODE": str(code),
        }
        proc = subprocess.run(
            ["bash", "-e", "-c", step["run"]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == code, proc.stderr  # the plan's exit is the step's
        assert calls.read_text(encoding="utf-8").splitlines() == [
            f"--outputs {temp}/outputs.json run plan runs/a.yaml -o json"
        ]
        assert json.loads((temp / "plan.json").read_text(encoding="utf-8")) == {"steps": []}
        assert (temp / "plan.txt").read_text(encoding="utf-8") == "3 step(s) to apply\n"
        assert proc.stdout == "3 step(s) to apply\n"  # in the log too


# ---------------------------------------------------------------------------------------------------------
# run-apply's leg, its shell steps run with bash against a stand-in foundry-ops
# ---------------------------------------------------------------------------------------------------------

# Records its arguments (one JSON line each) and exits with the code $STUB_CODES gives "<run file> <pass>"
# (pass: no-wait, wait or status; default 0); `run status` prints a status document.
STUB = """#!{python}
import json, os, sys

args = sys.argv[1:]
with open(os.environ["STUB_LOG"], "a", encoding="utf-8") as fh:
    fh.write(json.dumps(args) + "\\n")
assert args[:2] == ["--outputs", os.environ["RUNNER_TEMP"] + "/outputs.json"] and args[2] == "run", args
command, run = args[3], args[4]
if command == "status":
    print(json.dumps({{"file": run, "steps": []}}))
    key = run + " status"
else:
    assert command == "apply" and "--yes" in args, args
    key = run + (" no-wait" if "--no-wait" in args else " wait")
sys.exit(json.loads(os.environ.get("STUB_CODES", "{{}}")).get(key, 0))
"""


class Leg:
    """A checkout of the base files with .venv/bin/{python,foundry-ops} (the stand-in) and the runner's files."""

    def __init__(self, tmp: Path) -> None:
        self.repo = tmp / "repo"
        self.repo.mkdir()
        _git(self.repo, "init", "-q", "-b", "main")
        _commit(self.repo, "base", _base_files())  # run-a on dev and prod, run-b on prod
        venv = self.repo / ".venv" / "bin"
        venv.mkdir(parents=True)
        for name, text in {
            "foundry-ops": STUB.format(python=sys.executable),
            "python": f'#!/bin/sh\nexec "{sys.executable}" "$@"\n',
        }.items():
            (venv / name).write_text(text, encoding="utf-8")
            (venv / name).chmod(0o755)
        self.temp = tmp / "runner_temp"
        self.temp.mkdir()
        self.outputs = self.temp / "outputs.json"
        self.outputs.write_text('{"secret": "s3cr3t"}\n', encoding="utf-8")
        self.log = tmp / "stub.log"
        self.summary = tmp / "summary.md"
        self.github_env = tmp / "github_env"
        for path in (self.log, self.summary, self.github_env):
            path.write_text("", encoding="utf-8")
        self.job = _load("run-apply.yml")["jobs"]["apply"]

    def step(self, name: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """One `run:` step of the leg, as the runner runs it (bash -e, the workspace as working directory)."""
        full_env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RUNNER_TEMP": str(self.temp),
            "GITHUB_ENV": str(self.github_env),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "STUB_LOG": str(self.log),
            **(env or {}),
        }
        script = _step_named(self.job, name)["run"]
        return subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=self.repo,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def list_runs(self, stack: str) -> None:
        proc = self.step("List the runs of the stack", {"STACK_NAME": stack})
        assert proc.returncode == 0, proc.stderr

    def apply(self, codes: dict[str, int], started: float | None = None) -> subprocess.CompletedProcess[str]:
        start = int(time.time() if started is None else started)
        return self.step("foundry-ops run apply", {"LEG_START": str(start), "STUB_CODES": json.dumps(codes)})

    def calls(self) -> list[tuple[str, ...]]:
        """(command, run file, the options after it) of each call of the stand-in, in order."""
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            args = json.loads(line)
            found.append((args[3], args[4], *args[5:]))
        return found


@pytest.fixture
def leg(tmp_path: Path) -> Leg:
    assert shutil.which("git") and shutil.which("bash"), "these tests need git and bash: install them"
    return Leg(tmp_path)


def _wait_timeouts(leg: Leg) -> dict[str, int]:
    return {call[1]: int(call[call.index("--timeout") + 1]) for call in leg.calls() if "--timeout" in call}


def test_the_leg_starts_its_clock_and_lists_its_stacks_runs_at_its_checkout(leg: Leg) -> None:
    proc = leg.step("Start the clock")
    assert proc.returncode == 0, proc.stderr
    [line] = leg.github_env.read_text(encoding="utf-8").splitlines()
    assert re.fullmatch(r"LEG_START=\d+", line) and abs(int(line.split("=")[1]) - time.time()) < 60

    leg.list_runs("prod")
    assert (leg.temp / "runs.tsv").read_text(encoding="utf-8") == (
        "prod\truns/a.yaml\trun-a\nprod\truns/b.yaml\trun-b\n"
    )
    leg.list_runs("dev")
    assert (leg.temp / "runs.tsv").read_text(encoding="utf-8") == "dev\truns/a.yaml\trun-a\n"
    # an invalid run file at the leg's checkout fails the leg before Azure is touched
    (leg.repo / "runs" / "b.yaml").write_text("name: run-b\nmodel: Phi-4\n", encoding="utf-8")
    proc = leg.step("List the runs of the stack", {"STACK_NAME": "prod"})
    assert proc.returncode == 2 and "runs/b.yaml" in proc.stderr


def test_the_leg_submits_every_run_then_waits_for_each_within_the_budget(leg: Leg) -> None:
    leg.list_runs("prod")
    proc = leg.apply({})
    assert proc.returncode == 0, proc.stderr
    calls = leg.calls()
    assert [c[:2] for c in calls] == [
        ("apply", "runs/a.yaml"),
        ("apply", "runs/b.yaml"),
        ("apply", "runs/a.yaml"),
        ("apply", "runs/b.yaml"),
    ]
    assert calls[0][2:] == ("--yes", "--no-wait") == calls[1][2:]
    assert calls[2][2] == "--yes" and calls[2][3] == "--timeout"
    assert all(19700 <= t <= 19800 for t in _wait_timeouts(leg).values())
    summary = leg.summary.read_text(encoding="utf-8")
    assert "| `runs/a.yaml` | applied |" in summary and "| `runs/b.yaml` | applied |" in summary


@pytest.mark.parametrize(("spent", "expected"), [(19000, 800), (19700, 600), (30000, 600)])
def test_the_wait_gets_what_is_left_of_five_and_a_half_hours_and_at_least_ten_minutes(
    leg: Leg, spent: int, expected: int
) -> None:
    leg.list_runs("dev")
    proc = leg.apply({}, started=time.time() - spent)
    assert proc.returncode == 0, proc.stderr
    timeout = _wait_timeouts(leg)["runs/a.yaml"]
    assert expected - 5 <= timeout <= expected


def test_exit_6_still_fine_tuning_is_not_a_failure_of_the_leg(leg: Leg) -> None:
    leg.list_runs("prod")
    proc = leg.apply({"runs/a.yaml wait": 6})
    assert proc.returncode == 0, proc.stderr
    assert "::warning::runs/a.yaml: still fine-tuning" in proc.stdout
    assert "next reconcile continues it" in proc.stdout
    assert [c[1] for c in leg.calls()] == ["runs/a.yaml", "runs/b.yaml", "runs/a.yaml", "runs/b.yaml"]
    assert "| `runs/a.yaml` | still fine-tuning (exit 6) |" in leg.summary.read_text(encoding="utf-8")


@pytest.mark.parametrize("code", [1, 2, 3, 4, 5, 130])
def test_any_other_exit_fails_the_leg_after_every_run_was_tried(leg: Leg, code: int) -> None:
    leg.list_runs("prod")
    proc = leg.apply({"runs/a.yaml wait": code, "runs/b.yaml wait": 6})
    assert proc.returncode == 1
    assert [c[1] for c in leg.calls()] == ["runs/a.yaml", "runs/b.yaml", "runs/a.yaml", "runs/b.yaml"]
    assert f"::error::runs/a.yaml: run apply exited {code}" in proc.stdout
    assert "::error::1 of 2 run(s) failed: runs/a.yaml" in proc.stdout
    summary = leg.summary.read_text(encoding="utf-8")
    assert f"| `runs/a.yaml` | failed (exit {code}) |" in summary
    assert "| `runs/b.yaml` | still fine-tuning (exit 6) |" in summary


def test_a_run_that_fails_to_submit_is_not_waited_for_and_the_others_go_on(leg: Leg) -> None:
    leg.list_runs("prod")
    proc = leg.apply({"runs/a.yaml no-wait": 3})
    assert proc.returncode == 1
    assert [(c[1], "--no-wait" in c) for c in leg.calls()] == [
        ("runs/a.yaml", True),
        ("runs/b.yaml", True),
        ("runs/b.yaml", False),
    ]
    assert "::error::runs/a.yaml: run apply --no-wait exited 3" in proc.stdout
    # exit 6 while submitting (a deployment still going on) is no failure either: it is waited for next
    leg.log.write_text("", encoding="utf-8")
    proc = leg.apply({"runs/a.yaml no-wait": 6})
    assert proc.returncode == 0, proc.stderr
    assert [c[1] for c in leg.calls()] == ["runs/a.yaml", "runs/b.yaml", "runs/a.yaml", "runs/b.yaml"]


def test_a_stack_without_runs_at_the_checkout_applies_nothing(leg: Leg) -> None:
    (leg.temp / "runs.tsv").write_text("", encoding="utf-8")
    proc = leg.apply({})
    assert proc.returncode == 0, proc.stderr
    assert leg.calls() == []
    proc = leg.step("Save the run status")
    assert proc.returncode == 0, proc.stderr


def test_the_status_of_every_run_is_saved_and_only_run_directories_are_uploaded(leg: Leg) -> None:
    leg.list_runs("prod")
    proc = leg.step("Save the run status", {"STUB_CODES": json.dumps({"runs/a.yaml status": 1})})
    assert proc.returncode == 1  # a run whose status cannot be read fails the step, after the others
    assert "::error::runs/a.yaml: run status failed" in proc.stdout
    assert [c[:2] for c in leg.calls()] == [("status", "runs/a.yaml"), ("status", "runs/b.yaml")]
    assert all(c[2:] == ("-o", "json") for c in leg.calls())
    status = json.loads((leg.repo / "runs" / "run-b.outputs" / "status.json").read_text(encoding="utf-8"))
    assert status["file"] == "runs/b.yaml"
    assert not (leg.repo / "runs" / "run-a.outputs" / "status.json").exists()  # no empty status left behind

    proc = leg.step("Remove stack outputs")
    assert proc.returncode == 0 and not leg.outputs.exists()
    # what the upload step's path matches in the workspace: the runs' directories, nothing else
    upload = _step_using(leg.job, "actions/upload-artifact")["with"]["path"]
    uploaded = sorted(
        p.relative_to(leg.repo).as_posix() for p in leg.repo.glob(upload + "**/*") if p.is_file()
    )
    assert uploaded == ["runs/run-b.outputs/status.json"]
    assert not any(p.name == "outputs.json" for p in leg.repo.rglob("*") if ".git" not in p.parts)
