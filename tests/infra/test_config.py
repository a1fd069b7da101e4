"""Stack config: every rule, every problem listed at once, and the pulumi.Config reader."""

from __future__ import annotations

import contextvars
from typing import Any

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.models import fine_tuning_regions
from infra.config import (
    ComputeConfig,
    IsolationMode,
    PrincipalType,
    PublicNetworkAccess,
    StackConfig,
    StackConfigError,
    StorageRedundancy,
    check_stack_file,
    config_mapping_from_pulumi,
    load_stack_config,
)
from infra.mock_engine import encode_config
from tests.infra.harness import STACK_FILES, run_config, stack_config

VALID: dict[str, Any] = {"location": "eastus2", "namePrefix": "phitest"}
OID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


def bare(stack: str) -> dict[str, Any]:
    """A stack file's project keys without the namespace, as pulumi.Config sees them."""
    return {
        k.split(":", 1)[1]: v
        for k, v in stack_config(STACK_FILES[stack]).items()
        if k.startswith("foundry-phi:")
    }


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(StackConfigError) as info:
        StackConfig.from_mapping(data)
    return info.value.problems


def test_dev_stack_is_cheap_and_easy_to_tear_down() -> None:
    cfg = StackConfig.from_mapping(bare("dev"))
    assert cfg.location == "eastus2"
    assert cfg.purge_protection is False
    assert cfg.protect is False
    assert cfg.network == type(cfg.network)(PublicNetworkAccess.ENABLED, IsolationMode.DISABLED)
    assert cfg.storage_redundancy is StorageRedundancy.LRS
    assert cfg.compute is None
    assert len(cfg.principals) >= 1


def test_prod_stack_is_waf_aligned() -> None:
    cfg = StackConfig.from_mapping(bare("prod"))
    assert cfg.location == "eastus2"
    assert cfg.purge_protection is True
    assert cfg.protect is True
    assert cfg.network.public_network_access is PublicNetworkAccess.DISABLED
    assert cfg.network.isolation_mode is IsolationMode.ALLOW_ONLY_APPROVED_OUTBOUND
    assert cfg.soft_delete_retention_days == 90
    assert cfg.compute == ComputeConfig(
        "Standard_NC24ads_A100_v4", max_nodes=2, min_nodes=0, idle_seconds=600
    )
    assert {p.principal_type for p in cfg.principals} == {
        PrincipalType.GROUP,
        PrincipalType.SERVICE_PRINCIPAL,
    }


def test_defaults_are_secure_and_scale_to_zero() -> None:
    cfg = StackConfig.from_mapping({**VALID, "compute": {"vmSize": "Standard_NC6s_v3", "maxNodes": 1}})
    assert cfg.compute is not None and cfg.compute.min_nodes == 0 and cfg.compute.idle_seconds == 120
    assert cfg.principals == ()
    assert cfg.network_registration_timeout_seconds == 600


def test_every_problem_is_listed_at_once() -> None:
    found = problems(
        {
            "location": "westeurope",
            "namePrefix": "Bad_Prefix",
            "tags": {"a/b": "x"},
            "principals": [{"objectId": "not-a-guid", "principalType": "Robot"}],
            "publicNetworkAccess": "Sometimes",
            "managedNetworkIsolation": "Open",
            "compute": {"vmSize": "big", "maxNodes": 2, "minNodes": 3},
            "purgeProtection": "maybe",
            "softDeleteRetentionDays": 3,
            "frobnicate": 1,
        }
    )
    expected_starts = [
        "unknown config key(s) 'frobnicate'",
        "location 'westeurope' is not a region where a catalog Phi model can be fine-tuned; allowed: "
        + ", ".join(fine_tuning_regions()),
        "namePrefix 'Bad_Prefix' must be 2-10 lowercase letters or digits",
        "tags: name 'a/b' must be 1-512 characters",
        "principals[0].objectId 'not-a-guid' must be an Entra object id (a GUID)",
        "principals[0].principalType 'Robot' must be one of User, Group, ServicePrincipal",
        "publicNetworkAccess 'Sometimes' must be one of Enabled, Disabled",
        "managedNetworkIsolation 'Open' must be one of Disabled, AllowInternetOutbound, AllowOnlyApprovedOutbound",
        "compute.vmSize 'big' must be an Azure VM size",
        "purgeProtection 'maybe' must be true or false",
        "softDeleteRetentionDays 3 must be an integer from 7 to 90",
    ]
    assert len(found) == len(expected_starts), found
    for start in expected_starts:
        assert any(p.startswith(start) for p in found), (start, found)


