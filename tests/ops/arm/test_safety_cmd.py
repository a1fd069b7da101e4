"""`content-safety show | set` through ARM PUT against the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import Result

from tests.emulator.server import Emulator


def test_show_reads_the_endpoint(run: Callable[..., Result], endpoint: dict[str, Any]) -> None:
    result = run("content-safety", "show", "bot")
    assert result.exit_code == 0
    assert (
        result.stdout
        == "name                bot\ncontent_safety      Enabled\nprovisioning_state  Succeeded\n"
    )


def test_disabling_needs_confirmation(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    result = run("content-safety", "set", "bot", "--disabled")
    assert result.exit_code == 2  # a usage problem: nothing was done
    assert "Refusing without a terminal to ask on; pass --yes to confirm" in result.output
    assert azure_emulator.count("PUT", "/serverlessEndpoints/bot") == 1  # only the fixture's create


def test_disable_then_enable_round_trip(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    off = run("content-safety", "set", "bot", "--disabled", "--yes", "-o", "json")
    assert off.exit_code == 0, off.output
    assert json.loads(off.stdout) == {
        "name": "bot",
        "content_safety": "Disabled",
        "provisioning_state": "Succeeded",
    }
    puts = [r for r in azure_emulator.requests if r["method"] == "PUT"]
    assert [r["api_version"] for r in puts] == ["2024-10-01", "2024-10-01"]  # fixture's create, then ours
    # the filter no longer blocks
    assert run("endpoint", "test", "bot", "--prompt", "BLOCKME now").exit_code == 0
    on = run("content-safety", "set", "bot", "--enabled")
    assert on.exit_code == 0
    assert "content_safety      Enabled" in on.stdout
    assert run("endpoint", "test", "bot", "--prompt", "BLOCKME now").exit_code == 1


def test_setting_the_current_value_changes_nothing(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    result = run("content-safety", "set", "bot", "--enabled")
    assert result.exit_code == 0
    assert "already Enabled" in result.output
    assert azure_emulator.count("PUT", "/serverlessEndpoints/") == 1  # only the fixture's create


def test_set_without_a_choice_names_both(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    result = run("content-safety", "set", "bot")
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: say which: --enabled (filtering on) or --disabled (off)\n")
    assert azure_emulator.count("PUT", "/serverlessEndpoints/") == 1  # only the fixture's create


def test_failed_operation_is_reported(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    azure_emulator.faults.add(
        "lro_fail", method="PUT", path="/serverlessEndpoints/bot", message="quota exhausted"
    )
    result = run("content-safety", "set", "bot", "--disabled", "--yes")
    assert result.exit_code == 3
    assert result.output.strip().endswith(
        "Error: setting content safety of bot to Disabled failed: DeploymentFailed: quota exhausted"
    )


@pytest.mark.parametrize(
    "args",
    [
        ("content-safety", "show", "nope"),
        ("endpoint", "test", "nope", "--prompt", "hi"),
        ("deploy", "delete", "nope", "--yes"),
    ],
    ids=["content-safety show", "endpoint test", "deploy delete"],
)
def test_an_unknown_endpoint_is_not_found_in_the_same_words_everywhere(
    run: Callable[..., Result], args: tuple[str, ...]
) -> None:
    result = run(*args)
    assert result.exit_code == 4
    assert result.output == "Error: endpoint nope not found in the project\n"


def test_put_survives_a_reset_and_a_503(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    azure_emulator.faults.add("reset_after", method="PUT", path="/serverlessEndpoints/bot$")
    azure_emulator.faults.add("status", method="GET", path="/mfeOperationsStatus/", status=503, retry_after=0)
    result = run("content-safety", "set", "bot", "--disabled", "--yes")
    assert result.exit_code == 0, result.output
    assert "Disabled" in result.stdout
    assert azure_emulator.world.created["endpoints"] == 1  # the retried PUT updated, never created twice
    statuses = [r["status"] for r in azure_emulator.requests if r["method"] == "PUT"]
    assert statuses[-2:] == ["reset", 200]
