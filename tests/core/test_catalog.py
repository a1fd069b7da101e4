import datetime as dt

import pytest

from catalog import DEFAULT_MODEL, MODES
from catalog.models import (
    CATALOG,
    Mode,
    UnknownModelError,
    explain,
    fine_tuning_regions,
    get_model,
)

BEFORE_RETIREMENT = dt.date(2025, 8, 1)
AFTER_RETIREMENT = dt.date(2026, 11, 24)


def test_the_names_the_cli_builds_with_agree_with_the_table() -> None:
    """catalog/__init__.py holds them so that `--help` need not load the table."""
    assert DEFAULT_MODEL in CATALOG
    assert tuple(Mode) == MODES


def test_phi4_mini_serverless_in_eastus2() -> None:
    info = get_model("phi-4-mini-instruct")
    assert info.name == "Phi-4-mini-instruct"
    assert info.modes("eastus2", AFTER_RETIREMENT) == (Mode.SERVERLESS, Mode.MANAGED_COMPUTE)
    assert info.tokens_exact


def test_phi3_serverless_retired_but_managed_compute_remains() -> None:
    info = get_model("Phi-3-mini-4k-instruct")
    assert info.modes("eastus2", BEFORE_RETIREMENT) == (Mode.SERVERLESS, Mode.MANAGED_COMPUTE)
    assert info.modes("eastus2", AFTER_RETIREMENT) == (Mode.MANAGED_COMPUTE,)
    assert not info.tokens_exact
    text = explain(info, "eastus2", AFTER_RETIREMENT)
    assert "retired on 2025-08-30" in text
    assert "--mode managed-compute" in text
    assert "Phi-4-mini-instruct" in text


def test_multimodal_has_no_managed_compute_and_no_serverless_outside_regions() -> None:
    info = get_model("Phi-4-multimodal-instruct")
    assert info.modes("westeurope", AFTER_RETIREMENT) == ()
    assert "not offered in westeurope" in explain(info, "westeurope", AFTER_RETIREMENT)


def test_unknown_model_lists_known_names() -> None:
    with pytest.raises(UnknownModelError, match="known models: Phi-4-mini-instruct"):
        get_model("gpt-2")


def test_fine_tuning_regions_are_the_serverless_regions() -> None:
    assert fine_tuning_regions() == (
        "eastus2",
        "eastus",
        "northcentralus",
        "southcentralus",
        "westus",
        "westus3",
    )


def test_registry_uri_shape() -> None:
    assert CATALOG["Phi-4"].registry_uri("7") == "azureml://registries/azureml/models/Phi-4/versions/7"


def test_an_unknown_model_gets_the_name_it_most_likely_meant() -> None:
    with pytest.raises(
        UnknownModelError, match=r"unknown model 'phi-4-mini' \(did you mean 'Phi-4-mini-instruct'\?\)"
    ):
        get_model("phi-4-mini")
    with pytest.raises(
        UnknownModelError, match=r"^unknown model 'GPT-9'; known models: Phi-4-mini-instruct, "
    ):
        get_model("GPT-9")