def test_error_message_lists_every_problem_on_its_own_line() -> None:
    with pytest.raises(StackConfigError) as info:
        StackConfig.from_mapping({})
    text = str(info.value)
    assert text.splitlines() == [
        "invalid stack configuration (2 problem(s)):",
        "  - location is required",
        "  - namePrefix is required",
    ]


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        (
            {"vmSize": "Standard_NC6s_v3", "maxNodes": 2, "minNodes": 3},
            "compute.minNodes (3) must not exceed",
        ),
        (
            {"vmSize": "Standard_NC6s_v3", "maxNodes": 0},
            "compute.maxNodes 0 must be an integer from 1 to 100",
        ),
        ({"vmSize": "Standard_NC6s_v3", "maxNodes": 1, "idleSeconds": 5}, "compute.idleSeconds 5 must be"),
        ({"vmSize": "Standard_NC6s_v3", "maxNodes": 1, "gpus": 8}, "compute: unknown key(s) 'gpus'"),
        ("big", "compute must be a mapping"),
    ],
)
def test_compute_rules(compute: Any, message: str) -> None:
    assert any(p.startswith(message) for p in problems({**VALID, "compute": compute}))


@pytest.mark.parametrize(
    ("principals", "message"),
    [
        (
            [{"objectId": OID, "principalType": "User"}, {"objectId": OID.upper(), "principalType": "Group"}],
            "listed twice",
        ),
        (
            [{"objectId": OID, "principalType": "User", "name": "Has Spaces"}],
            "principals[0].name 'Has Spaces'",
        ),
        (
            [{"objectId": OID, "principalType": "User", "role": "Owner"}],
            "principals[0]: unknown key(s) 'role'",
        ),
        (
            [{"objectId": OID, "principalType": "User", "name": "hub"}],
            "'hub' is reserved for the stack's managed",
        ),
        (
            [
                {"objectId": OID, "principalType": "User", "name": "ana"},
                {"objectId": OID[:-1] + "e", "principalType": "User", "name": "ana"},
            ],
            "principals[1]: label 'ana' is used twice",
        ),
        (
            [
                {"objectId": OID, "principalType": "User"},
                {"objectId": OID[:8] + "-0000-4000-8000-000000000000", "principalType": "Group"},
            ],
            f"principals[1]: label '{OID[:8]}' is used twice",
        ),
        ({"objectId": OID}, "principals must be a list"),
        (["x"], "principals[0] must be a mapping"),
    ],
)
def test_principal_rules(principals: Any, message: str) -> None:
    assert any(message in p for p in problems({**VALID, "principals": principals}))


def test_principal_object_ids_are_normalised_and_types_case_insensitive() -> None:
    cfg = StackConfig.from_mapping(
        {**VALID, "principals": [{"objectId": OID.upper(), "principalType": "serviceprincipal"}]}
    )
    assert cfg.principals[0].object_id == OID
    assert cfg.principals[0].principal_type is PrincipalType.SERVICE_PRINCIPAL
    assert cfg.principals[0].label == OID[:8]


def test_too_many_tags_and_long_values() -> None:
    found = problems({**VALID, "tags": {f"t{i}": "v" for i in range(51)}})
    assert found == ["tags: at most 50 tags per resource (got 51)"]
    assert problems({**VALID, "tags": {"k": "v" * 257}}) == [
        "tags: value of 'k' must be a string of at most 256 characters"
    ]


def test_every_region_the_catalog_allows_is_accepted() -> None:
    for region in fine_tuning_regions():
        assert StackConfig.from_mapping({**VALID, "location": region.upper()}).location == region


