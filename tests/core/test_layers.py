"""The picture in README's design section, enforced: imports go one way between the layers.

Every import in the project's modules (at the top and inside functions) is read with `ast`; a rule breaks
when a module imports across a line the layout forbids. The rules are checked against a planted
violation first, so a rule that cannot fail does not pass silently.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "catalog", "infra", "policy", "ops")
SHARED_CLI = {"ops.cli", "ops.cli.lazy", "ops.cli.options", "ops.cli.output", "ops.cli.root"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_only(tree: ast.AST) -> set[int]:
    """ids of the import nodes under `if TYPE_CHECKING:` (they never run)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            found |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return found


def imports(source: str, module: str, *, type_only: bool = False) -> Iterator[str]:
    """Every module `source` imports at run time, absolute, including imports made inside functions
    (and, with `type_only`, those under `if TYPE_CHECKING:` too)."""
    tree = ast.parse(source)
    skip = set() if type_only else _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module
                base = (
                    module.split(".")[: -node.level] if not module.endswith("__init__") else module.split(".")
                )
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


def project_imports(*, type_only: bool = False) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = module_name(path)
            source = path.read_text(encoding="utf-8")
            found += [(module, target) for target in imports(source, module, type_only=type_only)]
    return found


def under(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _cli_command(name: str) -> str | None:
    """`ops.cli.finetune` for a command module (and anything under it); None for shared CLI modules."""
    if not under(name, "ops.cli"):
        return None
    command = ".".join(name.split(".")[:3])
    return None if command in SHARED_CLI else command


Rule = Callable[[str, str], str | None]


def rule_core_is_the_bottom(module: str, target: str) -> str | None:
    if under(module, "core", "catalog") and under(target, "ops", "infra", "policy"):
        return "core and catalog import nothing above them"
    return None


def rule_infra_and_ops_never_meet(module: str, target: str) -> str | None:
    if under(module, "infra", "policy") and under(target, "ops"):
        return "infra and policy never import ops"
    if under(module, "ops") and under(target, "infra", "policy"):
        if module == "ops.cli.infra" and under(target, "infra.plan"):
            return None  # the one offline `infra plan` entry
        return "ops never imports infra or policy (except ops.cli.infra -> infra.plan)"
    return None


def rule_commands_never_import_commands(module: str, target: str) -> str | None:
    mine, theirs = _cli_command(module), _cli_command(target)
    if mine and theirs and mine != theirs:
        return "a command module never imports another command module"
    return None


def rule_flows_know_no_click(module: str, target: str) -> str | None:
    if under(module, "ops.flows", "ops.azure", "ops.data", "ops.runs", "core", "catalog") and under(
        target, "click", "ops.cli"
    ):
        return "only ops.cli imports Click or the CLI"
    return None


def rule_lower_layers_stay_below(module: str, target: str) -> str | None:
    if under(module, "ops.azure") and under(target, "ops.flows", "ops.runs"):
        return "adapters never import the workflow"
    if under(module, "ops.data", "ops.runs") and under(target, "ops.azure", "ops.flows"):
        return "ops.data and ops.runs are pure: no adapters, no flows"
    return None


def rule_only_adapters_import_azure(module: str, target: str) -> str | None:
    if under(module, "ops") and under(target, "azure") and not under(module, "ops.azure"):
        return "only ops.azure imports an Azure SDK"
    return None


RULES: tuple[Rule, ...] = (
    rule_core_is_the_bottom,
    rule_infra_and_ops_never_meet,
    rule_commands_never_import_commands,
    rule_flows_know_no_click,
    rule_lower_layers_stay_below,
    rule_only_adapters_import_azure,
)


def broken(pairs: list[tuple[str, str]]) -> list[str]:
    return [f"{m} imports {t}: {why}" for m, t in pairs for rule in RULES if (why := rule(m, t))]


@pytest.mark.parametrize(
    ("module", "target"),
    [
        ("infra.components.foundry", "ops.cli"),
        ("ops.flows.deploy", "infra.plan"),
        ("ops.cli.finetune", "ops.cli.deploy"),
        ("ops.flows.finetune", "click"),
        ("ops.azure.jobs", "ops.flows.waiting"),
        ("ops.cli.run", "ops.cli.finetune.job_dict"),
        ("ops.flows.upload", "azure.storage.blob"),
        ("core.errors", "ops.app"),
        ("ops.data.validate", "ops.azure.records"),
    ],
)
def test_each_rule_catches_its_violation(module: str, target: str) -> None:
    assert broken([(module, target)]), f"no rule objects to {module} -> {target}"


def test_allowed_arrows_pass() -> None:
    allowed = [
        ("ops.cli.infra", "infra.plan"),
        ("ops.cli.finetune", "ops.cli.options"),
        ("ops.flows.finetune", "ops.azure.records"),
        ("ops.azure.jobs", "azure.core.rest"),
        ("infra.components.provider_registration", "core.credential"),
        ("ops.runs.schema", "core.stacks"),
    ]
    assert broken(allowed) == []


def test_the_project_follows_the_layers() -> None:
    pairs = project_imports()
    assert len(pairs) > 300  # the scan saw the project
    assert broken(pairs) == []


def circles(pairs: list[tuple[str, str]]) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a loop (Tarjan's strongly
    connected components of more than one module); imports of packages and names are ignored."""
    modules = {m for m, _ in pairs}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, target in pairs:
        if target in modules and target != module and not module.startswith(target + "."):
            graph[module].add(target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_a_planted_circle_is_found() -> None:
    pairs = [("ops.a", "ops.b"), ("ops.b", "ops.c"), ("ops.c", "ops.a"), ("ops.c", "ops.d"), ("ops.d", "ops")]
    assert circles(pairs) == [["ops.a", "ops.b", "ops.c"]]


def test_no_modules_import_each_other() -> None:
    """Not even for type hints: a loop means two modules are one concern split in two, or one knows
    the other's types when it only needs a few values (resolve_data took the whole SubmitRequest)."""
    pairs = project_imports(type_only=True)
    assert circles(pairs) == []
