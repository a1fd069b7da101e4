"""The one retry and polling stack, counted request by request against the emulator.

The budget the docs promise (ops/azure/transport.py RetryBudget): at most 6 HTTP attempts per logical
call; waits between them are the service's Retry-After (up to 120 s) or azure-core's exponential
backoff (0, 1.6, 3.2, 6.4, 12.8 s). Waits happen on the App's clock, so they are read off it here.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest

from core.errors import JobFailedError
from ops.app import App
from ops.azure.errors import TransientError
from ops.azure.transport import RETRY
from ops.polling import PollPolicy
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock

FAST = PollPolicy(initial=1, factor=1, maximum=1)
BASE_MODEL = "azureml://registries/azureml/models/Phi-4-mini-instruct"


def test_the_documented_budget() -> None:
    assert RETRY.attempts == 6
    assert RETRY.waits() == [0.0, 1.6, 3.2, 6.4, 12.8]
    assert RETRY.longest_wait == 5 * 120.0  # every retry told to wait the longest Retry-After waited out


def test_a_permanent_500_on_a_put_ends_after_six_attempts(
    app: App, azure_emulator: Emulator, clock: FakeClock
) -> None:
    azure_emulator.faults.add("status", method="PUT", path="/serverlessEndpoints/bot$", status=500, count=-1)
    with pytest.raises(TransientError, match="creating endpoint bot: InternalServerError"):
        app.endpoints.begin_create(
            "bot", BASE_MODEL, location="eastus2", content_safety=True, tags={}, policy=FAST
        )
    assert azure_emulator.count("PUT", "/serverlessEndpoints/bot") == 6
    assert [round(s, 1) for s in clock.sleeps] == [
        w for w in RETRY.waits() if w
    ]  # the first retry is at once


def test_bursts_of_429_on_reads_are_waited_out(app: App, azure_emulator: Emulator, clock: FakeClock) -> None:
    azure_emulator.faults.add(
        "status", method="GET", path="/workspaces/proj-foundry-dev$", status=429, retry_after=1, count=4
    )
    assert app.workspaces.get().kind == "Project"
    assert azure_emulator.count("GET", "/workspaces/proj-foundry-dev") == 5
    assert clock.sleeps == [1.0, 1.0, 1.0, 1.0]


def test_a_retry_after_beyond_the_budget_is_never_cut_short(
    app: App, azure_emulator: Emulator, clock: FakeClock
) -> None:
    """No early retry: the call ends with the answer and says when the service wants us back."""
    azure_emulator.faults.add(
        "status", method="GET", path="/workspaces/proj-foundry-dev$", status=429, retry_after=3600, count=1
    )
    with pytest.raises(TransientError) as caught:
        app.workspaces.get()
    assert caught.value.retry_after == 3600.0
    assert clock.sleeps == [] and azure_emulator.count("GET", "/workspaces/proj-foundry-dev") == 1


def test_a_post_marked_safe_is_retried_on_dropped_connections(app: App, azure_emulator: Emulator) -> None:
    azure_emulator.faults.add("reset", method="POST", path="/listKeys$", count=-1)
    deploy_endpoint(azure_emulator, "bot")
    with pytest.raises(TransientError):
        app.endpoints.keys("bot")  # listKeys only reads: retried on resets, all 6 attempts
    assert azure_emulator.count("POST", "/listKeys") == 6


def test_a_post_not_marked_safe_is_sent_once_on_a_dropped_connection(
    app: App, azure_emulator: Emulator
) -> None:
    """The default for a POST: the request may have done its work before the connection dropped."""
    azure_emulator.faults.add("reset", method="POST", path="/listKeys$", count=-1)
    deploy_endpoint(azure_emulator, "bot")
    url = app.endpoints.url(app.endpoints._path("bot") + "/listKeys")
    with pytest.raises(TransientError):
        app.transport.send(app.endpoints.client, "POST", url, what="an unmarked POST")
    assert azure_emulator.count("POST", "/listKeys") == 1


def test_a_poll_that_fails_transiently_does_not_fail_the_deployment(
    app: App, azure_emulator: Emulator, clock: FakeClock
) -> None:
    azure_emulator.settings.lro_polls = 2
    operation = app.endpoints.begin_create(
        "bot", BASE_MODEL, location="eastus2", content_safety=True, tags={}, policy=FAST
    )
    azure_emulator.faults.add("status", method="GET", path="/mfeOperationsStatus/", status=503, count=3)
    operation.result()  # three 503s on the poll are retried inside one logical poll
    assert app.endpoints.get("bot").provisioned


def test_an_operation_that_failed_is_exit_3(app: App, azure_emulator: Emulator) -> None:
    azure_emulator.faults.add("lro_fail", method="PUT", message="quota exhausted")
    operation = app.endpoints.begin_create(
        "bot", BASE_MODEL, location="eastus2", content_safety=True, tags={}, policy=FAST
    )
    with pytest.raises(JobFailedError, match=r"creating endpoint bot failed: .*quota exhausted"):
        operation.result()


def test_ctrl_c_stops_a_bounded_batch_within_two_seconds(tmp_path: object) -> None:
    """Workers are daemon threads: a batch of calls that would take a minute does not keep the process alive."""
    script = textwrap.dedent(
        """
        import time
        from ops.concurrency import run_bounded
        print("started", flush=True)
        run_bounded(list(range(8)), lambda _: time.sleep(60), concurrency=4)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "started"
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(__import__("signal").SIGINT)
    proc.wait(timeout=10)
    assert time.monotonic() - sent < 2.0
    assert proc.returncode != 0
