"""The toolkit's guarantees as pure rule functions over (resource type, props, context).

Props are what the Pulumi engine hands a policy: resource inputs with camelCase wire names (the same
shape `pulumi.runtime.set_mocks` records). Nothing here imports pulumi or pulumi_policy, so every rule is
testable with plain dicts; `policy.policies` wraps the rules for the engine.

Which stack is production: the stack name (Pulumi sets PULUMI_STACK for policy packs), or, when no stack
name is known, the resource's `environment` tag, compared with `productionStacks` (default: `prod`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from catalog.models import UnknownModelError, explain, fine_tuning_regions, get_model
from core import roles

# pulumi-azure-native 3.x resource type tokens (checked against the installed package in tests).
RESOURCE_GROUP = "azure-native:resources:ResourceGroup"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
KEY_VAULT = "azure-native:keyvault:Vault"
AI_SERVICES = "azure-native:cognitiveservices:Account"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
CONNECTION = "azure-native:machinelearningservices:WorkspaceConnection"
COMPUTE = "azure-native:machinelearningservices:Compute"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
USER_ASSIGNED_IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"

# Types this toolkit declares that carry Azure tags (role assignments and connections have none).
TAGGABLE_TYPES = frozenset(
    {RESOURCE_GROUP, STORAGE_ACCOUNT, KEY_VAULT, AI_SERVICES, WORKSPACE, COMPUTE, USER_ASSIGNED_IDENTITY}
)

DEFAULT_REQUIRED_TAGS: tuple[str, ...] = ("environment", "managed-by", "workload")
DEFAULT_PRODUCTION_STACKS: tuple[str, ...] = ("prod",)

# Built-in roles a stack may assign. Azure AI Administrator is left out on purpose: the platform assigns
# it to the hub identity itself, so declaring it duplicates (409) or widens access; admin roles over the
# key vault are left out because the workflow only reads secrets.
ALLOWED_ROLES: Mapping[str, str] = {
    r.guid: r.name
    for r in (
        roles.AZURE_AI_DEVELOPER,
        roles.AZURE_AI_INFERENCE_DEPLOYMENT_OPERATOR,
        roles.COGNITIVE_SERVICES_USER,
        roles.COGNITIVE_SERVICES_OPENAI_USER,
        roles.STORAGE_BLOB_DATA_CONTRIBUTOR,
        roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR,
        roles.KEY_VAULT_SECRETS_USER,
        roles.AZUREML_DATA_SCIENTIST,
    )
}

_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ROLE_DEFINITION_ID = re.compile(
    rf"(?:/[^\s]+)?/providers/Microsoft\.Authorization/roleDefinitions/({_GUID})",
    re.IGNORECASE,
)
_TLS_OK = ("TLS1_2", "TLS1_3")
_ISOLATED = ("allowinternetoutbound", "allowonlyapprovedoutbound")


@dataclass(frozen=True)
class PolicyContext:
    """What a rule may know beyond one resource's props: the stack and the pack's configuration."""

    stack: str | None = None
    models: tuple[str, ...] = ()
    production_stacks: tuple[str, ...] = DEFAULT_PRODUCTION_STACKS
    required_tags: tuple[str, ...] = DEFAULT_REQUIRED_TAGS
    allowed_role_ids: tuple[str, ...] = tuple(ALLOWED_ROLES)

    def environment(self, props: Mapping[str, Any]) -> str | None:
        if self.stack:
            return self.stack
        tags = props.get("tags")
        value = tags.get("environment") if isinstance(tags, Mapping) else None
        return value if isinstance(value, str) and value else None

    def is_production(self, props: Mapping[str, Any]) -> bool:
        env = self.environment(props)
        return env is not None and env.lower() in {s.lower() for s in self.production_stacks}


Check = Callable[[str, Mapping[str, Any], PolicyContext], list[str]]


@dataclass(frozen=True)
class ResourceRule:
    """One rule over single resources of `resource_types`."""

    name: str
    description: str
    resource_types: frozenset[str]
    check: Check
    mandatory: bool
    remediation: str

    def violations(
        self, resource_type: str, props: Mapping[str, Any], ctx: PolicyContext | None = None
    ) -> list[str]:
        if resource_type not in self.resource_types:
            return []
        return self.check(resource_type, props, ctx or PolicyContext())


@dataclass(frozen=True)
class StackResource:
    """The part of a stack resource a stack rule reads (pulumi_policy.PolicyResource has the same fields)."""

    resource_type: str
    name: str
    props: Mapping[str, Any]
    urn: str = ""


StackCheck = Callable[[Sequence[StackResource], PolicyContext], list[tuple[str, str | None]]]


@dataclass(frozen=True)
class StackRule:
    """One rule over the whole stack; each violation names the offending resource's URN when it has one."""

    name: str
    description: str
    check: StackCheck
    mandatory: bool
    remediation: str
    resource_types: frozenset[str] = field(default_factory=frozenset)

    def violations(
        self, resources: Sequence[StackResource], ctx: PolicyContext | None = None
    ) -> list[tuple[str, str | None]]:
        return self.check(resources, ctx or PolicyContext())


