"""Offline plan: render a stack's desired state under the Pulumi mock engine.

`python -m infra.plan --stack dev [--output json]` (also `make plan` and `foundry-ops infra plan`).
No credentials, no Pulumi CLI, no cloud: it runs infra/__main__.py against mocks (infra.mock_engine: Pulumi's
public mock API, plus the two private seams that infra/pulumi_internals.py isolates and checks) with the stack's
config file and prints the resource tree with key properties and dependencies, and the critical path of the
dependency graph (the longest chain of resources that must be created one after another).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import roles

STACKS_DIR = Path(__file__).resolve().parent.parent / "stacks"
HEADLINE = (
    "Offline plan of stack {stack!r}: a rendering of the desired state under the Pulumi mock engine, "
    "not a diff against the cloud (no credentials used; ids and principal ids are mock values)."
)

# type token -> input paths worth showing (dotted; [0] indexes a list)
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "azure-native:resources:ResourceGroup": ("resourceGroupName", "location"),
    "azure-native:storage:StorageAccount": (
        "accountName",
        "sku.name",
        "allowBlobPublicAccess",
        "allowSharedKeyAccess",
        "minimumTlsVersion",
        "enableHttpsTrafficOnly",
        "publicNetworkAccess",
    ),
    "azure-native:storage:BlobServiceProperties": ("cors.corsRules[0].allowedOrigins",),
    "azure-native:keyvault:Vault": (
        "vaultName",
        "properties.enableRbacAuthorization",
        "properties.enableSoftDelete",
        "properties.softDeleteRetentionInDays",
        "properties.enablePurgeProtection",
        "properties.publicNetworkAccess",
    ),
    "azure-native:cognitiveservices:Account": (
        "accountName",
        "kind",
        "properties.customSubDomainName",
        "properties.disableLocalAuth",
        "identity.type",
        "properties.publicNetworkAccess",
    ),
    "azure-native:managedidentity:UserAssignedIdentity": ("resourceName",),
    "azure-native:machinelearningservices:Workspace": (
        "workspaceName",
        "kind",
        "identity.type",
        "systemDatastoresAuthMode",
        "hubResourceId",
        "publicNetworkAccess",
        "managedNetwork.isolationMode",
    ),
    "azure-native:machinelearningservices:WorkspaceConnection": (
        "connectionName",
        "properties.category",
        "properties.authType",
        "properties.isSharedToAll",
        "properties.target",
    ),
    "azure-native:machinelearningservices:Compute": (
        "computeName",
        "properties.properties.vmSize",
        "properties.properties.scaleSettings.minNodeCount",
        "properties.properties.scaleSettings.maxNodeCount",
        "properties.properties.scaleSettings.nodeIdleTimeBeforeScaleDown",
    ),
    "azure-native:authorization:RoleAssignment": ("roleAssignmentName", "principalType", "scope"),
    "pulumi-python:dynamic/foundry:ProviderRegistration": ("namespace", "timeout_seconds"),
}


class PlanError(Exception):
    """A stack that cannot be planned (unknown stack, invalid config): one line, and a line per problem."""

    def __init__(self, message: str, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.details = details


def pick(data: Any, path: str) -> Any:
    """The value at a dotted path like `a.b[0].c`, or None."""
    current = data
    for part in path.split("."):
        index = None
        if part.endswith("]") and "[" in part:
            part, _, rest = part.partition("[")
            index = int(rest[:-1])
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
        if index is not None:
            if not isinstance(current, list) or index >= len(current):
                return None
            current = current[index]
    return current


def known_stacks(stacks_dir: Path = STACKS_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))


def stack_file(stack: str, stacks_dir: Path = STACKS_DIR) -> Path:
    path = stacks_dir / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(known_stacks(stacks_dir)) or "none"
        raise PlanError(f"unknown stack {stack!r}: no {path.name} in {stacks_dir} (known stacks: {known})")
    return path


@dataclass(frozen=True)
class PlannedResource:
    urn: str
    type: str
    name: str
    parent: str  # logical name of the parent ("" for top level)
    custom: bool
    protect: bool
    properties: dict[str, Any]
    depends_on: tuple[str, ...]  # logical names of custom resources this one waits for
    inputs: dict[str, Any]  # everything declared (camelCase wire names), for --output json


@dataclass(frozen=True)
class Plan:
    stack: str
    config_file: str
    resources: tuple[PlannedResource, ...]
    critical_path: tuple[str, ...]
    waves: tuple[tuple[str, ...], ...]
    outputs: dict[str, Any]

    @property
    def headline(self) -> str:
        return HEADLINE.format(stack=self.stack)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "offline-plan",
            "stack": self.stack,
            "note": self.headline,
            "config_file": self.config_file,
            "resource_count": sum(1 for r in self.resources if r.custom),
            "component_count": sum(1 for r in self.resources if not r.custom),
            "critical_path": list(self.critical_path),
            "critical_path_length": len(self.critical_path),
            "waves": [list(w) for w in self.waves],
            "resources": [
                {
                    "name": r.name,
                    "type": r.type,
                    "parent": r.parent,
                    "custom": r.custom,
                    "protect": r.protect,
                    "properties": r.properties,
                    "depends_on": list(r.depends_on),
                    "inputs": r.inputs,
                }
                for r in self.resources
            ],
            "outputs": self.outputs,
        }


def critical_path(nodes: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The longest chain (by resource count) in a DAG given as name -> names it depends on."""
    memo: dict[str, tuple[str, ...]] = {}
    visiting: set[str] = set()

    def longest(name: str) -> tuple[str, ...]:
        if name in memo:
            return memo[name]
        if name in visiting:
            raise PlanError(f"dependency cycle through {name}")
        visiting.add(name)
        best: tuple[str, ...] = ()
        for dep in sorted(nodes.get(name, ())):
            chain = longest(dep)
            if len(chain) > len(best):
                best = chain
        visiting.discard(name)
        memo[name] = (*best, name)
        return memo[name]

    result: tuple[str, ...] = ()
    for name in sorted(nodes):
        chain = longest(name)
        if len(chain) > len(result):
            result = chain
    return result


