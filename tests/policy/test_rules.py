"""Every rule of policy.rules, as a pure function: a passing and a failing case each, plus edge cases."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from catalog.models import fine_tuning_regions
from core import roles
from policy import rules
from policy.rules import PolicyContext, StackResource
from tests.policy.samples import COMPLIANT, compliant, nested, role_id, without

DEV = PolicyContext(stack="dev")
PROD = PolicyContext(stack="prod")
RULES = {r.name: r for r in rules.RESOURCE_RULES}

# (rule, resource type, props, context, expected message fragment or None for "passes")
Case = tuple[str, str, dict[str, Any], PolicyContext, str | None]
CASES: list[Case] = [
    ("workspace-region-supports-models", rules.WORKSPACE, compliant(rules.WORKSPACE), DEV, None),
    (
        "workspace-region-supports-models",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE, kind="Project", location="East US 2"),
        DEV,
        None,
    ),
    (
        "workspace-region-supports-models",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE, location="westeurope"),
        DEV,
        "region 'westeurope' offers serverless fine-tuning of no catalog model; use one of: eastus2",
    ),
    (
        "workspace-region-supports-models",
        rules.WORKSPACE,
        without(rules.WORKSPACE, "location"),
        DEV,
        "Hub workspace has no explicit location",
    ),
    (
        "workspace-region-supports-models",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE),
        PolicyContext(stack="dev", models=("Phi-4-mini-instruct", "Phi-3-mini-4k-instruct")),
        None,
    ),
    (
        "workspace-region-supports-models",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE),
        PolicyContext(stack="dev", models=("Phi-9",)),
        "unknown model 'Phi-9'",
    ),
    ("storage-no-public-blob-access", rules.STORAGE_ACCOUNT, compliant(rules.STORAGE_ACCOUNT), DEV, None),
    (
        "storage-no-public-blob-access",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, allowBlobPublicAccess=True),
        DEV,
        "allowBlobPublicAccess must be false (is True)",
    ),
    (
        "storage-no-public-blob-access",
        rules.STORAGE_ACCOUNT,
        without(rules.STORAGE_ACCOUNT, "allowBlobPublicAccess"),
        DEV,
        "allowBlobPublicAccess must be false (is unset)",
    ),
    ("storage-no-shared-key-access", rules.STORAGE_ACCOUNT, compliant(rules.STORAGE_ACCOUNT), DEV, None),
    (
        "storage-no-shared-key-access",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, allowSharedKeyAccess=True),
        DEV,
        "allowSharedKeyAccess must be false (is True)",
    ),
    ("storage-secure-transport", rules.STORAGE_ACCOUNT, compliant(rules.STORAGE_ACCOUNT), DEV, None),
    (
        "storage-secure-transport",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, minimumTlsVersion="TLS1_3"),
        DEV,
        None,
    ),
    (
        "storage-secure-transport",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, minimumTlsVersion="TLS1_0"),
        DEV,
        "minimumTlsVersion must be TLS1_2 or later (is 'TLS1_0')",
    ),
    (
        "storage-secure-transport",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, enableHttpsTrafficOnly=False),
        DEV,
        "enableHttpsTrafficOnly must be true (is False)",
    ),
    ("keyvault-rbac-soft-delete", rules.KEY_VAULT, compliant(rules.KEY_VAULT), DEV, None),
    (
        "keyvault-rbac-soft-delete",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enableSoftDelete=None),
        DEV,
        None,  # soft delete is on by default and cannot be turned off on new vaults
    ),
    (
        "keyvault-rbac-soft-delete",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enableRbacAuthorization=False),
        DEV,
        "properties.enableRbacAuthorization must be true (is False)",
    ),
    (
        "keyvault-rbac-soft-delete",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enableSoftDelete=False),
        DEV,
        "properties.enableSoftDelete must not be false",
    ),
    ("keyvault-purge-protection-in-prod", rules.KEY_VAULT, compliant(rules.KEY_VAULT), PROD, None),
    (
        "keyvault-purge-protection-in-prod",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enablePurgeProtection=None),
        DEV,
        None,
    ),
    (
        "keyvault-purge-protection-in-prod",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enablePurgeProtection=None),
        PROD,
        "production stack 'prod': properties.enablePurgeProtection must be true (is unset)",
    ),
    ("ai-services-local-auth-disabled", rules.AI_SERVICES, compliant(rules.AI_SERVICES), DEV, None),
    (
        "ai-services-local-auth-disabled",
        rules.AI_SERVICES,
        nested(rules.AI_SERVICES, disableLocalAuth=False),
        DEV,
        "properties.disableLocalAuth must be true (is False)",
    ),
    (
        "ai-services-local-auth-disabled",
        rules.AI_SERVICES,
        nested(rules.AI_SERVICES, customSubDomainName=None),
        DEV,
        "properties.customSubDomainName must be set",
    ),
    ("ai-services-connection-aad", rules.CONNECTION, compliant(rules.CONNECTION), DEV, None),
    (
        "ai-services-connection-aad",
        rules.CONNECTION,
        nested(rules.CONNECTION, authType="ApiKey"),
        DEV,
        "AIServices connection must use authType AAD (is 'ApiKey')",
    ),
    (
        "ai-services-connection-aad",
        rules.CONNECTION,
        nested(rules.CONNECTION, category="AzureBlob", authType="AccountKey"),
        DEV,
        None,  # the rule is about the AIServices connection only
    ),
    ("hub-identity-datastores", rules.WORKSPACE, compliant(rules.WORKSPACE), DEV, None),
    (
        "hub-identity-datastores",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE, systemDatastoresAuthMode="accessKey"),
        DEV,
        "hub systemDatastoresAuthMode must be identity",
    ),
    (
        "hub-identity-datastores",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE, kind="Project", systemDatastoresAuthMode=None),
        DEV,
        None,  # projects take their datastores from the hub
    ),
    ("role-assignment-allowed-roles", rules.ROLE_ASSIGNMENT, compliant(rules.ROLE_ASSIGNMENT), DEV, None),
    (
        "role-assignment-allowed-roles",
        rules.ROLE_ASSIGNMENT,
        compliant(
            rules.ROLE_ASSIGNMENT,
            roleDefinitionId="/providers/Microsoft.Authorization/roleDefinitions/"
            + roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid.upper(),
        ),
        DEV,
        None,
    ),
    (
        "role-assignment-allowed-roles",
        rules.ROLE_ASSIGNMENT,
        compliant(rules.ROLE_ASSIGNMENT, roleDefinitionId=role_id("8e3af657-a8ff-443c-a75c-2fe8c4bcb635")),
        DEV,
        "role 8e3af657-a8ff-443c-a75c-2fe8c4bcb635 is not on the allow list",  # Owner
    ),
    (
        "role-assignment-allowed-roles",
        rules.ROLE_ASSIGNMENT,
        compliant(rules.ROLE_ASSIGNMENT, roleDefinitionId=role_id(roles.AZURE_AI_ADMINISTRATOR.guid)),
        DEV,
        "role Azure AI Administrator (b78c5d69-af96-48a3-bf8d-a8b4d589de94) is not on the allow list",
    ),
    (
        "role-assignment-allowed-roles",
        rules.ROLE_ASSIGNMENT,
        compliant(rules.ROLE_ASSIGNMENT, roleDefinitionId="Contributor"),
        DEV,
        "roleDefinitionId 'Contributor' is not a role definition id",
    ),
    ("required-tags", rules.STORAGE_ACCOUNT, compliant(rules.STORAGE_ACCOUNT), DEV, None),
    ("required-tags", rules.RESOURCE_GROUP, compliant(rules.RESOURCE_GROUP), DEV, None),
    (
        "required-tags",
        rules.KEY_VAULT,
        compliant(rules.KEY_VAULT, tags={"environment": "dev"}),
        DEV,
        "missing required tags: managed-by, workload",
    ),
    (
        "required-tags",
        rules.USER_ASSIGNED_IDENTITY,
        without(rules.USER_ASSIGNED_IDENTITY, "tags"),
        DEV,
        "missing required tags: environment, managed-by, workload",
    ),
    (
        "required-tags",
        rules.AI_SERVICES,
        compliant(rules.AI_SERVICES, tags={"environment": "", "managed-by": "pulumi", "workload": "x"}),
        DEV,
        "missing required tags: environment",
    ),
    ("hub-managed-network-isolation", rules.WORKSPACE, compliant(rules.WORKSPACE), DEV, None),
    (
        "hub-managed-network-isolation",
        rules.WORKSPACE,
        compliant(rules.WORKSPACE, managedNetwork={"isolationMode": "Disabled"}),
        DEV,
        "hub managedNetwork.isolationMode should be AllowInternetOutbound or AllowOnlyApprovedOutbound",
    ),
    (
        "public-network-access-disabled-in-prod",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT),
        PROD,
        None,
    ),
    (
        "public-network-access-disabled-in-prod",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, publicNetworkAccess="Enabled"),
        DEV,
        None,
    ),
    (
        "public-network-access-disabled-in-prod",
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, publicNetworkAccess="Enabled"),
        PROD,
        "production stack 'prod': publicNetworkAccess should be Disabled (is 'Enabled')",
    ),
    (
        "public-network-access-disabled-in-prod",
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, publicNetworkAccess="Enabled"),
        PROD,
        "production stack 'prod': properties.publicNetworkAccess should be Disabled (is 'Enabled')",
    ),
    (
        "public-network-access-disabled-in-prod",
        rules.AI_SERVICES,
        nested(rules.AI_SERVICES, publicNetworkAccess=None),
        PROD,
        "properties.publicNetworkAccess should be Disabled (is unset)",
    ),
]


def _id(case: Case) -> str:
    name, rtype, _, ctx, expected = case
    return f"{name}-{rtype.rsplit(':', 1)[-1]}-{ctx.stack}-{'pass' if expected is None else 'fail'}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_rule_case(case: Case) -> None:
    name, resource_type, props, ctx, expected = case
    found = RULES[name].violations(resource_type, props, ctx)
    if expected is None:
        assert found == []
    else:
        assert len(found) >= 1
        assert any(expected in message for message in found), found


def test_every_rule_has_a_passing_and_a_failing_case() -> None:
    passing = {c[0] for c in CASES if c[4] is None}
    failing = {c[0] for c in CASES if c[4] is not None}
    assert set(RULES) == passing == failing


def test_rule_names_are_unique_and_mandatory_set_is_the_guarantees() -> None:
    names = [r.name for r in rules.RESOURCE_RULES] + [r.name for r in rules.STACK_RULES]
    assert len(names) == len(set(names))
    assert {r.name for r in rules.RESOURCE_RULES if not r.mandatory} == {
        "hub-managed-network-isolation",
        "public-network-access-disabled-in-prod",
    }


def test_compliant_samples_pass_every_rule_in_production() -> None:
    for resource_type, props in COMPLIANT.items():
        for rule in rules.RESOURCE_RULES:
            assert rule.violations(resource_type, props, PROD) == [], (rule.name, resource_type)


def test_rules_ignore_other_resource_types() -> None:
    hostile = {"allowBlobPublicAccess": True, "properties": {"disableLocalAuth": False}, "tags": {}}
    for rule in rules.RESOURCE_RULES:
        assert rule.violations("azure-native:network:VirtualNetwork", hostile, PROD) == []


def test_region_problems_accept_every_fine_tuning_region_and_reject_others() -> None:
    for region in fine_tuning_regions():
        assert rules.region_problems(region) == []
    assert rules.region_problems("swedencentral")


def test_retired_serverless_model_is_still_fine_in_a_fine_tuning_region() -> None:
    # Phi-3 serverless fine-tuning retired 2025-08-30; managed compute remains (catalog).
    assert rules.region_problems("westus3", ["Phi-3-mini-4k-instruct"]) == []


def test_production_falls_back_to_environment_tag_without_stack_name() -> None:
    ctx = PolicyContext(stack=None)
    vault = nested(rules.KEY_VAULT, enablePurgeProtection=None)
    vault["tags"] = {"environment": "prod", "managed-by": "pulumi"}
    assert ctx.is_production(vault)
    assert RULES["keyvault-purge-protection-in-prod"].violations(rules.KEY_VAULT, vault, ctx)
    vault["tags"] = {"environment": "dev", "managed-by": "pulumi"}
    assert RULES["keyvault-purge-protection-in-prod"].violations(rules.KEY_VAULT, vault, ctx) == []


def test_production_stacks_are_configurable() -> None:
    ctx = PolicyContext(stack="live", production_stacks=("live", "prod-eu"))
    assert ctx.is_production({})
    assert not PolicyContext(stack="live").is_production({})


def test_required_tags_are_configurable() -> None:
    ctx = PolicyContext(stack="dev", required_tags=("owner",))
    assert RULES["required-tags"].violations(rules.COMPUTE, compliant(rules.COMPUTE), ctx) == [
        "missing required tags: owner"
    ]


def test_role_allow_list_is_configurable_and_matches_infra_roles() -> None:
    assert set(rules.ALLOWED_ROLES) <= set(roles.BY_GUID)
    assert roles.AZURE_AI_ADMINISTRATOR.guid not in rules.ALLOWED_ROLES
    props = compliant(rules.ROLE_ASSIGNMENT)
    only_readers = PolicyContext(allowed_role_ids=(roles.COGNITIVE_SERVICES_USER.guid,))
    assert RULES["role-assignment-allowed-roles"].violations(rules.ROLE_ASSIGNMENT, props, only_readers)


@pytest.mark.parametrize(
    ("value", "guid"),
    [
        (role_id("64702f94-c441-49e6-a78b-ef80e0188fee"), "64702f94-c441-49e6-a78b-ef80e0188fee"),
        ("/providers/microsoft.authorization/roleDefinitions/64702F94-C441-49E6-A78B-EF80E0188FEE", None),
        (
            "/subscriptions/x/providers/Microsoft.Authorization/roleAssignments/64702f94-c441-49e6-a78b-ef80e0188fee",
            "",
        ),
        ("64702f94-c441-49e6-a78b-ef80e0188fee", ""),
        (
            "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Authorization/roleDefinitions/"
            "64702f94-c441-49e6-a78b-ef80e0188fee",
            None,
        ),
        ("/providers/Microsoft.Authorization/roleDefinitions/not-a-guid", ""),
    ],
)
def test_role_guid(value: str, guid: str | None) -> None:
    expected = "64702f94-c441-49e6-a78b-ef80e0188fee" if guid is None else (guid or None)
    assert rules.role_guid(value) == expected


def test_unknown_values_during_preview_propagate_to_the_engine() -> None:
    """The engine turns UnknownValueError into an advisory 'can't run during preview' note: never swallow it."""
    props = unknown_checking_proxy(compliant(rules.STORAGE_ACCOUNT, minimumTlsVersion=UNKNOWN_STRING_VALUE))
    with pytest.raises(UnknownValueError):
        RULES["storage-secure-transport"].violations(rules.STORAGE_ACCOUNT, props, DEV)
    # Known values behind the proxy read like a plain dict.
    known = unknown_checking_proxy(compliant(rules.STORAGE_ACCOUNT))
    for rule in rules.RESOURCE_RULES:
        assert rule.violations(rules.STORAGE_ACCOUNT, known, PROD) == []
    vault = unknown_checking_proxy(nested(rules.KEY_VAULT, enableRbacAuthorization=False))
    assert RULES["keyvault-rbac-soft-delete"].violations(rules.KEY_VAULT, vault, DEV)


def _ws(name: str, kind: str, location: str) -> StackResource:
    return StackResource(
        rules.WORKSPACE, name, {"kind": kind, "location": location}, f"urn:pulumi:dev::p::w::{name}"
    )


def test_stack_rule_colocated_passes() -> None:
    rule = rules.STACK_RULES[0]
    resources = [_ws("hub", "Hub", "eastus2"), _ws("project", "Project", "East US 2")]
    resources.append(StackResource(rules.STORAGE_ACCOUNT, "st", {"location": "westus"}))
    assert rule.violations(resources, DEV) == []


def test_stack_rule_colocated_fails_naming_the_project() -> None:
    rule = rules.STACK_RULES[0]
    found = rule.violations([_ws("hub", "Hub", "eastus2"), _ws("project", "Project", "westus3")], DEV)
    assert found == [
        ("project (Project) is in westus3, but hub is in eastus2", "urn:pulumi:dev::p::w::project")
    ]
