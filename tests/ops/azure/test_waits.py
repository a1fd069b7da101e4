"""Every wait for a state survives reads that fail transiently, and its timeout bounds it even then.

The faults come from the emulator over real HTTPS: six 503s in a row exhaust the transport's retries
(ops/azure/transport.py RETRY), so one logical read fails with a TransientError and the wait has to
survive it (ops/flows/waiting.py poll_until), as issue 11 asks of every read path.
"""

from __future__ import annotations

import pytest

from core.errors import WaitTimeoutError
from ops.app import App
from ops.azure.errors import TransientError
from ops.flows import teardown
from ops.flows.deploy import wait_online
from ops.flows.preflight import register
from ops.polling import PollPolicy
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock

FAST = PollPolicy(initial=1, factor=1, maximum=1)
ONE_READ = 6  # HTTP attempts in one logical read (the transport's budget)


def test_register_survives_a_failed_read(
    app: App, azure_emulator: Emulator, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    azure_emulator.settings.register_polls = 2
    azure_emulator.faults.add(
        "status",
        method="GET",
        path="/providers/Microsoft.Network$",
        status=503,
        retry_after=0,
        count=ONE_READ,
    )
    assert register(app, "Microsoft.Network", FAST) == "Registered"
    gets = [
        r["status"] for r in azure_emulator.requests if r["method"] == "GET" and r["path"].endswith("Network")
    ]
    assert gets == [503] * ONE_READ + [200, 200, 200]  # the failed read, then Registering x2, Registered
    assert "could not read Microsoft.Network" in capsys.readouterr().err


def test_wait_online_survives_a_failed_read(
    app: App, azure_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_endpoint(azure_emulator, "bot", wait=False)
    azure_emulator.faults.add(
        "status", method="GET", path="/serverlessEndpoints/bot$", status=503, retry_after=0, count=ONE_READ
    )
    endpoint = wait_online(app, "bot", FAST, again="foundry-ops deploy create --job j")
    assert endpoint.provisioned
    err = capsys.readouterr().err
    assert "still waiting: could not read endpoint bot (" in err and "trying again" in err


def test_wait_online_whose_reads_keep_failing_ends_at_its_timeout(
    app: App, azure_emulator: Emulator, clock: FakeClock
) -> None:
    """Before, a read that kept failing looped past the timeout for ever."""
    deploy_endpoint(azure_emulator, "bot", wait=False)
    azure_emulator.faults.add(
        "status", method="GET", path="/serverlessEndpoints/bot$", status=503, retry_after=0, count=-1
    )
    with pytest.raises(WaitTimeoutError, match=r"^endpoint bot still unreadable after 60 s") as caught:
        wait_online(app, "bot", FAST, again="foundry-ops deploy create --job j", timeout=60)
    assert caught.value.hint == "it keeps provisioning; resume with: foundry-ops deploy create --job j"
    assert clock.now() == pytest.approx(60, abs=25)  # one logical read past the timeout at most


def test_consecutive_failed_reads_end_the_wait_with_the_error(app: App, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot", wait=False)
    azure_emulator.faults.add(
        "status", method="GET", path="/serverlessEndpoints/bot$", status=503, retry_after=0, count=-1
    )
    with pytest.raises(TransientError):
        wait_online(app, "bot", FAST, again="again", timeout=10**6)
    assert azure_emulator.count("GET", "/serverlessEndpoints/bot") == 20 * ONE_READ


def test_teardown_waits_out_a_failed_listing(
    app: App, azure_emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    azure_emulator.faults.add(
        "status", method="GET", path="/serverlessEndpoints$", status=503, retry_after=0, count=ONE_READ
    )
    teardown.wait_endpoints_gone(app, ["bot"], FAST)  # nothing listed once the listing answers
    assert "could not list endpoints" in capsys.readouterr().err


def test_teardown_wait_times_out_with_exit_6(app: App, azure_emulator: Emulator, clock: FakeClock) -> None:
    deploy_endpoint(azure_emulator, "bot")
    with pytest.raises(
        WaitTimeoutError, match=r"^endpoints still listed 1800 s after deletion: bot$"
    ) as caught:
        teardown.wait_endpoints_gone(app, ["bot", "gone"], FAST)
    assert caught.value.exit_code == 6 and "run teardown again later" in str(caught.value.hint)
    assert clock.now() == pytest.approx(teardown.ENDPOINT_GONE_TIMEOUT)