def waves(nodes: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Resources grouped by depth: wave n holds those whose longest chain of dependencies has n resources."""
    depth: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((level(d) for d in nodes.get(name, ()) if d in nodes), default=0)
        return depth[name]

    for name in nodes:
        level(name)
    grouped: list[list[str]] = [[] for _ in range(max(depth.values(), default=0))]
    for name in sorted(nodes):
        grouped[depth[name] - 1].append(name)
    return grouped


def build_plan(stack: str, stacks_dir: Path = STACKS_DIR) -> Plan:
    """Run the program for `stack` under the mock engine and describe what it declares."""
    from pulumi import RunError

    from infra.config import StackConfigError, check_stack_file
    from infra.mock_engine import load_stack_file, run_program

    path = stack_file(stack, stacks_dir)
    try:
        config = load_stack_file(path)
    except (OSError, ValueError) as exc:
        raise PlanError(f"cannot read {path}: {' '.join(str(exc).split())}") from None
    try:
        check_stack_file(config)  # every problem, one per line, before the program runs
        run = run_program(config, stack=stack)
    except StackConfigError as exc:
        raise PlanError(
            f"{path.name}: invalid stack configuration ({len(exc.problems)} problem(s))",
            details=tuple(exc.problems),
        ) from None
    except RunError as exc:  # config problems the program reports (infra/__main__.py)
        raise PlanError(f"{path.name}: {' '.join(str(exc).split())}") from None
    return describe(run, stack, path)


def describe(run: Any, stack: str, path: Path) -> Plan:
    by_urn = {r.urn: r for r in run.resources}
    children: dict[str, list[str]] = {}
    for r in run.resources:
        children.setdefault(r.parent, []).append(r.urn)

    def custom_of(urn: str) -> list[str]:
        """A dependency on a component means all custom resources under it."""
        res = by_urn.get(urn)
        if res is None:
            return []
        if res.custom:
            return [res.name]
        found: list[str] = []
        for child in children.get(urn, []):
            found += custom_of(child)
        return found

    planned: list[PlannedResource] = []
    graph: dict[str, tuple[str, ...]] = {}
    for r in run.resources:
        deps = tuple(sorted({n for d in r.dependencies for n in custom_of(d) if n != r.name}))
        props = {p: v for p in KEY_PROPERTIES.get(r.type, ()) if (v := pick(r.inputs, p)) is not None}
        if r.type == "azure-native:authorization:RoleAssignment":
            guid = str(r.inputs.get("roleDefinitionId", "")).rsplit("/", 1)[-1]
            role = roles.BY_GUID.get(guid)
            props = {"role": role.name if role else guid, **props}
        parent = by_urn[r.parent].name if r.parent in by_urn else ""
        planned.append(
            PlannedResource(r.urn, r.type, r.name, parent, r.custom, r.protect, props, deps, dict(r.inputs))
        )
        if r.custom:
            graph[r.name] = deps
    return Plan(
        stack=stack,
        config_file=_display_path(path),
        resources=tuple(planned),
        critical_path=critical_path(graph),  # raises on a cycle before waves() could recurse forever
        waves=tuple(tuple(w) for w in waves(graph)),
        outputs=dict(run.outputs),
    )


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def render_text(plan: Plan) -> str:
    lines = [plan.headline, f"Config: {plan.config_file}", ""]
    by_parent: dict[str, list[PlannedResource]] = {}
    for r in plan.resources:
        by_parent.setdefault(r.parent, []).append(r)

    def walk(parent: str, indent: str) -> None:
        items = sorted(by_parent.get(parent, []), key=lambda r: (not r.custom, r.name))
        for i, r in enumerate(items):
            last = i == len(items) - 1
            branch, more = ("└─ ", "   ") if last else ("├─ ", "│  ")
            flag = "  [protect]" if r.protect else ""
            lines.append(f"{indent}{branch}{r.name}  ({r.type}){flag}")
            for key, value in r.properties.items():
                lines.append(f"{indent}{more}    {key} = {_show(value)}")
            if r.custom:
                lines.append(f"{indent}{more}    depends on: {', '.join(r.depends_on) or '-'}")
            walk(r.name, indent + more)

    walk("", "")
    custom = sum(1 for r in plan.resources if r.custom)
    lines += [
        "",
        f"Resources: {custom} cloud resources in {len(plan.resources) - custom} components",
        f"Critical path: {len(plan.critical_path)} resources ({max(len(plan.critical_path) - 1, 0)} dependency hops): "
        + " -> ".join(plan.critical_path),
        "Waves (the earliest step at which each resource can start; the engine starts each one as soon as "
        "what it depends on is done):",
        *(f"  {i}. {', '.join(w)}" for i, w in enumerate(plan.waves, 1)),
        "",
        "Outputs:",
    ]
    width = max((len(k) for k in plan.outputs), default=0)
    lines += [f"  {k.ljust(width)}  {_show(v)}" for k, v in plan.outputs.items()]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_show(v) for v in value)
    if value == "":
        return "''"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.plan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", required=True, help="stack name: stacks/Pulumi.<stack>.yaml")
    parser.add_argument("--output", "-o", choices=("table", "json"), default="table")
    args = parser.parse_args(argv)
    try:
        plan = build_plan(args.stack)
    except PlanError as exc:
        print(f"Error: {exc}", *(f"  {line}" for line in exc.details), sep="\n", file=sys.stderr)
        return 2
    if args.output == "json":
        import json

        print(json.dumps(plan.as_dict(), indent=2, default=str))
    else:
        print(render_text(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
