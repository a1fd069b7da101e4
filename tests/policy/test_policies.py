"""The pulumi_policy wiring: policy objects built from the rules, validated the way the engine calls them."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy import policies, rules
from tests.policy.samples import compliant, nested

OPTS = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def _by_name() -> dict[str, Any]:
    return {p.name: p for p in policies.all_policies()}


def _validate(
    policy: ResourceValidationPolicy, resource_type: str, props: dict[str, Any], **config: Any
) -> list[str]:
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    args = ResourceValidationArgs(
        resource_type, props, f"urn:pulumi:dev::p::{resource_type}::r", "r", OPTS, None, config
    )
    result = policy.validate(args, report)
    assert result is None  # synchronous: nothing for the engine to await
    return found


@pytest.fixture(autouse=True)
def _no_stack_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_STACK", raising=False)


def test_one_policy_per_rule_with_its_enforcement_level() -> None:
    built = _by_name()
    for rule in rules.RESOURCE_RULES:
        policy = built[rule.name]
        assert isinstance(policy, ResourceValidationPolicy)
        expected = EnforcementLevel.MANDATORY if rule.mandatory else EnforcementLevel.ADVISORY
        assert policy.enforcement_level == expected
        assert policy.description == rule.description
        assert policy.remediation_steps == rule.remediation
    for stack_rule in rules.STACK_RULES:
        assert isinstance(built[stack_rule.name], StackValidationPolicy)
    assert len(built) == len(rules.RESOURCE_RULES) + len(rules.STACK_RULES)


def test_pack_name_is_valid() -> None:
    assert re.fullmatch(r"[a-zA-Z0-9-_.]{1,100}", policies.PACK_NAME)


def test_validate_reports_a_violation_and_nothing_for_a_compliant_resource() -> None:
    policy = _by_name()["storage-no-shared-key-access"]
    bad = compliant(rules.STORAGE_ACCOUNT, allowSharedKeyAccess=True)
    assert _validate(policy, rules.STORAGE_ACCOUNT, bad) == ["allowSharedKeyAccess must be false (is True)"]
    assert _validate(policy, rules.STORAGE_ACCOUNT, compliant(rules.STORAGE_ACCOUNT)) == []
    assert _validate(policy, rules.KEY_VAULT, bad) == []


def test_stack_name_comes_from_pulumi_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = _by_name()["keyvault-purge-protection-in-prod"]
    vault = nested(rules.KEY_VAULT, enablePurgeProtection=None)
    monkeypatch.setenv("PULUMI_STACK", "dev")
    assert _validate(policy, rules.KEY_VAULT, vault) == []
    monkeypatch.setenv("PULUMI_STACK", "prod")
    assert _validate(policy, rules.KEY_VAULT, vault) == [
        "production stack 'prod': properties.enablePurgeProtection must be true (is unset)"
    ]


def test_policy_config_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    built = _by_name()
    monkeypatch.setenv("PULUMI_STACK", "live")
    vault = nested(rules.KEY_VAULT, enablePurgeProtection=None)
    purge = built["keyvault-purge-protection-in-prod"]
    assert _validate(purge, rules.KEY_VAULT, vault) == []
    assert _validate(purge, rules.KEY_VAULT, vault, productionStacks=["live"])
    tags = built["required-tags"]
    assert _validate(tags, rules.COMPUTE, compliant(rules.COMPUTE), requiredTags=["cost-center"]) == [
        "missing required tags: cost-center"
    ]
    region = built["workspace-region-supports-models"]
    assert _validate(region, rules.WORKSPACE, compliant(rules.WORKSPACE), models=["Phi-4"]) == []
    assert _validate(region, rules.WORKSPACE, compliant(rules.WORKSPACE), models=["Phi-5"]) != []


def test_build_context_parses_lists() -> None:
    ctx = policies.build_context(
        {"models": "Phi-4, Phi-4-mini-instruct", "allowedRoleIds": '["a", "b"]'}, "dev"
    )
    assert ctx.models == ("Phi-4", "Phi-4-mini-instruct")
    assert ctx.allowed_role_ids == ("a", "b")
    assert ctx.stack == "dev"
    assert policies.build_context({"stack": "prod"}, "dev").stack == "prod"
    assert policies.build_context({}, None).allowed_role_ids == tuple(rules.ALLOWED_ROLES)


def _resource(name: str, kind: str, location: str) -> PolicyResource:
    urn = f"urn:pulumi:dev::p::{rules.WORKSPACE}::{name}"
    return PolicyResource(
        rules.WORKSPACE, {"kind": kind, "location": location}, urn, name, OPTS, None, None, [], {}
    )


def test_stack_policy_reports_with_the_resource_urn() -> None:
    policy = _by_name()["hub-project-colocated"]
    found: list[tuple[str, str | None]] = []
    args = StackValidationArgs(
        [_resource("hub", "Hub", "eastus2"), _resource("proj", "Project", "westus")], {}
    )
    policy.validate(args, lambda message, urn=None: found.append((message, urn)))
    assert found == [
        ("proj (Project) is in westus, but hub is in eastus2", f"urn:pulumi:dev::p::{rules.WORKSPACE}::proj")
    ]
    found.clear()
    args = StackValidationArgs(
        [_resource("hub", "Hub", "eastus2"), _resource("proj", "Project", "eastus2")], {}
    )
    policy.validate(args, lambda message, urn=None: found.append((message, urn)))
    assert found == []


ALL_TYPES = sorted(
    {t for r in rules.RESOURCE_RULES for t in r.resource_types}
    | {t for r in rules.STACK_RULES for t in r.resource_types}
)


@pytest.mark.parametrize("token", ALL_TYPES)
def test_type_tokens_exist_in_the_installed_provider(token: str) -> None:
    _, module_name, class_name = token.split(":")
    module = importlib.import_module(f"pulumi_azure_native.{module_name}")
    cls = getattr(module, class_name)
    source = inspect.getsource(cls._internal_init)
    assert f"'{token}'" in source
    takes_tags = "tags" in inspect.signature(cls._internal_init).parameters
    assert takes_tags == (token in rules.TAGGABLE_TYPES), token


def test_pulumi_policy_yaml_runs_the_pack_on_the_project_venv() -> None:
    import yaml

    pack_dir = Path(policies.__file__).parent
    data = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert data["runtime"]["name"] == "python"
    venv = (pack_dir / data["runtime"]["options"]["virtualenv"]).resolve()
    assert venv == (pack_dir.parent / ".venv").resolve()
    assert re.fullmatch(r"\d+\.\d+\.\d+", data["version"])
    assert (pack_dir / "__main__.py").is_file()


def test_module_level_policies_match_the_rules() -> None:
    assert [p.name for p in policies.POLICIES] == [p.name for p in policies.all_policies()]
