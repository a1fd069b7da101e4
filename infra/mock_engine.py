"""Run the Pulumi program offline under the SDK's mock engine and record what it declares.

This is how `infra.plan` renders a stack without credentials or the Pulumi CLI, and how the tests
inspect every resource. Each `run_program` call runs in a fresh, empty `contextvars.Context`: what the
SDK keeps per program (stack name, config, root stack resource, pending RPCs) lives in context
variables, so runs do not leak into each other. `install()` makes the one recording monitor of the
process and also sets the mocks in the caller's context (for anything declared outside a run). Runs
share that monitor: run them one after another, not from several threads at once.

Public Pulumi APIs replaced the private ones the engine used up to pulumi 3.272:

| before (private)                                            | now                                                |
|-------------------------------------------------------------|----------------------------------------------------|
| `settings._set_stack(stack)` and `settings.ROOT.set(None)`  | `pulumi.runtime.set_mocks(..., stack=stack)` in    |
| (the run's stack name, a new root stack per run)            | the run's own empty context: it sets the stack     |
|                                                             | name there and, the context having no root stack,  |
|                                                             | makes one                                          |
| `settings.SETTINGS.rpc_manager.clear()`, `.outputs.clear()` | `pulumi.runtime.test` (it clears both itself)      |
| `sync_await._sync_await(stack.run_in_stack(body))`          | `pulumi.runtime.test(body)()`: runs the program    |
|                                                             | and waits for every registration                   |
| `_sync_await(Output.from_input(exports).future())`          | the body returns `Output.from_input(exports)`,     |
|                                                             | which `pulumi.runtime.test` awaits                 |
| `settings.get_root_resource().outputs` (the stack exports)  | still private, isolated: `pulumi_internals.        |
|                                                             | stack_exports()`                                   |
| `mocks.MockMonitor` subclass reading `RegisterResource`     | still private, isolated: `pulumi_internals.        |
| requests (`rpc.deserialize_properties`)                     | RecordingMonitor`                                  |

The last two have no public equivalent: the mock API (`Mocks.new_resource`) does not hand over a
resource's parent, dependencies or `protect`, and no public API returns the stack exports. They live
in infra/pulumi_internals.py, the one module that touches Pulumi internals; it says why, and
`install()` runs its `check()`, which fails naming the Pulumi version and the symbol that changed.
A quirk of the SDK to know: its settings are context variables whose first assignment in a context
also becomes the process-wide default, so after a run, threads that never set them see that run's
stack name (nothing here reads them outside a run).

The mocks answer the way Azure would for the properties the program reads: ARM ids, `name`, the
AI Services endpoint, managed identity principal/client ids, the workspace GUID.
"""

from __future__ import annotations

import contextvars
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime

from infra.config import PROJECT
from infra.pulumi_internals import RecordedResource, RecordingMonitor, check, stack_exports

__all__ = [
    "ARM_PATHS",
    "MOCK_CLIENT_OBJECT_ID",
    "MOCK_SUBSCRIPTION_ID",
    "MOCK_TENANT_ID",
    "AzureMocks",
    "ProgramRun",
    "RecordedResource",
    "RecordingMonitor",
    "encode_config",
    "install",
    "load_stack_file",
    "run_program",
]

MOCK_SUBSCRIPTION_ID = "00000000-0000-4000-8000-00000000c0de"
MOCK_TENANT_ID = "00000000-0000-4000-8000-0000000071e7"
MOCK_CLIENT_OBJECT_ID = "00000000-0000-4000-8000-0000000c1e47"
_ID_NAMESPACE = uuid.UUID("0b8f1f4e-5d0e-4c8e-8c53-1f6c3f0e7a21")

# type token -> (input holding the resource's name, ARM path under the resource group; {x} = input x)
ARM_PATHS: dict[str, tuple[str, str]] = {
    "azure-native:storage:StorageAccount": ("accountName", "Microsoft.Storage/storageAccounts/{accountName}"),
    "azure-native:storage:BlobServiceProperties": (
        "blobServicesName",
        "Microsoft.Storage/storageAccounts/{accountName}/blobServices/default",
    ),
    "azure-native:keyvault:Vault": ("vaultName", "Microsoft.KeyVault/vaults/{vaultName}"),
    "azure-native:cognitiveservices:Account": (
        "accountName",
        "Microsoft.CognitiveServices/accounts/{accountName}",
    ),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "resourceName",
        "Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}",
    ),
    "azure-native:machinelearningservices:Workspace": (
        "workspaceName",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}",
    ),
    "azure-native:machinelearningservices:WorkspaceConnection": (
        "connectionName",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/connections/{connectionName}",
    ),
    "azure-native:machinelearningservices:Compute": (
        "computeName",
        "Microsoft.MachineLearningServices/workspaces/{workspaceName}/computes/{computeName}",
    ),
}


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(parts)))


