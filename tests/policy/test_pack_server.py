"""The real pack: `policy/` served the way the Pulumi CLI's Python host starts it, driven over its gRPC API.

`python -m pulumi.policy <engine> policy` runs policy/__main__.py, which prints the analyzer's port and serves
until killed. No Pulumi CLI is needed: this test plays the engine's side (GetAnalyzerInfo, Analyze,
AnalyzeStack) with the protobuf messages of the installed pulumi SDK.
"""

from __future__ import annotations

import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from policy import policies, rules
from tests.policy.samples import compliant, nested

ROOT = Path(__file__).resolve().parents[2]
MANDATORY = 1  # pulumi.runtime.proto EnforcementLevel values
ADVISORY = 0


@pytest.fixture(scope="module")
def analyzer() -> Iterator[Any]:
    env = dict(os.environ, PULUMI_STACK="prod", PULUMI_PROJECT="foundry-phi", PULUMI_DRY_RUN="true")
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulumi.policy", "127.0.0.1:1", "policy"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            ready = sel.select(timeout=60)
        assert ready, "policy pack did not print its port within 60 s"
        line = proc.stdout.readline().decode().strip()
        assert line.isdigit(), (
            f"expected a port, got {line!r}; stderr: {proc.stderr.read().decode() if proc.stderr else ''}"
        )
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=30)


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(props)
    return s


def _analyze(stub: Any, resource_type: str, props: dict[str, Any]) -> list[Any]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type,
        properties=_struct(props),
        urn=f"urn:pulumi:prod::foundry-phi::{resource_type}::r",
        name="r",
    )
    return list(stub.Analyze(request, timeout=30).diagnostics)


def test_pack_describes_every_policy(analyzer: Any) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == policies.PACK_NAME
    levels = {p.name: p.enforcementLevel for p in info.policies}
    expected = {r.name: MANDATORY if r.mandatory else ADVISORY for r in rules.RESOURCE_RULES}
    expected.update({r.name: MANDATORY if r.mandatory else ADVISORY for r in rules.STACK_RULES})
    assert levels == expected


def test_compliant_production_resources_have_no_diagnostics(analyzer: Any) -> None:
    for resource_type in (
        rules.STORAGE_ACCOUNT,
        rules.KEY_VAULT,
        rules.AI_SERVICES,
        rules.WORKSPACE,
        rules.CONNECTION,
    ):
        assert _analyze(analyzer, resource_type, compliant(resource_type)) == []


def test_violations_reach_the_engine_with_their_level(analyzer: Any) -> None:
    found = _analyze(
        analyzer,
        rules.KEY_VAULT,
        nested(rules.KEY_VAULT, enablePurgeProtection=None, publicNetworkAccess=None),
    )
    by_policy = {d.policyName: d for d in found}
    assert set(by_policy) == {"keyvault-purge-protection-in-prod", "public-network-access-disabled-in-prod"}
    purge = by_policy["keyvault-purge-protection-in-prod"]
    assert purge.enforcementLevel == MANDATORY
    assert purge.policyPackName == policies.PACK_NAME
    assert (
        "production stack 'prod': properties.enablePurgeProtection must be true (is unset)" in purge.message
    )
    assert by_policy["public-network-access-disabled-in-prod"].enforcementLevel == ADVISORY


def test_unknown_value_during_preview_is_an_advisory_note_not_a_pass_or_a_crash(analyzer: Any) -> None:
    found = _analyze(
        analyzer,
        rules.STORAGE_ACCOUNT,
        compliant(rules.STORAGE_ACCOUNT, minimumTlsVersion=UNKNOWN_STRING_VALUE),
    )
    assert [d.policyName for d in found] == ["storage-secure-transport"]
    assert found[0].enforcementLevel == ADVISORY
    assert "can't be known during preview" in found[0].message


def test_stack_policy_over_grpc(analyzer: Any) -> None:
    def resource(name: str, kind: str, location: str) -> Any:
        return analyzer_pb2.AnalyzerResource(
            type=rules.WORKSPACE,
            properties=_struct({"kind": kind, "location": location}),
            urn=f"urn:pulumi:prod::foundry-phi::{rules.WORKSPACE}::{name}",
            name=name,
        )

    request = analyzer_pb2.AnalyzeStackRequest(
        resources=[resource("hub", "Hub", "eastus2"), resource("project", "Project", "westus3")]
    )
    found = list(analyzer.AnalyzeStack(request, timeout=30).diagnostics)
    assert [(d.policyName, d.urn) for d in found] == [
        ("hub-project-colocated", f"urn:pulumi:prod::foundry-phi::{rules.WORKSPACE}::project")
    ]
    assert found[0].enforcementLevel == MANDATORY
