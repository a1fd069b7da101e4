"""Canary for infra/pulumi_internals.py, the one module that uses Pulumi SDK internals.

When a Pulumi upgrade moves one of them, these tests fail with the Pulumi version and the symbol in the
message; fix infra/pulumi_internals.py (its docstring says what each symbol is for) and nothing else.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pulumi
import pulumi.runtime
import pytest

from infra import pulumi_internals
from infra.mock_engine import ProgramRun, RecordedResource, run_program
from infra.pulumi_internals import PulumiInternalsChanged, check, pulumi_version, stack_exports


def changed(what: str) -> str:
    return (
        f"pulumi {pulumi_version()}: the recording monitor (infra/pulumi_internals.py, written against "
        f"pulumi {pulumi_internals.WRITTEN_FOR}) no longer sees {what}"
    )


def test_every_private_symbol_is_still_there() -> None:
    try:
        check()
    except PulumiInternalsChanged as exc:
        pytest.fail(str(exc))


class Box(pulumi.ComponentResource):
    def __init__(self, name: str) -> None:
        super().__init__("test:seams:Box", name, None, None)
        child = pulumi.ResourceOptions(parent=self)
        self.first = pulumi.CustomResource(
            "test:seams:Thing",
            f"{name}-first",
            {"size": 7},
            pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.second = pulumi.CustomResource(
            "test:seams:Thing", f"{name}-second", {"after": self.first.id}, child
        )
        self.register_outputs({})


def seams_program() -> None:
    box = Box("box")
    pulumi.export("first_id", box.first.id)
    pulumi.export("plain", 3)


@pytest.fixture(scope="module")
def seams_run() -> ProgramRun:
    return run_program({}, stack="seams", program=seams_program)


def by_name(run: ProgramRun, name: str) -> RecordedResource:
    found = [r for r in run.resources if r.name == name]
    assert len(found) == 1, changed(f"the registration of {name!r}")
    return found[0]


def test_the_monitor_records_parent_dependencies_protect_and_inputs(seams_run: ProgramRun) -> None:
    box, first, second = (by_name(seams_run, n) for n in ("box", "box-first", "box-second"))
    assert not box.custom and first.custom and second.custom, changed("RegisterResourceRequest.custom")
    assert box.parent == "urn:pulumi:seams::foundry-phi::pulumi:pulumi:Stack::foundry-phi-seams", changed(
        "RegisterResourceRequest.parent (or set_mocks no longer makes a root stack per run)"
    )
    assert first.parent == second.parent == box.urn, changed("RegisterResourceRequest.parent")
    assert first.protect and not second.protect, changed("RegisterResourceRequest.protect")
    assert first.inputs == {"size": 7}, changed("the inputs (rpc.deserialize_properties of request.object)")
    assert first.id == "box-first-id" and first.state["size"] == 7, changed("MockMonitor.resources")
    assert first.urn in second.dependencies, changed("RegisterResourceRequest.dependencies")
    assert second.property_dependencies == {"after": [first.urn]}, changed(
        "RegisterResourceRequest.propertyDependencies"
    )


def test_stack_exports_are_read_from_the_root_stack(seams_run: ProgramRun) -> None:
    assert seams_run.outputs == {"first_id": "box-first-id", "plain": 3}, changed(
        "the stack exports (root stack resource's `outputs`)"
    )


def test_runs_do_not_leak_into_each_other(seams_run: ProgramRun) -> None:
    again = run_program({}, stack="seams-again", program=lambda: pulumi.export("only", "this"))
    assert again.resources == [] and again.outputs == {"only": "this"}, changed("a fresh root stack per run")
    assert seams_run.outputs == {"first_id": "box-first-id", "plain": 3}


def test_a_missing_symbol_is_named_with_the_pulumi_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(pulumi_internals._rpc, "deserialize_properties")
    with pytest.raises(PulumiInternalsChanged) as info:
        check()
    message = str(info.value)
    assert message.startswith(f"pulumi {pulumi_version()}: pulumi.runtime.rpc.deserialize_properties is gone")
    assert f"written against pulumi {pulumi_internals.WRITTEN_FOR}" in message
    assert info.value.symbol == "pulumi.runtime.rpc.deserialize_properties"


def test_the_monitor_seams_that_are_used_are_checked_and_only_those(monkeypatch: pytest.MonkeyPatch) -> None:
    real = pulumi_internals._mocks.MockMonitor

    class Monitor:  # what RecordingMonitor uses of MockMonitor; no get_registered_resources
        ResourceRegistration = real.ResourceRegistration

        def __init__(self, mocks: Any) -> None:
            self.mocks = mocks
            self.resources: dict[str, Any] = {}

        def RegisterResource(self, request: Any) -> Any:
            return None

    monkeypatch.setattr(pulumi_internals._mocks, "MockMonitor", Monitor)
    check()

    class Unkept(Monitor):  # registrations no longer kept in `resources`: RegisterResource and reset need it
        def __init__(self, mocks: Any) -> None:
            self.mocks = mocks

    monkeypatch.setattr(pulumi_internals._mocks, "MockMonitor", Unkept)
    with pytest.raises(PulumiInternalsChanged) as info:
        check()
    assert info.value.symbol == "pulumi.runtime.mocks.MockMonitor.resources"
    assert "is NoneType, not the dict of registrations by URN" in str(info.value)

    class Renamed(Monitor):
        class ResourceRegistration(NamedTuple):
            urn: str
            ident: str

    monkeypatch.setattr(pulumi_internals._mocks, "MockMonitor", Renamed)
    with pytest.raises(
        PulumiInternalsChanged, match=r"ResourceRegistration has no field\(s\) \['id', 'state'\]"
    ):
        check()


def test_a_changed_request_message_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pulumi_internals, "REQUEST_FIELDS", (*pulumi_internals.REQUEST_FIELDS, "noSuchField"))
    with pytest.raises(
        PulumiInternalsChanged, match=r"RegisterResourceRequest has no field\(s\) \['noSuchField'\]"
    ):
        check()


def test_a_root_stack_without_exports_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    root: Any = object()
    monkeypatch.setattr(pulumi.runtime, "get_root_resource", lambda: root)
    with pytest.raises(PulumiInternalsChanged, match=r"^pulumi .*: builtins\.object\.outputs is NoneType"):
        stack_exports()
