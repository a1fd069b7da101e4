"""Every role assignment: role GUID, scope, principal and deterministic name; nothing the platform makes."""

from __future__ import annotations

import pytest

from core import roles
from infra.components.rbac import DuplicateGrantError, Grant, RbacArgs, RoleAssignments
from tests.infra.harness import ProgramRun, run_config

RA = "azure-native:authorization:RoleAssignment"
ACCOUNT = "azure-native:cognitiveservices:Account"
STORAGE = "azure-native:storage:StorageAccount"
RG = "azure-native:resources:ResourceGroup"
WORKSPACE = "azure-native:machinelearningservices:Workspace"
IDENTITY = "azure-native:managedidentity:UserAssignedIdentity"


def expected(run: ProgramRun, principals: list[tuple[str, str]]) -> set[tuple[str, str, str, str]]:
    """(scope, principal id, principal type, role GUID) the stack must declare, computed independently."""
    rg = run.one(RG).id
    ais = run.one(ACCOUNT).id
    st = run.one(STORAGE).id
    ws = {r.inputs["kind"]: r for r in run.of_type(WORKSPACE)}
    out: set[tuple[str, str, str, str]] = set()
    for oid, ptype in principals:
        out |= {
            (rg, oid, ptype, roles.AZURE_AI_DEVELOPER.guid),
            (ais, oid, ptype, roles.COGNITIVE_SERVICES_USER.guid),
            (st, oid, ptype, roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid),
            (st, oid, ptype, roles.STORAGE_FILE_DATA_PRIVILEGED_CONTRIBUTOR.guid),
        }
    for kind in ("Hub", "Project"):
        out.add(
            (
                ais,
                ws[kind].state["identity"]["principalId"],
                "ServicePrincipal",
                roles.COGNITIVE_SERVICES_USER.guid,
            )
        )
    out.add(
        (
            st,
            run.one(IDENTITY).state["principalId"],
            "ServicePrincipal",
            roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid,
        )
    )
    return out


def declared(run: ProgramRun) -> set[tuple[str, str, str, str]]:
    sub = run.outputs["subscription_id"]
    found = set()
    for ra in run.of_type(RA):
        definition = ra.inputs["roleDefinitionId"]
        prefix = f"/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/"
        assert definition.startswith(prefix), definition
        found.add(
            (
                ra.inputs["scope"],
                ra.inputs["principalId"],
                ra.inputs["principalType"],
                definition[len(prefix) :],
            )
        )
    return found


def test_dev_declares_exactly_the_workflow_roles(dev_run: ProgramRun) -> None:
    principals = [("11111111-2222-4333-8444-555555555555", "User")]
    assert declared(dev_run) == expected(dev_run, principals)
    assert len(dev_run.of_type(RA)) == 4 * len(principals) + 3


def test_prod_declares_exactly_the_workflow_roles(prod_run: ProgramRun) -> None:
    principals = [
        ("66666666-7777-4888-9999-aaaaaaaaaaaa", "Group"),
        ("bbbbbbbb-cccc-4ddd-8eee-ffffffffffff", "ServicePrincipal"),
    ]
    assert declared(prod_run) == expected(prod_run, principals)


def test_every_assignment_name_is_derived_from_scope_principal_and_role(any_run: ProgramRun) -> None:
    names = []
    for ra in any_run.of_type(RA):
        guid = ra.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        want = roles.assignment_name(ra.inputs["scope"], ra.inputs["principalId"], guid)
        assert ra.inputs["roleAssignmentName"] == want, ra.name
        assert ra.id.endswith(f"/providers/Microsoft.Authorization/roleAssignments/{want}")
        names.append(want)
    assert len(names) == len(set(names))


def test_names_are_the_same_on_every_run(dev_run: ProgramRun) -> None:
    from tests.infra.harness import STACK_FILES, run_program

    again = run_program(STACK_FILES["dev"])
    first = sorted(r.inputs["roleAssignmentName"] for r in dev_run.of_type(RA))
    assert sorted(r.inputs["roleAssignmentName"] for r in again.of_type(RA)) == first


def test_platform_made_assignments_are_never_declared(any_run: ProgramRun) -> None:
    hub = next(r for r in any_run.of_type(WORKSPACE) if r.inputs["kind"] == "Hub")
    hub_principal = hub.state["identity"]["principalId"]
    for ra in any_run.of_type(RA):
        guid = ra.inputs["roleDefinitionId"].rsplit("/", 1)[1]
        assert guid != roles.AZURE_AI_ADMINISTRATOR.guid
        assert not (
            ra.inputs["principalId"] == hub_principal and guid == roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid
        )


def test_no_principals_still_grants_the_identities() -> None:
    run = run_config({"location": "eastus2", "namePrefix": "phinone"})
    assert len(run.of_type(RA)) == 3


def build_in_program(grants: list[Grant]) -> None:
    """Declare a RoleAssignments component alone, inside a program run under the mocks."""
    from infra.mock_engine import run_program

    def program() -> None:
        RoleAssignments(
            "r",
            RbacArgs(
                subscription_id="s",
                grants=grants,
                forbidden=frozenset({("hub", roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid)}),
            ),
        )

    run_program({}, stack="rbac", program=program)


def test_component_refuses_platform_and_duplicate_assignments() -> None:
    hub_blob = Grant("hub", "p", "ServicePrincipal", roles.STORAGE_BLOB_DATA_CONTRIBUTOR, "st", "/x")
    admin = Grant("hub", "p", "ServicePrincipal", roles.AZURE_AI_ADMINISTRATOR, "rg", "/x")
    twice = Grant("u", "p", "User", roles.AZURE_AI_DEVELOPER, "rg", "/x")
    with pytest.raises(DuplicateGrantError, match="made by the platform"):
        build_in_program([hub_blob])
    with pytest.raises(DuplicateGrantError, match="made by the platform"):
        build_in_program([admin])
    with pytest.raises(DuplicateGrantError, match="declared twice"):
        build_in_program([twice, twice])


def test_a_single_grant_is_declared_with_its_derived_name() -> None:
    from infra.mock_engine import install

    build_in_program([Grant("u", "p1", "User", roles.AZURE_AI_DEVELOPER, "rg", "/scope")])
    (ra,) = [r for r in install().records.values() if r.type == RA]
    assert ra.inputs["roleAssignmentName"] == roles.assignment_name("/scope", "p1", roles.AZURE_AI_DEVELOPER)
    assert ra.inputs["roleDefinitionId"] == roles.AZURE_AI_DEVELOPER.definition_id("s")
    assert ra.name == "r-u-ai-developer-rg"


def test_the_administrator_role_is_refused_by_its_guid() -> None:
    """A Role value with the administrator's GUID is refused like the constant itself."""
    same = roles.Role("Azure AI Administrator", roles.AZURE_AI_ADMINISTRATOR.guid, "ai-admin-again")
    with pytest.raises(DuplicateGrantError, match="made by the platform"):
        build_in_program([Grant("hub", "p", "ServicePrincipal", same, "rg", "/x")])