class AzureMocks(pulumi.runtime.Mocks):
    """Answers resource registrations and invokes like Azure would, deterministically."""

    def __init__(self, subscription_id: str = MOCK_SUBSCRIPTION_ID, tenant_id: str = MOCK_TENANT_ID) -> None:
        self.subscription_id = subscription_id
        self.tenant_id = tenant_id

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "subscriptionId": self.subscription_id,
                "tenantId": self.tenant_id,
                "clientId": _guid("client"),
                "objectId": MOCK_CLIENT_OBJECT_ID,
            }, []
        return {}, []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        inputs = dict(args.inputs)
        state = dict(inputs)
        typ = args.typ
        rg_path = (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{inputs.get('resourceGroupName', '')}"
        )
        if typ == "azure-native:resources:ResourceGroup":
            name = inputs.get("resourceGroupName") or args.name
            return rg_path, {**state, "name": name}
        if typ == "azure-native:authorization:RoleAssignment":
            name = inputs.get("roleAssignmentName") or _guid(args.name)
            rid = f"{inputs.get('scope', '')}/providers/Microsoft.Authorization/roleAssignments/{name}"
            return rid, {**state, "name": name}
        if typ in ARM_PATHS:
            name_key, path = ARM_PATHS[typ]
            name = str(inputs.get(name_key) or args.name)
            rid = f"{rg_path}/providers/" + path.format_map(_Default(inputs))
            state["name"] = name
            state.update(self._computed(typ, name, inputs))
            return rid, state
        if typ.startswith("pulumi-python:dynamic"):
            state.pop("__provider", None)
            if "namespace" in inputs and "subscription_id" in inputs:
                state["registration_state"] = "Registered"
                return f"/subscriptions/{inputs['subscription_id']}/providers/{inputs['namespace']}", state
        return f"{args.name}-id", state

    def _computed(self, typ: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Outputs Azure computes that the program reads."""
        principal = _guid(typ, name, "principal")
        computed: dict[str, Any] = {}
        identity_in = inputs.get("identity")
        if isinstance(identity_in, Mapping) and isinstance(identity_in.get("userAssignedIdentities"), list):
            # ARM answers user-assigned identities as a map id -> {principalId, clientId}
            computed["identity"] = {
                **identity_in,
                "userAssignedIdentities": {
                    uid: {"principalId": _guid(uid, "principal"), "clientId": _guid(uid, "client")}
                    for uid in identity_in["userAssignedIdentities"]
                },
            }
        if typ == "azure-native:cognitiveservices:Account":
            props = dict(inputs.get("properties") or {})
            subdomain = props.get("customSubDomainName") or name
            props["endpoint"] = f"https://{subdomain}.cognitiveservices.azure.com/"
            identity = {
                **(inputs.get("identity") or {}),
                "principalId": principal,
                "tenantId": self.tenant_id,
            }
            return {"properties": props, "identity": identity}
        if typ == "azure-native:machinelearningservices:Workspace":
            identity = {
                **(inputs.get("identity") or {}),
                "principalId": principal,
                "tenantId": self.tenant_id,
            }
            return {"identity": identity, "workspaceId": _guid(typ, name, "workspace")}
        if typ == "azure-native:managedidentity:UserAssignedIdentity":
            return {
                "principalId": principal,
                "clientId": _guid(typ, name, "client"),
                "tenantId": self.tenant_id,
            }
        return computed


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return f"<{key}>"


@dataclass
class ProgramRun:
    """Everything one run of the program declared, plus its resolved stack outputs."""

    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    _by_urn: dict[str, RecordedResource] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_urn = {r.urn: r for r in self.resources}

    def get(self, urn: str) -> RecordedResource:
        return self._by_urn[urn]

    def of_type(self, typ: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == typ]

    def one(self, typ: str) -> RecordedResource:
        found = self.of_type(typ)
        if len(found) != 1:
            raise LookupError(f"expected one {typ}, found {len(found)}")
        return found[0]

    @property
    def custom(self) -> list[RecordedResource]:
        return [r for r in self.resources if r.custom]


_MONITOR: RecordingMonitor | None = None
_INSTALL_LOCK = threading.Lock()


def install(mocks: pulumi.runtime.Mocks | None = None) -> RecordingMonitor:
    """Make the recording monitor once per process (idempotent) and set the mocks in the caller's context.

    Fails with infra.pulumi_internals.PulumiInternalsChanged (naming the Pulumi version and the symbol)
    when the installed SDK no longer has what the recording monitor relies on.
    """
    global _MONITOR
    with _INSTALL_LOCK:
        if _MONITOR is None:
            check()
            monitor = RecordingMonitor(mocks or AzureMocks())
            pulumi.runtime.set_mocks(
                monitor.mocks, project=PROJECT, stack="mock", preview=False, monitor=monitor
            )
            _MONITOR = monitor
        return _MONITOR


def encode_config(values: Mapping[str, Any], project: str = PROJECT) -> dict[str, str]:
    """Stack-file config values as the engine passes them: "<project>:<key>" -> string (JSON if structured)."""
    encoded: dict[str, str] = {}
    for key, value in values.items():
        full = key if ":" in key else f"{project}:{key}"
        encoded[full] = value if isinstance(value, str) else json.dumps(value)
    return encoded


def load_stack_file(path: Path) -> dict[str, Any]:
    """The `config:` mapping of a Pulumi.<stack>.yaml file."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ValueError(f"{path}: `config:` must be a mapping")
    return config


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str = "dev",
    program: Callable[[], None] | None = None,
) -> ProgramRun:
    """Run the program (default: infra/__main__.py's main) under the mocks with `config` (a stack file's `config:`)."""
    monitor = install()
    # An empty context, not a copy of the caller's: no root stack, config or pending RPCs carried in.
    return contextvars.Context().run(_run_in_context, monitor, config, stack, program)


def _run_in_context(
    monitor: RecordingMonitor, config: Mapping[str, Any], stack: str, program: Callable[[], None] | None
) -> ProgramRun:
    if program is None:
        from infra.__main__ import main as program
    monitor.reset()
    # In this context: the run's stack name, and (the context having none) a new root stack resource.
    pulumi.runtime.set_mocks(monitor.mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(encode_config(config), [])
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def body() -> pulumi.Output[None]:
        assert program is not None
        program()
        # pulumi.runtime.test awaits the Output the body returns, then every outstanding registration
        return pulumi.Output.from_input(stack_exports()).apply(exports.update)

    body()
    resources = sorted(monitor.records.values(), key=lambda r: r.urn)
    return ProgramRun(stack=stack, resources=list(resources), outputs=exports)
