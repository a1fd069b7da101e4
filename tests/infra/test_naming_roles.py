"""Azure name rules, derived names, role GUIDs and deterministic assignment names."""

from __future__ import annotations

import uuid

import pytest

from core import roles
from infra.naming import RULES, ResourceNames, check, unique_suffix

SUB = "6a5e1b2c-0000-4000-8000-000000000001"


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("storage account", ["abc", "st" + "1" * 22], ["ab", "Upper123", "with-dash", "s" * 25]),
        ("key vault", ["kv-a-1", "a" * 24], ["1kv", "kv--x", "kv-", "ab", "k" * 25, "kv_x"]),
        ("AI Services account", ["ais-x", "a1"], ["-ais", "ais-", "a" * 65, "a_b"]),
        ("workspace", ["hub-x", "p_1"], ["-hub", "ab", "h" * 34, "hub.x"]),
        ("compute", ["gpu-x", "g1"], ["1gpu", "gpu-", "g" * 17, "g_1"]),
        ("resource group", ["rg-x.y(1)"], ["rg.", "", "r" * 91, "rg/x"]),
        ("managed identity", ["id-x_1"], ["-id", "ab", "i" * 129]),
    ],
)
def test_name_rules(kind: str, good: list[str], bad: list[str]) -> None:
    for name in good:
        assert check(kind, name) == [], name
    for name in bad:
        assert check(kind, name), name


def test_problems_name_the_rule() -> None:
    assert check("storage account", "Bad-Name") == [
        "storage account name 'Bad-Name' must be lowercase letters and digits only"
    ]
    assert check("storage account", "ab") == ["storage account name 'ab' must be 3-24 characters"]


@pytest.mark.parametrize("prefix", ["ab", "phidev", "a123456789", "zz9"])
@pytest.mark.parametrize("location", ["eastus2", "southcentralus", "northcentralus"])
def test_every_valid_prefix_gives_valid_names(prefix: str, location: str) -> None:
    names = ResourceNames.derive(prefix, location, SUB)
    assert names.problems() == []
    assert set(ResourceNames.KINDS.values()) <= set(RULES)


def test_globally_unique_names_are_stable_and_differ_per_subscription() -> None:
    a = ResourceNames.derive("phidev", "eastus2", SUB)
    assert a == ResourceNames.derive("phidev", "eastus2", SUB.upper())
    b = ResourceNames.derive("phidev", "eastus2", "6a5e1b2c-0000-4000-8000-000000000002")
    assert a.storage_account != b.storage_account and a.key_vault != b.key_vault
    assert a.hub == b.hub  # workspace names are per resource group, no suffix needed
    assert unique_suffix("x") == unique_suffix("X") and len(unique_suffix("x")) == 6


def test_role_guids_match_the_facts_sheet() -> None:
    assert roles.AZURE_AI_DEVELOPER.guid == "64702f94-c441-49e6-a78b-ef80e0188fee"
    assert roles.AZURE_AI_ADMINISTRATOR.guid == "b78c5d69-af96-48a3-bf8d-a8b4d589de94"
    assert roles.COGNITIVE_SERVICES_USER.guid == "a97b65f3-24c7-4388-baec-2e87135dc908"
    assert roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid == "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
    assert roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid == "69566ab7-960f-475b-8e7c-b3118f30c6bd"
    assert len(roles.BY_GUID) == 10
    for guid, role in roles.BY_GUID.items():
        assert str(uuid.UUID(guid)) == guid and role.guid == guid


def test_role_definition_id_is_subscription_scoped() -> None:
    assert roles.COGNITIVE_SERVICES_USER.definition_id(SUB) == (
        f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/a97b65f3-24c7-4388-baec-2e87135dc908"
    )


def test_assignment_names_are_deterministic_guids() -> None:
    scope = f"/subscriptions/{SUB}/resourceGroups/rg-x"
    principal = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    name = roles.assignment_name(scope, principal, roles.AZURE_AI_DEVELOPER)
    assert uuid.UUID(name).version == 5
    assert name == roles.assignment_name(scope.upper(), principal.upper(), roles.AZURE_AI_DEVELOPER.guid)
    others = {
        roles.assignment_name(scope + "2", principal, roles.AZURE_AI_DEVELOPER),
        roles.assignment_name(scope, principal[:-1] + "e", roles.AZURE_AI_DEVELOPER),
        roles.assignment_name(scope, principal, roles.COGNITIVE_SERVICES_USER),
    }
    assert name not in others and len(others) == 3
    assert name == str(
        uuid.uuid5(roles.ASSIGNMENT_NAMESPACE, f"{scope.lower()}|{principal}|{roles.AZURE_AI_DEVELOPER.guid}")
    )
