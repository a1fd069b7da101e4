"""Azure naming rules and the names this program gives each resource.

Globally unique names (storage, key vault, AI Services subdomain) carry a short suffix hashed from
(subscription, prefix, location), like Bicep's `uniqueString`: stable across runs, different per
subscription. Every derived name is checked against Azure's length/character rules before use.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields
from typing import ClassVar


@dataclass(frozen=True)
class NameRule:
    kind: str
    min_len: int
    max_len: int
    pattern: str
    description: str

    def problems(self, name: str) -> list[str]:
        found: list[str] = []
        if not self.min_len <= len(name) <= self.max_len:
            found.append(f"{self.kind} name {name!r} must be {self.min_len}-{self.max_len} characters")
        if not re.fullmatch(self.pattern, name):
            found.append(f"{self.kind} name {name!r} must be {self.description}")
        return found


# Azure "naming rules and restrictions for Azure resources" (learn.microsoft.com/azure/azure-resource-manager).
RULES: dict[str, NameRule] = {
    r.kind: r
    for r in (
        NameRule(
            "resource group",
            1,
            90,
            r"[\w\-.()]*[\w\-()]",
            "letters, digits, underscores, hyphens, periods, parentheses, not ending in a period",
        ),
        NameRule("storage account", 3, 24, r"[a-z0-9]+", "lowercase letters and digits only"),
        NameRule(
            "key vault",
            3,
            24,
            r"[A-Za-z](?!.*--)[A-Za-z0-9-]*[A-Za-z0-9]",
            "letters, digits and single hyphens, starting with a letter and ending with a letter or digit",
        ),
        NameRule(
            "AI Services account",
            2,
            64,
            r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            "letters, digits and hyphens, starting and ending with a letter or digit",
        ),
        NameRule(
            "workspace",
            3,
            33,
            r"[A-Za-z0-9][A-Za-z0-9_-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
        ),
        NameRule(
            "workspace connection",
            3,
            33,
            r"[A-Za-z0-9][A-Za-z0-9_-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
        ),
        NameRule(
            "managed identity",
            3,
            128,
            r"[A-Za-z0-9][A-Za-z0-9_-]*",
            "letters, digits, hyphens and underscores, starting with a letter or digit",
        ),
        NameRule(
            "compute",
            2,
            16,
            r"[A-Za-z](?:[A-Za-z0-9-]*[A-Za-z0-9])?",
            "letters, digits and hyphens, starting with a letter and not ending with a hyphen",
        ),
    )
}

PREFIX_PATTERN = r"[a-z][a-z0-9]{1,9}"
PREFIX_RULE_TEXT = "2-10 lowercase letters or digits, starting with a letter"


def check(kind: str, name: str) -> list[str]:
    """Problems with `name` for a resource of `kind` (a key of RULES); empty when valid."""
    return RULES[kind].problems(name)


def unique_suffix(*parts: str, length: int = 6) -> str:
    """A short lowercase hex suffix stable for the same inputs (Bicep `uniqueString` in spirit)."""
    digest = hashlib.sha256("|".join(p.lower() for p in parts).encode()).hexdigest()
    return digest[:length]


@dataclass(frozen=True)
class ResourceNames:
    """Every Azure name the program uses, derived from the stack's prefix."""

    resource_group: str
    storage_account: str
    key_vault: str
    ai_services: str
    hub: str
    project: str
    connection: str
    finetune_identity: str
    compute: str

    KINDS: ClassVar[dict[str, str]] = {
        "resource_group": "resource group",
        "storage_account": "storage account",
        "key_vault": "key vault",
        "ai_services": "AI Services account",
        "hub": "workspace",
        "project": "workspace",
        "connection": "workspace connection",
        "finetune_identity": "managed identity",
        "compute": "compute",
    }

    @classmethod
    def derive(cls, prefix: str, location: str, subscription_id: str) -> ResourceNames:
        suffix = unique_suffix(subscription_id, prefix, location)
        return cls(
            resource_group=f"rg-{prefix}-{location}",
            storage_account=f"st{prefix}{suffix}",
            key_vault=f"kv-{prefix}-{suffix}",
            ai_services=f"ais-{prefix}-{suffix}",
            hub=f"hub-{prefix}",
            project=f"proj-{prefix}",
            connection=f"ais-{prefix}-aad",
            finetune_identity=f"id-{prefix}-finetune",
            compute=f"gpu-{prefix}",
        )

    def problems(self) -> list[str]:
        found: list[str] = []
        for f in fields(self):
            found += check(self.KINDS[f.name], getattr(self, f.name))
        return found
