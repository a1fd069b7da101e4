"""`preflight` through the real CLI, the real SDKs and the HTTPS emulator."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result

from tests.emulator.server import Emulator
from tests.emulator.state import AI_DEVELOPER_ACTIONS, AI_DEVELOPER_NOT_ACTIONS


def _checks(result: Result) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_unregistered_network_fails_with_the_fix(
    run: Callable[..., Result], azure_emulator: Emulator
) -> None:
    result = run("preflight")
    assert result.exit_code == 1
    row = next(line for line in result.output.splitlines() if line.startswith("provider Microsoft.Network"))
    assert row.split()[2] == "FAIL"
    assert "foundry-ops preflight --fix" in row
    assert azure_emulator.count("POST", "/register") == 0
    for name in ("outputs", "model (serverless)", "credentials", "workspace", "permissions"):
        line = next(line for line in result.output.splitlines() if line.startswith(name))
        assert " PASS " in line, line


def test_fix_registers_network_and_passes(run: Callable[..., Result], azure_emulator: Emulator) -> None:
    result = run("preflight", "--fix", "-o", "json")
    assert result.exit_code == 0, result.output
    checks = _checks(result)
    assert checks["provider Microsoft.Network"]["status"] == "fixed"
    assert json.loads(result.stdout)["ok"] is True
    assert azure_emulator.count("POST", "/providers/Microsoft.Network/register") == 1
    again = run("preflight", "-o", "json")
    assert again.exit_code == 0
    assert _checks(again)["provider Microsoft.Network"]["status"] == "pass"


def test_ai_developer_alone_cannot_register(run: Callable[..., Result], azure_emulator: Emulator) -> None:
    azure_emulator.settings.permissions_actions = list(AI_DEVELOPER_ACTIONS)
    azure_emulator.settings.permissions_not_actions = list(AI_DEVELOPER_NOT_ACTIONS)
    result = run("preflight", "--fix", "-o", "json")
    assert result.exit_code == 1
    checks = _checks(result)
    assert checks["permissions"]["status"] == "pass"  # Azure AI Developer is enough for the workflow
    network = checks["provider Microsoft.Network"]
    assert network["status"] == "fail"
    assert "AuthorizationFailed" in network["detail"]
    assert "Owner or Contributor" in network["fix"]


def test_missing_role_names_what_cannot_be_done(run: Callable[..., Result], azure_emulator: Emulator) -> None:
    azure_emulator.settings.permissions_actions = [
        "Microsoft.MachineLearningServices/workspaces/*/read",
        "*/read",
    ]
    azure_emulator.settings.permissions_not_actions = []
    result = run("preflight", "--fix", "-o", "json")
    assert result.exit_code == 1
    permissions = _checks(result)["permissions"]
    assert permissions["status"] == "fail"
    assert permissions["detail"] == (
        "you cannot register training data, submit fine-tuning jobs, deploy endpoints, read endpoint keys, "
        "delete endpoints"
    )
    assert 'az role assignment create --role "Azure AI Developer"' in permissions["fix"]


def test_retired_serverless_model_fails_with_alternatives(run: Callable[..., Result]) -> None:
    result = run(
        "preflight", "--fix", "--model", "Phi-3-mini-4k-instruct", "--mode", "serverless", "-o", "json"
    )
    assert result.exit_code == 1
    model = _checks(result)["model (serverless)"]
    assert model["status"] == "fail"
    assert "retired on 2025-08-30" in model["detail"]
    assert "Phi-4-mini-instruct" in model["detail"]


def test_managed_compute_checks_the_cluster(run: Callable[..., Result]) -> None:
    result = run("preflight", "--fix", "--model", "Phi-3.5-mini-instruct", "-o", "json")
    assert result.exit_code == 0, result.output
    checks = _checks(result)
    assert checks["model (managed-compute)"]["status"] == "pass"
    assert checks["compute"]["detail"] == "cluster gpu-cluster"


def test_bad_secret_is_a_failed_check_not_a_traceback(run: Callable[..., Result], monkeypatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    result = run("preflight", "-o", "json")
    assert result.exit_code == 1
    checks = _checks(result)
    assert "AADSTS7000215" in checks["credentials"]["detail"]
    assert checks["workspace"]["status"] == "skip"
    assert "not-the-secret" not in result.output


def test_missing_outputs_is_the_first_failed_check(run: Callable[..., Result], tmp_path, monkeypatch) -> None:
    empty = tmp_path / "outputs.json"
    empty.write_text('{"outputs_schema_version": 1, "location": "eastus2"}', encoding="utf-8")
    monkeypatch.setenv("FOUNDRY_OUTPUTS", str(empty))
    result = run("preflight")
    assert result.exit_code == 1
    first = result.output.splitlines()[1]
    assert first.startswith("outputs") and " FAIL " in first and "missing keys: subscription_id" in first


def test_outputs_that_cannot_be_read_get_their_own_fix(
    run: Callable[..., Result], tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("FOUNDRY_OUTPUTS", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no Pulumi CLI
    checks = _checks(run("--stack", "prod", "preflight", "-o", "json"))
    assert checks["outputs"]["status"] == "fail"
    assert checks["outputs"]["detail"] == "the Pulumi CLI is not on PATH"
    assert checks["outputs"]["fix"] == "install it from pulumi.com, or pass --outputs FILE with saved outputs"


def test_unknown_model_is_a_usage_error(run: Callable[..., Result]) -> None:
    result = run("preflight", "--model", "Phi-9")
    assert result.exit_code == 2
    assert result.output.startswith(
        "Error: unknown model 'Phi-9' (did you mean 'Phi-4'?); known models: Phi-4-mini"
    )


def test_throttled_arm_is_retried_honouring_retry_after(
    run: Callable[..., Result], azure_emulator: Emulator
) -> None:
    azure_emulator.faults.add(
        "status", method="GET", path="/workspaces/proj-foundry-dev$", status=429, retry_after=1, count=1
    )
    azure_emulator.faults.add("status", method="GET", path="/permissions$", status=503, count=1)
    result = run("preflight", "--fix", "-o", "json", real_time=True)
    assert result.exit_code == 0, result.output
    workspace_gets = [
        r for r in azure_emulator.requests if r["path"].endswith("/workspaces/proj-foundry-dev")
    ]
    assert [r["status"] for r in workspace_gets] == [429, 200]
    assert workspace_gets[1]["time"] - workspace_gets[0]["time"] >= 0.9  # waited for Retry-After: 1
    assert azure_emulator.count("GET", "/permissions", status=200) == 1


def test_no_credentials_at_all_is_one_line(run: Callable[..., Result], monkeypatch) -> None:
    for name in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az / azd / pwsh to fall back on
    result = run("preflight", "-o", "json")
    assert result.exit_code == 1
    assert _checks(result)["credentials"]["detail"] == (
        "no working Azure credentials: no credential source is available (no az login, no AZURE_CLIENT_* "
        "variables, no managed identity) (hint: sign in with `az login`, or set "
        "AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, or use a managed identity)"
    )
    assert "Attempted credentials" not in result.output


def test_content_safety_without_credentials_exits_5(run: Callable[..., Result], monkeypatch) -> None:
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    result = run("content-safety", "show", "bot")
    assert result.exit_code == 5
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith(
        "Error: no working Azure credentials: EnvironmentCredential: Authentication failed: "
        "AADSTS7000215: Invalid client secret provided. (hint: sign in with `az login`"
    )


def test_identity_without_blob_role_fails_with_the_command(
    run: Callable[..., Result], azure_emulator: Emulator
) -> None:
    world = azure_emulator.world
    world.role_assignments = [
        a for a in world.role_assignments if "Microsoft.Storage" not in a["properties"]["scope"]
    ]
    result = run("preflight", "--fix", "-o", "json")
    assert result.exit_code == 1
    identity = _checks(result)["fine-tuning identity"]
    assert identity["detail"] == "id-foundry-finetune lacks Storage Blob Data Contributor on devstoreaccount1"
    assert identity["fix"].startswith(
        "run `pulumi up` (the stack declares it), or: az role assignment create"
    )
    assert "/storageAccounts/devstoreaccount1" in identity["fix"]


def test_identity_role_inherited_from_the_resource_group_counts(
    run: Callable[..., Result], azure_emulator: Emulator
) -> None:
    from tests.emulator.routes.authorization import STORAGE_BLOB_DATA_CONTRIBUTOR, assignment

    world = azure_emulator.world
    blob = next(a for a in world.role_assignments if "Microsoft.Storage" in a["properties"]["scope"])
    world.role_assignments.remove(blob)
    sc = azure_emulator.scenario
    principal = blob["properties"]["principalId"]
    world.role_assignments.append(
        assignment(sc.subscription_id, principal, "ServicePrincipal", STORAGE_BLOB_DATA_CONTRIBUTOR, sc.rg_id)
    )
    result = run("preflight", "--fix", "-o", "json")
    assert result.exit_code == 0, result.output
    assert _checks(result)["fine-tuning identity"]["status"] == "pass"
    filtered = [r for r in azure_emulator.requests if r["path"].endswith("/roleAssignments")]
    assert len(filtered) == 1 and filtered[0]["path"].endswith(
        "/storageAccounts/devstoreaccount1/providers/Microsoft.Authorization/roleAssignments"
    )
