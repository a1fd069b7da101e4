"""Shared pieces for the ML-side command tests: a CLI runner, a fake clock, training data."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from ops.cli import cli
from ops.clock import Clock

START = dt.datetime(2026, 12, 6, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    """The App's clock in tests: time moves only when someone sleeps (retries, polls, waits)."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        self.sdk_sleeps: list[float] = []  # azure-core's retry and LRO waits, recorded instead of slept
        self.interrupt_after: int | None = None

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.interrupt_after is not None and len(self.sleeps) >= self.interrupt_after:
            raise KeyboardInterrupt
        self.t += seconds

    def utcnow(self) -> dt.datetime:
        return START + dt.timedelta(seconds=self.t)

    def today(self) -> dt.date:
        return self.utcnow().date()


CLOCK: FakeClock | None = None  # the clock `invoke` gives the App; set per test by patch_sleeps


def patch_sleeps(monkeypatch: Any, clock: FakeClock, tmp_path: Path) -> None:
    """No real waiting in tests: `invoke` gives the App `clock` (the transport's retry and polling waits
    go through it); SDK pipelines the toolkit does not configure (azure-identity) record theirs."""
    from azure.core.pipeline.transport import HttpTransport

    monkeypatch.setattr("tests.ops.ml.helpers.CLOCK", clock)
    monkeypatch.setattr(HttpTransport, "sleep", lambda _self, seconds: clock.sdk_sleeps.append(seconds))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@dataclass
class Run:
    result: Result
    args: list[str] = field(default_factory=list)

    @property
    def code(self) -> int:
        return self.result.exit_code

    @property
    def out(self) -> str:
        return self.result.stdout

    @property
    def err(self) -> str:
        return self.result.stderr

    @property
    def errors(self) -> list[str]:
        """The `Error:` lines on stderr (one, when the toolkit reports a failure)."""
        return [line for line in self.err.splitlines() if line.startswith("Error:")]

    def json(self) -> Any:
        return json.loads(self.result.stdout)

    def __repr__(self) -> str:
        return f"exit {self.code} for {self.args}\nstdout:\n{self.out}\nstderr:\n{self.err}"


def invoke(*args: str, input: str | None = None, clock: Clock | None = None) -> Run:
    from ops.app import App

    app = App(clock=clock or CLOCK or FakeClock())
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False, obj=app)
    return Run(result, list(args))


def example(i: int, topic: str = "billing") -> dict[str, Any]:
    return {
        "messages": [
            {"role": "system", "content": "You are a concise support assistant."},
            {"role": "user", "content": f"Question {i} about {topic}: how do I change setting {i}?"},
            {"role": "assistant", "content": f"Open settings, choose item {i}, and save. ({topic})"},
        ]
    }


def write_jsonl(path: Path, n: int = 30, topic: str = "billing") -> Path:
    path.write_text("".join(json.dumps(example(i, topic)) + "\n" for i in range(n)), encoding="utf-8")
    return path


def blobs_in_default_container(stack: Any) -> dict[str, bytes]:
    """Every blob in the project's default container, read from Azurite with its development key."""
    from azure.storage.blob import BlobServiceClient

    from tests.emulator.routes.assets import container_name
    from tests.emulator.stack import ACCOUNT, AZURITE_KEY

    emulator = stack.emulator
    client = BlobServiceClient(
        stack.azurite.blob_endpoint,
        credential={"account_name": ACCOUNT, "account_key": AZURITE_KEY},
        connection_verify=str(emulator.certs.ca),
    )
    with client:
        container = client.get_container_client(container_name(emulator.ctx, emulator.scenario.project_name))
        return {b.name: container.download_blob(b.name).readall() for b in container.list_blobs()}
