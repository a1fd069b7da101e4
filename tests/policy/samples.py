"""Compliant resource props (camelCase wire names, as the engine and the mocks see them) to mutate in tests."""

from __future__ import annotations

import copy
from typing import Any

from core import roles
from policy import rules

SUB = "00000000-0000-0000-0000-000000000001"
TAGS = {"environment": "dev", "managed-by": "pulumi", "workload": "phi-fine-tuning"}


def role_id(guid: str) -> str:
    return f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{guid}"


COMPLIANT: dict[str, dict[str, Any]] = {
    rules.RESOURCE_GROUP: {"location": "eastus2", "tags": TAGS},
    rules.STORAGE_ACCOUNT: {
        "location": "eastus2",
        "kind": "StorageV2",
        "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": False,
        "minimumTlsVersion": "TLS1_2",
        "enableHttpsTrafficOnly": True,
        "publicNetworkAccess": "Disabled",
        "tags": TAGS,
    },
    rules.KEY_VAULT: {
        "location": "eastus2",
        "properties": {
            "enableRbacAuthorization": True,
            "enableSoftDelete": True,
            "enablePurgeProtection": True,
            "publicNetworkAccess": "Disabled",
        },
        "tags": TAGS,
    },
    rules.AI_SERVICES: {
        "location": "eastus2",
        "kind": "AIServices",
        "properties": {
            "disableLocalAuth": True,
            "customSubDomainName": "phi-dev-ais",
            "publicNetworkAccess": "Disabled",
        },
        "tags": TAGS,
    },
    rules.WORKSPACE: {
        "location": "eastus2",
        "kind": "Hub",
        "systemDatastoresAuthMode": "identity",
        "managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"},
        "publicNetworkAccess": "Disabled",
        "tags": TAGS,
    },
    rules.CONNECTION: {
        "properties": {
            "category": "AIServices",
            "authType": "AAD",
            "target": "https://phi-dev-ais.cognitiveservices.azure.com/",
            "isSharedToAll": True,
        }
    },
    rules.ROLE_ASSIGNMENT: {
        "roleDefinitionId": role_id(roles.AZURE_AI_DEVELOPER.guid),
        "principalId": "11111111-1111-1111-1111-111111111111",
        "principalType": "User",
    },
    rules.USER_ASSIGNED_IDENTITY: {"location": "eastus2", "tags": TAGS},
    rules.COMPUTE: {"location": "eastus2", "tags": TAGS},
}


def compliant(resource_type: str, **overrides: Any) -> dict[str, Any]:
    """A deep copy of the compliant props of `resource_type` with top-level keys replaced."""
    props = copy.deepcopy(COMPLIANT[resource_type])
    props.update(overrides)
    return props


def nested(resource_type: str, **properties: Any) -> dict[str, Any]:
    """Compliant props with keys inside `properties` replaced (None removes the key)."""
    props = copy.deepcopy(COMPLIANT[resource_type])
    for key, value in properties.items():
        if value is None:
            props["properties"].pop(key, None)
        else:
            props["properties"][key] = value
    return props


def without(resource_type: str, key: str) -> dict[str, Any]:
    props = copy.deepcopy(COMPLIANT[resource_type])
    props.pop(key, None)
    return props
