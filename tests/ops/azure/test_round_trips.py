"""What each adapter call costs in HTTP, counted against the emulator: one signed client and one token for
every service the ARM token opens, an endpoint operation that ends with the endpoint (no read after it),
a registry's `latest` in one list, a datastore's secret asked for once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from ops.app import App
from ops.flows import safety
from ops.polling import PollPolicy
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint
from tests.ops.ml.helpers import FakeClock

FAST = PollPolicy(initial=1, factor=1, maximum=1)
BASE_MODEL = "azureml://registries/azureml/models/Phi-4-mini-instruct"


def endpoint_gets(emulator: Emulator, name: str) -> int:
    return sum(
        1
        for r in emulator.requests
        if r["method"] == "GET" and r["path"].endswith(f"/serverlessEndpoints/{name}")
    )


class CountingCredential:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        self.scopes.append(scopes)
        return self.inner.get_token(*scopes, **kwargs)


def test_every_service_of_the_arm_token_shares_one_client_and_one_token(app: App) -> None:
    credential = CountingCredential(app.credential)
    app.__dict__["credential"] = credential  # before the transport is built
    assert app.workspaces.get().kind == "Project"  # ARM
    assert app.history.services["history"]  # the workspace's discovery host
    assert app.registry.model("azureml", "Phi-4-mini-instruct").version  # registry discovery, data plane
    assert credential.scopes == [(app.cloud.arm_scope,)]  # one token, fetched once
    assert app.transport.arm() is app.transport.arm()
    assert app.transport.anonymous() is not app.transport.arm()


def test_clients_are_built_once_by_concurrent_callers(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.mgmt.core

    real = azure.mgmt.core.ARMPipelineClient
    built: list[Any] = []

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)  # wide enough for every thread to find no client yet without the lock
        client: Any = real(*args, **kwargs)
        built.append(client)
        return client

    monkeypatch.setattr(azure.mgmt.core, "ARMPipelineClient", slow)
    got: list[Any] = []
    threads = [threading.Thread(target=lambda: got.append(app.transport.anonymous())) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1 and all(client is built[0] for client in got)


def test_an_endpoint_operation_ends_with_the_endpoint(app: App, azure_emulator: Emulator) -> None:
    azure_emulator.settings.lro_polls = 2
    operation = app.endpoints.begin_create(
        "bot", BASE_MODEL, location="eastus2", content_safety=True, tags={"a": "b"}, policy=FAST
    )
    assert operation.started.provisioning_state == "Creating"  # the PUT's own answer, not a read
    assert endpoint_gets(azure_emulator, "bot") == 0
    endpoint = operation.result()
    assert endpoint.provisioned and endpoint.tags["a"] == "b"
    assert endpoint_gets(azure_emulator, "bot") == 1  # ARMPolling's final GET, nothing after it


def test_tags_are_answered_by_the_patch(app: App, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    before = endpoint_gets(azure_emulator, "bot")
    endpoint = app.endpoints.set_tags("bot", {"owner": "ops"}, FAST)
    assert endpoint.tags == {"owner": "ops"} and endpoint.name == "bot"
    assert endpoint_gets(azure_emulator, "bot") == before  # no read after the PATCH
    assert azure_emulator.count("PATCH", "/serverlessEndpoints/bot") == 1


def test_content_safety_reads_once_before_its_put_and_not_after(app: App, azure_emulator: Emulator) -> None:
    deploy_endpoint(azure_emulator, "bot")
    before = endpoint_gets(azure_emulator, "bot")
    endpoint = safety.set_endpoint(app, "bot", False, FAST)
    assert endpoint.content_safety == "Disabled" and endpoint.provisioned
    assert endpoint_gets(azure_emulator, "bot") - before == 2  # the read the PUT is built from; the final GET


def test_latest_registry_model_is_the_listed_version(app: App, azure_emulator: Emulator) -> None:
    newest = max(azure_emulator.world.registry_models[("azureml", "Phi-4-mini-instruct")], key=int)
    model = app.registry.model("azureml", "Phi-4-mini-instruct")
    assert model.version == newest and model.name == "Phi-4-mini-instruct"
    assert model.tags  # a list item is the whole version resource, tags included
    assert azure_emulator.count("GET", "/models/Phi-4-mini-instruct/versions") == 1  # the list, no GET after
    assert app.registry.model("azureml", "Phi-4-mini-instruct", newest) == model


def test_a_datastore_secret_is_asked_for_once_while_fresh(
    app: App, azure_emulator: Emulator, clock: FakeClock
) -> None:
    azure_emulator.settings.datastore_credentials = "AccountKey"  # listSecrets answers a SAS
    store = app.assets.default_datastore()
    first = app.assets.blob_credential(store)
    assert first and app.assets.blob_credential(store) == first
    assert azure_emulator.count("POST", "/listSecrets") == 1
    clock.t += 1800  # half of the secret's hour: asked for again
    assert app.assets.blob_credential(store)
    assert azure_emulator.count("POST", "/listSecrets") == 2
    azure_emulator.settings.datastore_credentials = "None"
    identity = app.assets.default_datastore()
    assert app.assets.blob_credential(identity) is None  # the caller's own token: nothing to ask for
    assert azure_emulator.count("POST", "/listSecrets") == 2
