"""The Microsoft.Network registration provider, driven directly with a fake resource-management client
(its create() is not called under the mock engine), and where it sits in the dependency graph."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi.runtime
import pytest

from infra.components.provider_registration import (
    ProviderRegistrationProvider,
    RegistrationTimeoutError,
    default_client_factory,
)
from tests.emulator.server import Emulator
from tests.infra.harness import ProgramRun, run_config

SUB = "6a5e1b2c-0000-4000-8000-000000000001"
PROPS: dict[str, Any] = {
    "subscription_id": SUB,
    "namespace": "Microsoft.Network",
    "timeout_seconds": 60,
    "poll_seconds": 5,
}
DYNAMIC = "pulumi-python:dynamic/foundry:ProviderRegistration"


@dataclass
class FakeProvider:
    registration_state: str | None


@dataclass
class FakeProviders:
    """States returned by successive get() calls (the last one repeats); records every call."""

    states: list[str]
    calls: list[tuple[str, str]] = field(default_factory=list)

    def register(self, resource_provider_namespace: str) -> FakeProvider:
        self.calls.append(("register", resource_provider_namespace))
        return FakeProvider("Registering")

    def get(self, resource_provider_namespace: str) -> FakeProvider:
        self.calls.append(("get", resource_provider_namespace))
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return FakeProvider(state)

    def unregister(
        self, resource_provider_namespace: str
    ) -> FakeProvider:  # pragma: no cover - must not happen
        self.calls.append(("unregister", resource_provider_namespace))
        return FakeProvider("Unregistering")


@dataclass
class FakeClient:
    providers: FakeProviders


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def provider(states: list[str]) -> tuple[ProviderRegistrationProvider, FakeProviders, FakeClock, list[str]]:
    providers = FakeProviders(states)
    clock = FakeClock()
    subscriptions: list[str] = []

    def factory(subscription_id: str) -> FakeClient:
        subscriptions.append(subscription_id)
        return FakeClient(providers)

    return ProviderRegistrationProvider(factory, clock.sleep, clock), providers, clock, subscriptions


def test_create_registers_and_polls_until_registered() -> None:
    prov, providers, clock, subs = provider(["NotRegistered", "Registering", "Registering", "Registered"])
    result = prov.create(dict(PROPS))
    assert result.id == f"/subscriptions/{SUB}/providers/Microsoft.Network"
    assert result.outs is not None and result.outs["registration_state"] == "Registered"
    assert providers.calls == [
        ("get", "Microsoft.Network"),
        ("register", "Microsoft.Network"),
        ("get", "Microsoft.Network"),
        ("get", "Microsoft.Network"),
        ("get", "Microsoft.Network"),
    ]
    assert clock.sleeps == [5, 5]
    assert subs == [SUB]


def test_already_registered_asks_for_nothing() -> None:
    prov, providers, clock, _ = provider(["Registered"])
    result = prov.create(dict(PROPS))
    assert result.outs is not None and result.outs["registration_state"] == "Registered"
    assert providers.calls == [("get", "Microsoft.Network")]
    assert clock.sleeps == []


def test_registration_that_never_completes_fails_at_the_deadline() -> None:
    prov, providers, clock, _ = provider(["NotRegistered", "Registering"])
    with pytest.raises(RegistrationTimeoutError) as info:
        prov.create(dict(PROPS))
    message = str(info.value)
    assert "Microsoft.Network is still Registering" in message and f"subscription {SUB} after 60 s" in message
    assert "az provider show -n Microsoft.Network" in message
    assert clock.now - 1000.0 >= 60 and sum(clock.sleeps) <= 65
    assert providers.calls.count(("register", "Microsoft.Network")) == 1


def test_delete_never_unregisters() -> None:
    prov, providers, _, subs = provider(["Registered"])
    prov.delete(f"/subscriptions/{SUB}/providers/Microsoft.Network", dict(PROPS))
    assert providers.calls == [] and subs == []


def test_diff_never_replaces() -> None:
    prov, _, _, _ = provider(["Registered"])
    same = prov.diff("id", dict(PROPS), dict(PROPS))
    assert same.changes is False and same.replaces == [] and same.delete_before_replace is False
    moved = prov.diff("id", dict(PROPS), {**PROPS, "subscription_id": "other"})
    assert moved.changes is True and moved.replaces == []


def test_update_is_an_idempotent_register() -> None:
    prov, providers, _, subs = provider(["NotRegistered", "Registered"])
    result = prov.update("id", dict(PROPS), {**PROPS, "subscription_id": "sub-2"})
    assert result.outs is not None and result.outs["subscription_id"] == "sub-2"
    assert ("register", "Microsoft.Network") in providers.calls and subs == ["sub-2"]
    again = prov.update("id", dict(PROPS), {**PROPS, "subscription_id": "sub-2"})
    assert again.outs == result.outs
    assert providers.calls.count(("register", "Microsoft.Network")) == 1


def test_read_refreshes_the_state() -> None:
    prov, _, _, _ = provider(["Registering"])
    result = prov.read("id", dict(PROPS))
    assert result.outs is not None and result.outs["registration_state"] == "Registering"


def test_default_factory_builds_the_real_sdk_client() -> None:
    from azure.mgmt.resource.resources import ResourceManagementClient

    client = default_client_factory(SUB)
    assert isinstance(client, ResourceManagementClient)
    assert hasattr(client.providers, "register") and hasattr(client.providers, "get")


def dependents(run: ProgramRun) -> list[str]:
    reg = run.one(DYNAMIC)
    return sorted(r.name for r in run.custom if reg.urn in r.dependencies)


def test_registration_is_declared_with_the_stack_subscription(any_run: ProgramRun) -> None:
    reg = any_run.one(DYNAMIC)
    assert reg.inputs["namespace"] == "Microsoft.Network"
    assert reg.inputs["subscription_id"] == any_run.outputs["subscription_id"]
    assert reg.dependencies == []  # subscription-scoped: waits for nothing


def test_only_a_managed_network_hub_waits_for_the_registration(
    dev_run: ProgramRun, prod_run: ProgramRun
) -> None:
    assert dependents(dev_run) == []
    assert dependents(prod_run) == ["foundry-workspace-hub"]
    internet = run_config(
        {"location": "eastus2", "namePrefix": "phinet", "managedNetworkIsolation": "AllowInternetOutbound"}
    )
    assert dependents(internet) == ["foundry-workspace-hub"]


def test_provider_survives_the_dynamic_provider_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pulumi pickles the provider with dill and loads it in its own process: it must come back whole.

    The blob is the one the SDK sends with the registration (the `__provider` input the mocks receive).
    """
    from infra.mock_engine import install

    mocks = install().mocks
    sent: list[str] = []
    new_resource = mocks.new_resource

    def spy(args: pulumi.runtime.MockResourceArgs) -> Any:
        if args.typ == DYNAMIC:
            provider = args.inputs["__provider"]  # a secret: {<signature key>: <secret sig>, "value": blob}
            sent.append(provider["value"] if isinstance(provider, dict) else provider)
        return new_resource(args)

    monkeypatch.setattr(mocks, "new_resource", spy)
    run_config({"location": "eastus2", "namePrefix": "phipickle"})
    (blob,) = sent
    script = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.stdin.read()))\n"
        "from infra.components import provider_registration as m\n"
        "print(type(p).__name__, p.client_factory is m.default_client_factory, callable(p.sleep), callable(p.clock))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], input=blob, capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ProviderRegistrationProvider", "True", "True", "True"]


def test_registers_through_the_real_sdk_against_the_emulation(
    emulator_env: dict[str, str], azure_emulator: Emulator
) -> None:
    """The default client (azure-mgmt-resource over HTTPS, toolkit cloud settings) drives the ARM contract."""
    sub = azure_emulator.scenario.subscription_id
    slept: list[float] = []
    prov = ProviderRegistrationProvider(sleep=slept.append)
    props = {**PROPS, "subscription_id": sub}
    result = prov.create(props)
    assert result.id == f"/subscriptions/{sub}/providers/Microsoft.Network"
    assert result.outs is not None and result.outs["registration_state"] == "Registered"
    assert azure_emulator.count("POST", "/providers/Microsoft.Network/register") == 1
    assert slept == [5] * len(slept) and len(slept) >= 1

    again = prov.create(props)  # already registered: nothing more is asked
    assert again.outs is not None and again.outs["registration_state"] == "Registered"
    assert azure_emulator.count("POST", "/providers/Microsoft.Network/register") == 1
    prov.delete(result.id, props)
    assert prov.read(result.id, props).outs["registration_state"] == "Registered"  # type: ignore[index]
