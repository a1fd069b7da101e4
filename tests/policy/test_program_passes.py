"""The real program, run under the mock engine for every stack file, passes every mandatory rule.

The mocks record resource inputs with camelCase wire names: the same props the policy engine hands the pack.
Each stack is judged as itself (the stack name decides production), like PULUMI_STACK does in the engine.
"""

from __future__ import annotations

from functools import cache

import pytest

from policy import rules
from policy.rules import PolicyContext, StackResource
from tests.infra.harness import STACK_FILES, ProgramRun, run_program


@cache
def _run(stack: str) -> ProgramRun:
    return run_program(STACK_FILES[stack])  # raises if the program fails


def _custom(stack: str) -> list[StackResource]:
    return [StackResource(r.type, r.name, r.inputs, r.urn) for r in _run(stack).resources if r.custom]


def test_both_shipped_stacks_are_checked() -> None:
    assert {"dev", "prod"} <= set(STACK_FILES)


@pytest.mark.parametrize("stack", sorted(STACK_FILES))
def test_every_mandatory_rule_passes_on_every_resource(stack: str) -> None:
    ctx = PolicyContext(stack=stack)
    resources = _custom(stack)
    failures = [
        (rule.name, r.name, message)
        for r in resources
        for rule in rules.MANDATORY_RULES
        for message in rule.violations(r.resource_type, r.props, ctx)
    ]
    assert failures == []
    stack_failures = [
        (rule.name, v)
        for rule in rules.STACK_RULES
        if rule.mandatory
        for v in rule.violations(resources, ctx)
    ]
    assert stack_failures == []


@pytest.mark.parametrize("stack", sorted(STACK_FILES))
def test_every_mandatory_rule_has_something_to_check(stack: str) -> None:
    """No rule passes vacuously: each one's resource types occur in the program."""
    present = {r.resource_type for r in _custom(stack)}
    for rule in rules.MANDATORY_RULES:
        assert rule.resource_types & present, rule.name
    hubs = [r for r in _custom(stack) if r.resource_type == rules.WORKSPACE and r.props.get("kind") == "Hub"]
    assert len(hubs) == 1
    connections = [r for r in _custom(stack) if r.resource_type == rules.CONNECTION]
    assert any(r.props["properties"]["category"] == "AIServices" for r in connections)


def test_prod_is_judged_as_production_and_meets_the_advisories_too() -> None:
    """prod is the waf-aligned stack: purge protection, no public network, a managed network."""
    ctx = PolicyContext(stack="prod")
    resources = _custom("prod")
    vault = next(r for r in resources if r.resource_type == rules.KEY_VAULT)
    assert ctx.is_production(vault.props)
    advisories = [
        (rule.name, r.name, m)
        for r in resources
        for rule in rules.ADVISORY_RULES
        for m in rule.violations(r.resource_type, r.props, ctx)
    ]
    assert advisories == []


def test_dev_gets_advice_but_no_blocking_violation() -> None:
    """dev is the cheap 'defaults' stack: its hub has no managed network, which the advisory rule points out."""
    ctx = PolicyContext(stack="dev")
    advice = {
        rule.name
        for r in _custom("dev")
        for rule in rules.ADVISORY_RULES
        if rule.violations(r.resource_type, r.props, ctx)
    }
    assert advice == {"hub-managed-network-isolation"}


def test_the_same_dev_program_would_be_blocked_as_a_production_stack() -> None:
    """Judged as production, dev's vault (no purge protection) fails: the prod rule is not vacuous."""
    ctx = PolicyContext(stack="dev", production_stacks=("dev",))
    vault = next(r for r in _custom("dev") if r.resource_type == rules.KEY_VAULT)
    rule = next(r for r in rules.MANDATORY_RULES if r.name == "keyvault-purge-protection-in-prod")
    assert rule.violations(vault.resource_type, vault.props, ctx)
