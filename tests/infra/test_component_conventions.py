"""The components follow Pulumi's component guidance and Azure Verified Modules habits, checked on the source:
typed frozen Args, `(name, args, opts)` constructors, `register_outputs` last, type tokens under one prefix,
role GUIDs only as named constants (core/roles.py), and config read once, in infra/config.py.

Children parented to their component is checked on the recorded program (test_components.py).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import re
from pathlib import Path

import pulumi
import pytest

from infra.components import TYPE_PREFIX

ROOT = Path(__file__).resolve().parents[2]
COMPONENT_FILES = sorted(p for p in (ROOT / "infra" / "components").glob("*.py") if p.name != "__init__.py")
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def module_of(path: Path) -> object:
    return importlib.import_module(f"infra.components.{path.stem}")


def components() -> list[type[pulumi.ComponentResource]]:
    found: list[type[pulumi.ComponentResource]] = []
    for path in COMPONENT_FILES:
        module = module_of(path)
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, pulumi.ComponentResource) and cls.__module__ == getattr(module, "__name__", "")
        ]
    return found


def test_there_are_components_to_check() -> None:
    assert len(components()) == 9


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.stem)
def test_args_are_typed_frozen_dataclasses(path: Path) -> None:
    module = module_of(path)
    for name, cls in inspect.getmembers(module, inspect.isclass):
        if name.endswith("Args") and cls.__module__ == getattr(module, "__name__", ""):
            assert dataclasses.is_dataclass(cls), name
            assert cls.__dataclass_params__.frozen, f"{name} is not frozen"  # type: ignore[attr-defined]
            assert all(f.type for f in dataclasses.fields(cls)), f"{name} has an untyped field"


@pytest.mark.parametrize("component", components(), ids=lambda c: c.__name__)
def test_constructor_takes_name_args_opts(component: type[pulumi.ComponentResource]) -> None:
    params = list(inspect.signature(component.__init__).parameters.values())
    assert [p.name for p in params[:4]] == ["self", "name", "args", "opts"]
    assert params[3].default is None
    assert str(params[2].annotation).endswith("Args")


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.stem)
def test_register_outputs_is_the_last_statement_and_type_tokens_share_the_prefix(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        if not any(ast.unparse(b) == "pulumi.ComponentResource" for b in cls.bases):
            continue
        (init,) = (n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
        first, last = init.body[0], init.body[-1]
        assert ast.unparse(last).startswith("self.register_outputs("), (
            f"{cls.name}: register_outputs not last"
        )
        assert ast.unparse(first).startswith(f"super().__init__(f'{{TYPE_PREFIX}}:{cls.name}'"), cls.name
    assert TYPE_PREFIX == "foundry:infra"


@pytest.mark.parametrize(
    "path", [*COMPONENT_FILES, ROOT / "infra" / "__main__.py", ROOT / "infra" / "naming.py"]
)
def test_no_role_guid_literals_outside_roles(path: Path) -> None:
    """Role definition GUIDs are named constants in core/roles.py, nowhere else."""
    strings = [
        n.value
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]
    assert [s for s in strings if GUID.search(s)] == []


def test_config_is_read_once_in_config_py() -> None:
    """One validated config object: only infra/config.py reads pulumi.Config; components get StackConfig."""
    readers = []
    for path in sorted((ROOT / "infra").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and ast.unparse(node) == "pulumi.Config":
                readers.append(path.relative_to(ROOT).as_posix())
    assert readers == ["infra/config.py"]
