"""Stack outputs: the contract between `pulumi up` and every ops command.

Read from `pulumi stack output --json --show-secrets` (`--stack`) or from a saved JSON file
(`--outputs`, what GitOps pipelines pass between jobs). The schema version is checked and every
missing key is named at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from catalog.contract import ADDED_KEYS, OPTIONAL_EMPTY_KEYS, OUTPUT_KEYS, OUTPUTS_SCHEMA_VERSION
from core.errors import OutputsError


@dataclass(frozen=True)
class StackOutputs:
    outputs_schema_version: int
    subscription_id: str
    tenant_id: str
    resource_group_name: str
    location: str
    hub_name: str
    hub_id: str
    project_name: str
    project_id: str
    ai_services_name: str
    ai_services_endpoint: str
    ai_services_connection_name: str
    storage_account_name: str
    key_vault_name: str
    finetune_identity_id: str
    finetune_identity_client_id: str
    compute_name: str
    stack: str | None = None  # absent from outputs saved before the key was added

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str) -> StackOutputs:
        if not isinstance(data, Mapping):
            raise OutputsError(f"{source}: stack outputs must be a JSON object")
        if not data:
            raise OutputsError(f"{source}: the stack has no outputs; run `pulumi up` first")
        version = data.get("outputs_schema_version")
        if version is None:
            raise OutputsError(f"{source}: no outputs_schema_version; is this a foundry stack?")
        if version != OUTPUTS_SCHEMA_VERSION:
            raise OutputsError(
                f"{source}: outputs_schema_version {version!r} is not supported "
                f"(this foundry-ops reads version {OUTPUTS_SCHEMA_VERSION})"
            )
        missing = [k for k in OUTPUT_KEYS if k not in data and k not in ADDED_KEYS]
        empty = [
            k for k in OUTPUT_KEYS if k in data and k not in OPTIONAL_EMPTY_KEYS and data[k] in ("", None)
        ]
        if missing or empty:
            parts = []
            if missing:
                parts.append(f"missing keys: {', '.join(missing)}")
            if empty:
                parts.append(f"empty keys: {', '.join(empty)}")
            raise OutputsError(f"{source}: incomplete stack outputs ({'; '.join(parts)})")
        values: dict[str, Any] = {f.name: data.get(f.name) for f in fields(cls)}
        values["compute_name"] = values["compute_name"] or ""
        return cls(**values)

    @property
    def resource_group_id(self) -> str:
        """The resource group's ARM id (the project's own id is `project_id`, as the stack reports it)."""
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group_name}"

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def load_outputs_file(path: Path) -> StackOutputs:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OutputsError(f"outputs file {str(path)!r} does not exist") from None
    except OSError as exc:
        raise OutputsError(f"cannot read outputs file {str(path)!r}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutputsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return StackOutputs.from_mapping(data, str(path))


def load_stack_outputs(stack: str) -> StackOutputs:
    """Read a stack's outputs with the Pulumi CLI (ops/pulumi_cli.py)."""
    from ops.pulumi_cli import stack_output_json

    text = stack_output_json(stack)
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        raise OutputsError(f"pulumi printed something that is not JSON for stack {stack!r}") from None
    return StackOutputs.from_mapping(data, f"stack {stack!r}")