def test_reads_values_from_pulumi_config_as_the_engine_passes_them() -> None:
    def read() -> dict[str, Any]:
        pulumi.runtime.set_all_config(encode_config(bare("prod")), [])
        return config_mapping_from_pulumi("foundry-phi")

    data = contextvars.copy_context().run(read)
    assert data == bare("prod")
    assert StackConfig.from_mapping(data).compute is not None


def test_invalid_config_fails_before_any_resource_is_declared() -> None:
    with pytest.raises(Exception) as info:
        run_config({"location": "westeurope", "namePrefix": "x"})
    assert type(info.value).__name__ == "RunError"
    message = str(info.value)
    assert "location 'westeurope'" in message and "namePrefix 'x'" in message
    from infra.mock_engine import install

    assert install().records == {}, "a resource was declared before the config was validated"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 200)
    | st.text(max_size=12)
    | st.sampled_from(["eastus2", "Enabled"]),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(0, 3), children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([*StackConfig.KEYS, "other"]), json_values, max_size=8))
def test_any_input_is_a_config_or_a_listed_error(data: dict[str, Any]) -> None:
    try:
        cfg = StackConfig.from_mapping(data)
    except StackConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and "\n" not in p for p in exc.problems)
    else:
        assert cfg.location and cfg.name_prefix


def test_a_misspelt_key_in_the_stack_file_is_a_problem_not_silence(tmp_path: Any, monkeypatch: Any) -> None:
    """`pulumi up` reads known keys through pulumi.Config, so `computee` would drop the GPU cluster without
    a word; the program reads its stack file too (under the project root, when it is there) and refuses."""
    good = {"foundry-phi:location": "eastus2", "foundry-phi:namePrefix": "phitest"}
    assert check_stack_file({**good, "azure-native:location": "eastus2"}).location == "eastus2"
    with pytest.raises(StackConfigError) as info:
        check_stack_file({**good, "foundry-phi:purgeProtecton": True, "foundry-phi:zzz": 1})
    assert info.value.problems == [
        "unknown config key 'foundry-phi:purgeProtecton': did you mean foundry-phi:purgeProtection?",
        "unknown config key 'foundry-phi:zzz'; known keys: " + ", ".join(StackConfig.KEYS),
    ]

    import yaml

    from infra.__main__ import _stack_file
    from infra.mock_engine import run_program

    (tmp_path / "stacks").mkdir()
    stack_file = {"config": {**good, "foundry-phi:computee": {"vmSize": "Standard_NC24ads_A100_v4"}}}
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump(stack_file), encoding="utf-8")
    monkeypatch.setattr(pulumi, "get_root_directory", lambda: str(tmp_path))
    seen: dict[str, Any] = {}

    def program() -> None:
        seen["file"] = _stack_file()
        try:
            load_stack_config(seen["file"])
        except StackConfigError as exc:
            seen["problems"] = exc.problems

    run_program(encode_config(good), stack="dev", program=program)
    assert seen["file"] == stack_file["config"]
    assert seen["problems"] == [
        "unknown config key 'foundry-phi:computee': did you mean foundry-phi:compute?"
    ]

    # every problem at once: the misspelt key beside what its absence breaks
    run_program(encode_config({"location": "eastus2"}), stack="dev", program=program)
    assert seen["problems"] == [
        "unknown config key 'foundry-phi:computee': did you mean foundry-phi:compute?",
        "namePrefix is required",
    ]
    # a stack file the program cannot read adds no check (the Pulumi CLI has read its config already)
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text("config: [unclosed\n", encoding="utf-8")
    seen.clear()
    run_program(encode_config(good), stack="dev", program=program)
    assert seen == {"file": None}


def test_infra_plan_reads_stack_file_values_as_the_program_gets_them() -> None:
    """pulumi.Config hands the program text, decoded as JSON where it is JSON: a mapping written as a JSON
    string in the stack file is a mapping to both."""
    checked = check_stack_file(
        {
            "foundry-phi:location": "eastus2",
            "foundry-phi:namePrefix": "phitest",
            "foundry-phi:tags": '{"environment": "dev"}',
            "foundry-phi:softDeleteRetentionDays": "7",
        }
    )
    assert dict(checked.tags) == {"environment": "dev"} and checked.soft_delete_retention_days == 7