# --- helpers -----------------------------------------------------------------------------------------


def _path(props: Mapping[str, Any], *keys: str) -> Any:
    """props[k1][k2]...; None when a level is missing or not a mapping."""
    value: Any = props
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _lower(value: Any) -> str:
    return value.lower() if isinstance(value, str) else ""


def _shown(value: Any) -> str:
    return "unset" if value is None else repr(value)


def normalize_region(location: str) -> str:
    """'East US 2' -> 'eastus2' (ARM accepts both spellings)."""
    return "".join(location.split()).lower()


def _kind(props: Mapping[str, Any]) -> str:
    kind = props.get("kind")
    return kind if isinstance(kind, str) and kind else "Default"


# --- region -------------------------------------------------------------------------------------------


def region_problems(location: str, models: Iterable[str] = ()) -> list[str]:
    """Why `location` cannot host fine-tuning of `models` (every catalog model when none are named)."""
    region = normalize_region(location)
    problems: list[str] = []
    allowed = fine_tuning_regions()
    if region not in allowed:
        problems.append(
            f"region {location!r} offers serverless fine-tuning of no catalog model; use one of: {', '.join(allowed)}"
        )
    for name in models:
        try:
            info = get_model(name)
        except UnknownModelError as exc:
            problems.append(str(exc))
            continue
        offered = info.serverless_regions_today()
        if (offered and region not in offered) or not info.modes(region):
            problems.append(explain(info, region))
    return problems


