"""Register a resource provider namespace (Microsoft.Network) on the subscription.

pulumi-azure-native has no resource for this (its issue #1075), so this is a dynamic resource on
azure-mgmt-resource: register, poll until `Registered` or a deadline, never unregister on delete
(other workloads in the subscription may rely on it), harmless to repeat. Registration needs
`Microsoft.Network/register/action`; when the namespace is already registered nothing is asked for.

Which resources wait for it: only the hub, and only when its managed network is on (a managed VNet
and private endpoints are Microsoft.Network resources). Fine-tuning jobs need the registration at
run time, which `pulumi up` guarantees by finishing it. Nothing else depends on it, so it never
serializes the rest of the graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import pulumi
import pulumi.dynamic as dyn

from infra.components import TYPE_PREFIX

REGISTERED = "Registered"


class _Provider(Protocol):
    registration_state: str | None


class _Providers(Protocol):
    def register(self, resource_provider_namespace: str) -> _Provider: ...
    def get(self, resource_provider_namespace: str) -> _Provider: ...


class ResourceClient(Protocol):
    """The part of azure-mgmt-resource's ResourceManagementClient this provider uses."""

    @property
    def providers(self) -> _Providers: ...


ClientFactory = Callable[[str], ResourceClient]


def default_client_factory(subscription_id: str) -> ResourceClient:
    """A ResourceManagementClient with the ambient Azure credential (az login, env, managed identity).

    The cloud (ARM endpoint, authority, CA bundle) and the credential come from core (core.cloud,
    core.credential), the settings foundry-ops reads too (FOUNDRY_CLOUD, FOUNDRY_ARM_ENDPOINT,
    FOUNDRY_AUTHORITY_HOST, FOUNDRY_CA_BUNDLE); the public cloud when none is set.
    """
    from azure.mgmt.resource.resources import ResourceManagementClient

    from core.cloud import resolve_cloud
    from core.credential import build_credential

    cloud = resolve_cloud(None)
    client: ResourceClient = ResourceManagementClient(
        build_credential(cloud),  # type: ignore[arg-type]  # a TokenCredential by protocol
        subscription_id,
        base_url=cloud.arm_endpoint,
        credential_scopes=[cloud.arm_scope],
        connection_verify=cloud.verify,
        retry_total=6,
        retry_backoff_max=60,
    )
    return client


class RegistrationTimeoutError(RuntimeError):
    """The namespace did not reach `Registered` before the deadline."""


class ProviderRegistrationProvider(dyn.ResourceProvider):
    """CRUD for a provider registration. Clock, sleep and client are injectable for tests."""

    def __init__(
        self,
        client_factory: ClientFactory = default_client_factory,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.client_factory = client_factory
        self.sleep = sleep
        self.clock = clock

    def create(self, props: dict[str, Any]) -> dyn.CreateResult:
        outs = self._ensure_registered(props)
        return dyn.CreateResult(id_=_resource_id(props), outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> dyn.UpdateResult:
        return dyn.UpdateResult(outs=self._ensure_registered(news))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dyn.DiffResult:
        """Never replace: a new subscription or timeout is reconciled by an idempotent update."""
        keys = ("subscription_id", "namespace", "timeout_seconds", "poll_seconds")
        changed = any(olds.get(k) != news.get(k) for k in keys)
        return dyn.DiffResult(changes=changed, replaces=[], stables=[], delete_before_replace=False)

    def read(self, id_: str, props: dict[str, Any]) -> dyn.ReadResult:
        client = self.client_factory(str(props["subscription_id"]))
        state = client.providers.get(str(props["namespace"])).registration_state
        return dyn.ReadResult(id_=id_, outs={**props, "registration_state": state or "Unknown"})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Deliberately nothing: unregistering would break every other user of the namespace."""

    def _ensure_registered(self, props: dict[str, Any]) -> dict[str, Any]:
        subscription_id = str(props["subscription_id"])
        namespace = str(props["namespace"])
        timeout = float(props.get("timeout_seconds", 600))
        poll = float(props.get("poll_seconds", 10))
        client = self.client_factory(subscription_id)
        state = client.providers.get(namespace).registration_state
        if state != REGISTERED:
            client.providers.register(namespace)
            deadline = self.clock() + timeout
            while True:
                state = client.providers.get(namespace).registration_state
                if state == REGISTERED:
                    break
                if self.clock() >= deadline:
                    raise RegistrationTimeoutError(
                        f"{namespace} is still {state or 'not registered'} on subscription {subscription_id} "
                        f"after {timeout:.0f} s; re-run `pulumi up` later or check "
                        f"`az provider show -n {namespace}`"
                    )
                self.sleep(poll)
        return {
            "subscription_id": subscription_id,
            "namespace": namespace,
            "timeout_seconds": props.get("timeout_seconds", 600),
            "poll_seconds": props.get("poll_seconds", 10),
            "registration_state": state,
        }


def _resource_id(props: dict[str, Any]) -> str:
    return f"/subscriptions/{props['subscription_id']}/providers/{props['namespace']}"


class _Registration(dyn.Resource, module="foundry", name="ProviderRegistration"):
    registration_state: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        provider: ProviderRegistrationProvider,
        props: dict[str, Any],
        opts: pulumi.ResourceOptions,
    ) -> None:
        super().__init__(provider, name, {**props, "registration_state": None}, opts)


@dataclass(frozen=True)
class ProviderRegistrationArgs:
    subscription_id: pulumi.Input[str]
    namespace: str = "Microsoft.Network"
    timeout_seconds: int = 600
    poll_seconds: int = 10


class ProviderRegistration(pulumi.ComponentResource):
    registration: _Registration
    registration_state: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: ProviderRegistrationArgs,
        opts: pulumi.ResourceOptions | None = None,
        provider: ProviderRegistrationProvider | None = None,
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}:ProviderRegistration", name, None, opts)
        self.registration = _Registration(
            f"{name}-registration",
            provider or ProviderRegistrationProvider(),
            {
                "subscription_id": args.subscription_id,
                "namespace": args.namespace,
                "timeout_seconds": args.timeout_seconds,
                "poll_seconds": args.poll_seconds,
            },
            pulumi.ResourceOptions(parent=self),
        )
        self.registration_state = self.registration.registration_state
        self.register_outputs({"registration_state": self.registration_state})
