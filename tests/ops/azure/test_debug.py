"""--debug: every HTTP attempt on stderr (method, URL, status, time, retry number), no secret in it."""

from __future__ import annotations

from click.testing import CliRunner

from ops.app import App
from ops.azure.redact import redact_url
from ops.cli import cli
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint, token
from tests.ops.ml.helpers import FakeClock


def test_sas_signatures_and_keys_leave_urls() -> None:
    url = "https://acct.blob.core.windows.net/c/b.jsonl?sv=2024-01-01&se=2026-12-06&sig=abc%2Fdef&sp=r"
    assert redact_url(url) == "https://acct.blob.core.windows.net/c/b.jsonl?sv=2024-01-01&se=***&sig=***&sp=r"
    assert redact_url("https://x/y?api-version=1&code=secret") == "https://x/y?api-version=1&code=***"


def test_debug_shows_every_request_and_no_secret(
    emulator_env: dict[str, str], azure_emulator: Emulator
) -> None:
    endpoint = deploy_endpoint(azure_emulator, "bot")
    azure_emulator.faults.add(
        "status", method="GET", path="/serverlessEndpoints/bot$", status=429, retry_after=1, count=1
    )
    result = CliRunner().invoke(
        cli,
        ["endpoint", "test", "bot", "--prompt", "hi", "--debug"],
        obj=App(clock=FakeClock()),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("debug: ")]
    uri = endpoint["properties"]["inferenceEndpoint"]["uri"]
    assert any(
        line.startswith("debug: GET https://") and "/serverlessEndpoints/bot?" in line and "-> 429" in line
        for line in lines
    )
    assert any(
        "/serverlessEndpoints/bot?" in line and "-> 200" in line and "(retry 1)" in line for line in lines
    )
    assert any(line.startswith(f"debug: POST {uri}/v1/chat/completions -> 200") for line in lines)
    assert any(line.startswith("debug: azure.identity") for line in lines)  # which credential signed in
    keys = azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]
    secrets = [
        keys["primaryKey"],
        keys["secondaryKey"],
        azure_emulator.scenario.client_secret,
        token(azure_emulator)[:40],
    ]
    for secret in secrets:
        assert secret not in result.output
        assert secret not in result.stderr
    for issued in list(azure_emulator.world.tokens):
        assert issued[:40] not in result.stderr
