"""The rules of `policy.rules` as pulumi_policy objects (importable: nothing here starts a server).

Each validate callback builds a PolicyContext from the policy's config (`--policy-pack-config`) and the
running stack's name (the Pulumi CLI sets PULUMI_STACK for policy packs), then reports every message the
pure rule returns.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.rules import (
    ADVISORY_RULES,
    DEFAULT_PRODUCTION_STACKS,
    DEFAULT_REQUIRED_TAGS,
    MANDATORY_RULES,
    STACK_RULES,
    PolicyContext,
    ResourceRule,
    StackResource,
    StackRule,
)

PACK_NAME = "foundry-phi-guardrails"

_STRINGS = {"type": "array", "items": {"type": "string"}}
CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "productionStacks": {**_STRINGS, "description": "stack names treated as production"},
        "requiredTags": {**_STRINGS, "description": "tag keys every taggable resource must carry"},
        "allowedRoleIds": {**_STRINGS, "description": "built-in role GUIDs role assignments may use"},
        "models": {**_STRINGS, "description": "models the stack fine-tunes (default: the stack's config)"},
        "stack": {"type": "string", "description": "stack name override (default: the running stack)"},
    }
)


def _strings(value: Any) -> tuple[str, ...] | None:
    """A list of strings from policy config or a stack config value (JSON list or comma-separated)."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                return None
        else:
            return tuple(p.strip() for p in text.split(",") if p.strip())
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return None


def build_context(config: Mapping[str, Any], stack: str | None = None) -> PolicyContext:
    """PolicyContext from a policy's config plus the running stack's name (config keys override)."""
    allowed = _strings(config.get("allowedRoleIds"))
    defaults = PolicyContext()
    return PolicyContext(
        stack=str(config.get("stack") or stack or "") or None,
        models=_strings(config.get("models")) or (),
        production_stacks=_strings(config.get("productionStacks")) or DEFAULT_PRODUCTION_STACKS,
        required_tags=_strings(config.get("requiredTags")) or DEFAULT_REQUIRED_TAGS,
        allowed_role_ids=allowed if allowed is not None else defaults.allowed_role_ids,
    )


def engine_context(config: Mapping[str, Any]) -> PolicyContext:
    """The context inside a running policy pack: the Pulumi CLI sets PULUMI_STACK for it."""
    return build_context(config, stack=os.environ.get("PULUMI_STACK"))


def _level(mandatory: bool) -> EnforcementLevel:
    return EnforcementLevel.MANDATORY if mandatory else EnforcementLevel.ADVISORY


def _common(rule: ResourceRule | StackRule) -> dict[str, Any]:
    """What every policy of the pack shares: identity, level, severity, config schema, remediation."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": _level(rule.mandatory),
        "config_schema": CONFIG_SCHEMA,
        "severity": Severity.HIGH if rule.mandatory else Severity.MEDIUM,
        "remediation_steps": rule.remediation,
    }


def resource_policy(rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in rule.resource_types:
            return
        ctx = engine_context(args.get_config())
        for message in rule.violations(args.resource_type, args.props, ctx):
            report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_common(rule))


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        ctx = engine_context(args.get_config())
        resources = [StackResource(r.resource_type, r.name, r.props, r.urn) for r in args.resources]
        for message, urn in rule.violations(resources, ctx):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_common(rule))


def all_policies() -> list[Policy]:
    """Every policy of the pack: resource rules (mandatory, then advisory), then stack rules."""
    found: list[Policy] = [resource_policy(r) for r in MANDATORY_RULES + ADVISORY_RULES]
    found.extend(stack_policy(r) for r in STACK_RULES)
    return found


# Every policy of the pack, built once on import (cheap and side-effect free; serving happens in __main__).
POLICIES: list[Policy] = all_policies()
