"""Import boundaries of infra/ and policy/: no ops (even lazily), and Pulumi's public API only.

The layout: infra and policy import core (core/, catalog/) and never ops; the one arrow between infra and
ops is ops/cli/infra.py -> infra.plan. Private Pulumi names live in infra/pulumi_internals.py alone.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pulumi.dynamic
import pulumi.runtime
import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("infra", "policy")
INTERNALS = ROOT / "infra" / "pulumi_internals.py"

# Pulumi modules whose `__all__` is the public surface; `pulumi.runtime.rpc` is listed in
# `pulumi.runtime.__all__` as a submodule, but what is inside it is the SDK's wire encoding.
PUBLIC: dict[str, set[str]] = {
    "pulumi": set(pulumi.__all__),
    "pulumi.runtime": set(pulumi.runtime.__all__) - {"rpc"},
    "pulumi.dynamic": set(pulumi.dynamic.__all__),
}


def sources(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def imported_modules(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """Every module a file imports, at module level or inside functions, statically or by name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func in ("importlib.import_module", "import_module", "__import__") and isinstance(
                node.args[0].value, str
            ):
                yield node.lineno, node.args[0].value


@pytest.mark.parametrize("package", PACKAGES)
def test_never_imports_ops_not_even_lazily(package: str) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path in sources(package)
        for line, module in imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module == "ops" or module.startswith("ops.")
    ]
    assert offenders == []


def test_planning_and_the_policy_pack_load_no_ops_module() -> None:
    """At run time too: the whole plan, the policies and the registration's client factory."""
    probe = (
        "import json, sys\n"
        "from infra.plan import build_plan\n"
        "build_plan('prod')\n"
        "import policy.policies, policy.rules, policy.stacks\n"
        "from infra.components.provider_registration import default_client_factory\n"
        "default_client_factory('00000000-0000-0000-0000-000000000000')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'ops' or m.startswith('ops.'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def _private_pulumi_uses(tree: ast.AST) -> Iterator[tuple[int, str]]:
    aliases: dict[str, str] = {"pulumi": "pulumi"}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "pulumi":
                    if alias.name not in PUBLIC:
                        yield node.lineno, f"import {alias.name}"
                    aliases[alias.asname or alias.name.split(".")[0]] = (
                        alias.name if alias.asname else "pulumi"
                    )
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pulumi":
            public = PUBLIC.get(node.module)
            for alias in node.names:
                if public is None or alias.name not in public:
                    yield node.lineno, f"from {node.module} import {alias.name}"
    inner = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:  # whole chains only
            continue
        chain = ast.unparse(node).split(".")
        if not all(part.isidentifier() for part in chain) or chain[0] not in aliases:
            continue
        module = aliases[chain[0]]
        for part in chain[1:]:
            if part.startswith("_"):
                yield node.lineno, ".".join(chain)
                break
            if module not in PUBLIC:  # past the module level: attributes of public classes
                continue
            if part not in PUBLIC[module]:
                yield node.lineno, ".".join(chain)
                break
            module = f"{module}.{part}"


def test_only_pulumi_internals_reaches_past_the_public_pulumi_api() -> None:
    offenders: list[str] = []
    for package in PACKAGES:
        for path in sources(package):
            if path == INTERNALS:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            offenders += [
                f"{path.relative_to(ROOT)}:{line}: {use}" for line, use in _private_pulumi_uses(tree)
            ]
    assert offenders == []


def test_the_checker_catches_what_the_old_engine_did() -> None:
    old = (
        "import pulumi\n"
        "from pulumi.runtime import mocks as _mocks\n"
        "from pulumi.runtime import settings as _settings\n"
        "from pulumi.runtime.sync_await import _sync_await\n"
        "pulumi.runtime.rpc.deserialize_properties(x)\n"
        "pulumi.runtime.set_mocks(m)\n"
        "pulumi.Output.from_input(x)\n"
    )
    found = [use for _, use in _private_pulumi_uses(ast.parse(old))]
    assert found == [
        "from pulumi.runtime import mocks",
        "from pulumi.runtime import settings",
        "from pulumi.runtime.sync_await import _sync_await",
        "pulumi.runtime.rpc.deserialize_properties",
    ]