def check_workspace_region(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    location = props.get("location")
    if not isinstance(location, str) or not location:
        return [
            f"{_kind(props)} workspace has no explicit location; set it so it can be checked against the models"
        ]
    return region_problems(location, ctx.models)


def check_colocated_workspaces(
    resources: Sequence[StackResource], ctx: PolicyContext
) -> list[tuple[str, str | None]]:
    """A project lives in its hub's region: every hub and project of the stack shares one location."""
    located = [
        (r, normalize_region(r.props["location"]))
        for r in resources
        if r.resource_type == WORKSPACE
        and _lower(r.props.get("kind")) in ("hub", "project")
        and isinstance(r.props.get("location"), str)
    ]
    regions = sorted({region for _, region in located})
    if len(regions) <= 1:
        return []
    first = located[0][1]
    return [
        (f"{r.name} ({_kind(r.props)}) is in {region}, but {located[0][0].name} is in {first}", r.urn or None)
        for r, region in located
        if region != first
    ]


# --- storage ------------------------------------------------------------------------------------------


def check_storage_public_blob(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    value = props.get("allowBlobPublicAccess")
    return [] if value is False else [f"allowBlobPublicAccess must be false (is {_shown(value)})"]


def check_storage_shared_key(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    value = props.get("allowSharedKeyAccess")
    return [] if value is False else [f"allowSharedKeyAccess must be false (is {_shown(value)})"]


def check_storage_transport(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    problems: list[str] = []
    tls = props.get("minimumTlsVersion")
    if tls not in _TLS_OK:
        problems.append(f"minimumTlsVersion must be TLS1_2 or later (is {_shown(tls)})")
    https = props.get("enableHttpsTrafficOnly")
    if https is not True:
        problems.append(f"enableHttpsTrafficOnly must be true (is {_shown(https)})")
    return problems


# --- key vault ----------------------------------------------------------------------------------------


def check_key_vault_rbac_soft_delete(
    resource_type: str, props: Mapping[str, Any], ctx: PolicyContext
) -> list[str]:
    problems: list[str] = []
    rbac = _path(props, "properties", "enableRbacAuthorization")
    if rbac is not True:
        problems.append(f"properties.enableRbacAuthorization must be true (is {_shown(rbac)})")
    soft_delete = _path(props, "properties", "enableSoftDelete")
    if soft_delete is False:
        problems.append("properties.enableSoftDelete must not be false")
    return problems


def check_key_vault_purge_protection(
    resource_type: str, props: Mapping[str, Any], ctx: PolicyContext
) -> list[str]:
    if not ctx.is_production(props):
        return []
    purge = _path(props, "properties", "enablePurgeProtection")
    if purge is True:
        return []
    return [
        f"production stack {ctx.environment(props)!r}: properties.enablePurgeProtection must be true (is {_shown(purge)})"
    ]


# --- AI Services and its hub connection ---------------------------------------------------------------


def check_ai_services_entra_only(
    resource_type: str, props: Mapping[str, Any], ctx: PolicyContext
) -> list[str]:
    problems: list[str] = []
    local = _path(props, "properties", "disableLocalAuth")
    if local is not True:
        problems.append(f"properties.disableLocalAuth must be true (is {_shown(local)})")
    subdomain = _path(props, "properties", "customSubDomainName")
    if not isinstance(subdomain, str) or not subdomain:
        problems.append(
            "properties.customSubDomainName must be set: Entra ID tokens need the custom subdomain"
        )
    return problems


def check_connection_aad(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    category = _path(props, "properties", "category")
    if _lower(category) != "aiservices":
        return []
    auth = _path(props, "properties", "authType")
    return [] if auth == "AAD" else [f"AIServices connection must use authType AAD (is {_shown(auth)})"]


# --- hub ----------------------------------------------------------------------------------------------


def check_hub_identity_datastores(
    resource_type: str, props: Mapping[str, Any], ctx: PolicyContext
) -> list[str]:
    if _lower(props.get("kind")) != "hub":
        return []
    mode = props.get("systemDatastoresAuthMode")
    if _lower(mode) == "identity":
        return []
    return [f"hub systemDatastoresAuthMode must be identity, storage has no shared keys (is {_shown(mode)})"]


def check_hub_managed_network(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    if _lower(props.get("kind")) != "hub":
        return []
    mode = _path(props, "managedNetwork", "isolationMode")
    if _lower(mode) in _ISOLATED:
        return []
    return [
        "hub managedNetwork.isolationMode should be AllowInternetOutbound or AllowOnlyApprovedOutbound "
        f"(is {_shown(mode)})"
    ]


# --- public network access (advisory, production only) ------------------------------------------------


def _public_network_access(resource_type: str, props: Mapping[str, Any]) -> Any:
    if resource_type in (KEY_VAULT, AI_SERVICES):
        return _path(props, "properties", "publicNetworkAccess")
    return props.get("publicNetworkAccess")


def check_public_network_in_prod(
    resource_type: str, props: Mapping[str, Any], ctx: PolicyContext
) -> list[str]:
    if not ctx.is_production(props):
        return []
    value = _public_network_access(resource_type, props)
    if _lower(value) == "disabled":
        return []
    where = (
        "properties.publicNetworkAccess"
        if resource_type in (KEY_VAULT, AI_SERVICES)
        else "publicNetworkAccess"
    )
    return [f"production stack {ctx.environment(props)!r}: {where} should be Disabled (is {_shown(value)})"]


# --- role assignments ---------------------------------------------------------------------------------


def role_guid(role_definition_id: str) -> str | None:
    """The GUID at the end of a role definition id, or None when it is not one."""
    match = _ROLE_DEFINITION_ID.fullmatch(role_definition_id.strip())
    return match.group(1).lower() if match else None


def check_role_assignment(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    role_id = props.get("roleDefinitionId")
    if not isinstance(role_id, str):
        return [f"roleDefinitionId must be a built-in role definition id (is {_shown(role_id)})"]
    guid = role_guid(role_id)
    if guid is None:
        return [f"roleDefinitionId {role_id!r} is not a role definition id"]
    allowed = {g.lower() for g in ctx.allowed_role_ids}
    if guid in allowed:
        return []
    known = roles.BY_GUID.get(guid)
    label = f"{known.name} ({guid})" if known else guid
    names = ", ".join(ALLOWED_ROLES.get(g, g) for g in ctx.allowed_role_ids)
    return [f"role {label} is not on the allow list: {names}"]


# --- tags ---------------------------------------------------------------------------------------------


def check_required_tags(resource_type: str, props: Mapping[str, Any], ctx: PolicyContext) -> list[str]:
    tags = props.get("tags")
    present = tags if isinstance(tags, Mapping) else {}
    missing = [k for k in ctx.required_tags if not (isinstance(present.get(k), str) and present.get(k))]
    return [f"missing required tags: {', '.join(missing)}"] if missing else []


# --- the rule set -------------------------------------------------------------------------------------

MANDATORY_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "workspace-region-supports-models",
        "AI Foundry hubs and projects are in a region where the stack's models can be fine-tuned.",
        frozenset({WORKSPACE}),
        check_workspace_region,
        True,
        "Set the stack's location to one of catalog.models.fine_tuning_regions() (eastus2 ships).",
    ),
    ResourceRule(
        "storage-no-public-blob-access",
        "Storage accounts forbid anonymous (public) blob access.",
        frozenset({STORAGE_ACCOUNT}),
        check_storage_public_blob,
        True,
        "Set allow_blob_public_access=False.",
    ),
    ResourceRule(
        "storage-no-shared-key-access",
        "Storage accounts accept Entra ID only: shared-key (account key and SAS) access is off.",
        frozenset({STORAGE_ACCOUNT}),
        check_storage_shared_key,
        True,
        "Set allow_shared_key_access=False and use identity-based datastores.",
    ),
    ResourceRule(
        "storage-secure-transport",
        "Storage accounts require HTTPS and TLS 1.2 or later.",
        frozenset({STORAGE_ACCOUNT}),
        check_storage_transport,
        True,
        "Set minimum_tls_version='TLS1_2' and enable_https_traffic_only=True.",
    ),
    ResourceRule(
        "keyvault-rbac-soft-delete",
        "Key vaults use Azure RBAC for data access and keep soft delete on.",
        frozenset({KEY_VAULT}),
        check_key_vault_rbac_soft_delete,
        True,
        "Set properties.enable_rbac_authorization=True and leave enable_soft_delete on.",
    ),
    ResourceRule(
        "keyvault-purge-protection-in-prod",
        "Key vaults of production stacks have purge protection.",
        frozenset({KEY_VAULT}),
        check_key_vault_purge_protection,
        True,
        "Set properties.enable_purge_protection=True in production stacks (it cannot be turned off later).",
    ),
    ResourceRule(
        "ai-services-local-auth-disabled",
        "AI Services accounts accept Entra ID only: local (key) auth is off and a custom subdomain is set.",
        frozenset({AI_SERVICES}),
        check_ai_services_entra_only,
        True,
        "Set properties.disable_local_auth=True and properties.custom_sub_domain_name.",
    ),
    ResourceRule(
        "ai-services-connection-aad",
        "The hub's AIServices connection authenticates with Entra ID (AAD), never with a key.",
        frozenset({CONNECTION}),
        check_connection_aad,
        True,
        "Use AADAuthTypeWorkspaceConnectionPropertiesArgs(auth_type='AAD', category='AIServices', ...).",
    ),
    ResourceRule(
        "hub-identity-datastores",
        "The hub reaches its storage with its identity (systemDatastoresAuthMode identity), as shared keys are off.",
        frozenset({WORKSPACE}),
        check_hub_identity_datastores,
        True,
        "Set system_datastores_auth_mode='identity' on the hub.",
    ),
    ResourceRule(
        "role-assignment-allowed-roles",
        "Role assignments use only built-in roles from the toolkit's allow list.",
        frozenset({ROLE_ASSIGNMENT}),
        check_role_assignment,
        True,
        "Assign one of the roles in core/roles.py that policy.rules.ALLOWED_ROLES lists.",
    ),
    ResourceRule(
        "required-tags",
        "Every taggable resource carries the required tags.",
        TAGGABLE_TYPES,
        check_required_tags,
        True,
        "Add the missing tags (the stack's tags config is applied to every resource).",
    ),
)

ADVISORY_RULES: tuple[ResourceRule, ...] = (
    ResourceRule(
        "hub-managed-network-isolation",
        "Hubs should use a managed virtual network (isolation mode other than Disabled).",
        frozenset({WORKSPACE}),
        check_hub_managed_network,
        False,
        "Set managed_network.isolation_mode to AllowOnlyApprovedOutbound (or AllowInternetOutbound).",
    ),
    ResourceRule(
        "public-network-access-disabled-in-prod",
        "In production stacks, storage, key vault, AI Services and workspaces should disable public network access.",
        frozenset({STORAGE_ACCOUNT, KEY_VAULT, AI_SERVICES, WORKSPACE}),
        check_public_network_in_prod,
        False,
        "Set public_network_access='Disabled' and reach the resources through private endpoints.",
    ),
)

STACK_RULES: tuple[StackRule, ...] = (
    StackRule(
        "hub-project-colocated",
        "Every hub and project of a stack is in one region.",
        check_colocated_workspaces,
        True,
        "Give the hub and its project the same location.",
        frozenset({WORKSPACE}),
    ),
)

RESOURCE_RULES: tuple[ResourceRule, ...] = MANDATORY_RULES + ADVISORY_RULES
