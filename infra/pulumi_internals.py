"""The one module of infra that reaches past Pulumi's public API (written against pulumi 3.272.0).

`infra.mock_engine` renders the program offline with the public mock API: `pulumi.runtime.Mocks`,
`pulumi.runtime.set_mocks`, `pulumi.runtime.set_all_config` and `pulumi.runtime.test`. That API answers
resource registrations (`Mocks.new_resource` sees type, name, inputs, custom), but the offline plan is
made of two things it does not hand over:

1. a resource's parent, dependencies, property dependencies and `protect` (the tree, the dependency
   graph and the critical path of `infra plan`): only the resource monitor's `RegisterResource` request
   carries them. `RecordingMonitor` therefore subclasses `pulumi.runtime.mocks.MockMonitor`, the type
   `set_mocks(monitor=...)` accepts but `pulumi.runtime` does not export, overrides `RegisterResource`
   (a method of the engine's ResourceMonitor gRPC service, request `RegisterResourceRequest`), decodes
   the request's inputs with `pulumi.runtime.rpc.deserialize_properties` (what MockMonitor itself does
   before it calls `Mocks.new_resource`) and reads the id and state the mocks answered from
   `MockMonitor.resources` (URN -> `MockMonitor.ResourceRegistration`, keyed by the response's `urn`), which
   `RecordingMonitor.reset()` also clears between runs.
2. the stack exports: `pulumi.export` puts them on the root stack resource, whose `outputs` attribute is
   not public (`pulumi.runtime.get_root_resource()` is). Under the mocks the root stack registers its
   outputs when `set_mocks` creates it, before the program runs, so the monitor never receives them.

Nothing else in infra, policy or the tests touches a private Pulumi name. `check()` verifies each symbol
above and raises `PulumiInternalsChanged`, naming the installed Pulumi version and the symbol, when an
upgrade moves one; `infra.mock_engine.install()` calls it, and tests/infra/test_pulumi_internals.py runs
it and a small program through these seams.
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import rpc as _rpc
from pulumi.runtime.proto import resource_pb2

WRITTEN_FOR = "3.272.0"

# RegisterResourceRequest fields RecordingMonitor reads
REQUEST_FIELDS = (
    "type",
    "name",
    "parent",
    "custom",
    "object",
    "dependencies",
    "propertyDependencies",
    "protect",
)
# RegisterResourceResponse fields it reads, and MockMonitor.ResourceRegistration fields
RESPONSE_FIELDS = ("urn",)
REGISTRATION_FIELDS = ("id", "state")


class PulumiInternalsChanged(RuntimeError):
    """The installed Pulumi SDK no longer has a private symbol this module relies on."""

    def __init__(self, symbol: str, problem: str) -> None:
        self.symbol = symbol
        super().__init__(
            f"pulumi {pulumi_version()}: {symbol} {problem}; infra/pulumi_internals.py was written against "
            f"pulumi {WRITTEN_FOR} (see its docstring for what it needs and why)"
        )


def pulumi_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pulumi")
    except PackageNotFoundError:
        return "(version unknown)"


class _NoMocks(pulumi.runtime.Mocks):
    """Mocks for the probe monitor `check()` builds: nothing is registered with it."""

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return "", {}


def check() -> None:
    """Raise PulumiInternalsChanged unless every private symbol this module uses is still there."""
    monitor_cls = getattr(_mocks, "MockMonitor", None)
    if not inspect.isclass(monitor_cls):
        raise PulumiInternalsChanged("pulumi.runtime.mocks.MockMonitor", "is gone")
    if not callable(getattr(monitor_cls, "RegisterResource", None)):
        raise PulumiInternalsChanged("pulumi.runtime.mocks.MockMonitor.RegisterResource", "is gone")
    init = inspect.signature(monitor_cls.__init__)
    if list(init.parameters)[1:] != ["mocks"]:
        raise PulumiInternalsChanged(
            "pulumi.runtime.mocks.MockMonitor.__init__", f"takes {list(init.parameters)[1:]}, not (mocks)"
        )
    # an instance attribute (set in __init__): only an instance shows it
    probe: Any = monitor_cls
    resources = getattr(probe(_NoMocks()), "resources", None)
    if not isinstance(resources, dict):
        raise PulumiInternalsChanged(
            "pulumi.runtime.mocks.MockMonitor.resources",
            f"is {type(resources).__name__}, not the dict of registrations by URN",
        )
    registration = getattr(monitor_cls, "ResourceRegistration", None)
    missing = [name for name in REGISTRATION_FIELDS if name not in getattr(registration, "_fields", ())]
    if missing:
        raise PulumiInternalsChanged(
            "pulumi.runtime.mocks.MockMonitor.ResourceRegistration", f"has no field(s) {missing}"
        )
    if "monitor" not in inspect.signature(pulumi.runtime.set_mocks).parameters:
        raise PulumiInternalsChanged("pulumi.runtime.set_mocks(monitor=...)", "no longer takes a monitor")
    if not callable(getattr(_rpc, "deserialize_properties", None)):
        raise PulumiInternalsChanged("pulumi.runtime.rpc.deserialize_properties", "is gone")
    for message, names in (
        (resource_pb2.RegisterResourceRequest, REQUEST_FIELDS),
        (resource_pb2.RegisterResourceResponse, RESPONSE_FIELDS),
    ):
        fields = message.DESCRIPTOR.fields_by_name
        missing = [name for name in names if name not in fields]
        if missing:
            raise PulumiInternalsChanged(
                f"pulumi.runtime.proto.resource_pb2.{message.__name__}", f"has no field(s) {missing}"
            )


def _plain(value: Any) -> Any:
    """The wire format has only doubles: give integral numbers back as ints (7, not 7.0)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass
class RecordedResource:
    """One registered resource: what the program asked for and what the mocks answered."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    id: str
    inputs: dict[str, Any]
    state: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool


class RecordingMonitor(_mocks.MockMonitor):
    """A MockMonitor that also keeps parent, dependencies and protect of every registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.records: dict[str, RecordedResource] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget what earlier runs registered."""
        with self._lock:
            self.records.clear()
            self.resources.clear()

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        urn = response.urn
        registration = self.resources[urn]
        inputs = _rpc.deserialize_properties(request.object)
        inputs = {k: v for k, v in inputs.items() if k != "__provider"}
        record = RecordedResource(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            id=registration.id or "",
            inputs=_plain(inputs),
            state=_plain(dict(registration.state)),
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={k: sorted(v.urns) for k, v in request.propertyDependencies.items()},
            protect=bool(request.protect),
        )
        with self._lock:
            self.records[urn] = record
        return response


def stack_exports() -> dict[str, Any]:
    """What the running program passed to `pulumi.export` so far (values may be Outputs)."""
    root = pulumi.runtime.get_root_resource()
    if root is None:
        raise PulumiInternalsChanged("pulumi.runtime.get_root_resource()", "returned no root stack resource")
    outputs = getattr(root, "outputs", None)
    if not isinstance(outputs, dict):
        raise PulumiInternalsChanged(
            f"{type(root).__module__}.{type(root).__qualname__}.outputs",
            f"is {type(outputs).__name__}, not the dict of stack exports",
        )
    return dict(outputs)
