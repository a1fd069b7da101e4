"""Request-body checks derived from the SDK's own generated REST models, not from guesses.

azure-ai-ml 1.35 ships TypeSpec-generated models (`azure.ai.ml._restclient.arm_ml_service.models`):
each class lists its fields with `rest_field(name=..., visibility=...)`, a non-Optional annotation
marks a required field, and polymorphic bases carry `__mapping__` (discriminator value -> subclass)
plus one `rest_discriminator` field. This module walks a JSON body along those classes and reports
what ARM would reject: missing required fields, unknown discriminator values, wrong JSON types.
"""

from __future__ import annotations

import functools
import inspect
import types
import typing
from typing import Any

_MODELS_MODULE = "azure.ai.ml._restclient.arm_ml_service.models._models"


# Required in the generated model, yet the SDK itself never sends them, and the service fills them in:
# (model class, rest name) -> why. Keep this list short and sourced.
SERVICE_DEFAULTS: dict[tuple[str, str], str] = {
    (
        "ServerlessEndpointProperties",
        "authMode",
    ): "azure-ai-ml's ServerlessEndpoint._to_rest_object omits it; the service defaults to Key",
}


class ContractError(ValueError):
    """A body that breaks the REST contract; the message names the JSON path."""


@functools.cache
def _models() -> types.ModuleType:
    import importlib

    return importlib.import_module(_MODELS_MODULE)


def model_class(name: str) -> type:
    cls: type = getattr(_models(), name)
    return cls


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any, bool, bool, tuple[str, ...]], ...]:
    """(rest name, annotation, required, is discriminator, visibility) for every field of `cls`."""
    module = _models()
    namespace = {**vars(module), "_models": module}
    rows: list[tuple[str, Any, bool, bool, tuple[str, ...]]] = []
    seen: set[str] = set()
    for klass in reversed(cls.__mro__):
        annotations = inspect.get_annotations(klass)
        for attr, value in klass.__dict__.items():
            if attr.startswith("_") or not hasattr(value, "_type") or not hasattr(value, "_is_discriminator"):
                continue
            rest_name = value._rest_name_input or attr
            raw = annotations.get(attr)
            annotation = _evaluate(raw, namespace)
            required = not _is_optional(annotation)
            visibility = tuple(value._visibility or ("read", "create", "update"))
            row = (rest_name, annotation, required, bool(value._is_discriminator), visibility)
            if rest_name in seen:
                rows = [r for r in rows if r[0] != rest_name]
            seen.add(rest_name)
            rows.append(row)
    return tuple(rows)


def _evaluate(raw: Any, namespace: dict[str, Any]) -> Any:
    if raw is None:
        return Any
    if isinstance(raw, str):
        try:
            return eval(raw, namespace)  # the SDK's own annotation text, e.g. "_models.Sku"
        except Exception:
            return Any
    if isinstance(raw, typing.ForwardRef):
        return _evaluate(raw.__forward_arg__, namespace)
    args = typing.get_args(raw)
    if args and any(isinstance(a, str | typing.ForwardRef) for a in args):
        origin = typing.get_origin(raw)
        resolved = tuple(_evaluate(a, namespace) for a in args)
        if origin is typing.Union:
            return typing.Union[resolved]  # noqa: UP007  (rebuilding a runtime Union)
        if origin in (dict, list):
            generic: Any = origin
            return generic[resolved] if origin is dict else generic[resolved[0]]
    return raw


def _is_optional(annotation: Any) -> bool:
    if typing.get_origin(annotation) is typing.Union:
        return type(None) in typing.get_args(annotation)
    return annotation is Any


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and (hasattr(tp, "_attr_to_rest_field") or tp.__module__ == _MODELS_MODULE)


def validate(body: Any, class_name: str) -> None:
    """Raise ContractError when `body` does not satisfy the SDK model `class_name` for a create request."""
    _check(body, model_class(class_name), "body")


def _check(value: Any, tp: Any, path: str) -> None:
    origin = typing.get_origin(tp)
    if origin is typing.Union:
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return
        if len(options) == 1:
            _check(value, options[0], path)
            return
        models = [a for a in options if _is_model(a)]
        if models:
            _check(value, models[0], path)
            return
        if any(a is str for a in options) and not isinstance(value, str):
            raise ContractError(f"{path} must be a string")
        return
    if origin is dict:
        if not isinstance(value, dict):
            raise ContractError(f"{path} must be an object")
        item_type = typing.get_args(tp)[1]
        for key, item in value.items():
            _check(item, item_type, f"{path}.{key}")
        return
    if origin is list:
        if not isinstance(value, list):
            raise ContractError(f"{path} must be an array")
        for index, item in enumerate(value):
            _check(item, typing.get_args(tp)[0], f"{path}[{index}]")
        return
    if tp is str and not isinstance(value, str):
        raise ContractError(f"{path} must be a string")
    if tp is bool and not isinstance(value, bool):
        raise ContractError(f"{path} must be a boolean")
    if tp is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ContractError(f"{path} must be an integer")
    if _is_model(tp):
        _check_model(value, tp, path)


def _check_model(value: Any, cls: type, path: str) -> None:
    if not isinstance(value, dict):
        raise ContractError(f"{path} must be an object")
    cls = _resolve_subtype(value, cls, path)
    for rest_name, annotation, required, is_discriminator, visibility in _fields(cls):
        writable = "create" in visibility or "update" in visibility
        present = value.get(rest_name) is not None
        if not present:
            if required and writable and not is_discriminator and not _defaulted(cls, rest_name):
                raise ContractError(f"{path}.{rest_name} is required")
            continue
        if not writable or is_discriminator:
            continue  # read-only fields in a request are ignored, as ARM does
        _check(value[rest_name], annotation, f"{path}.{rest_name}")


def _defaulted(cls: type, rest_name: str) -> bool:
    return any((klass.__name__, rest_name) in SERVICE_DEFAULTS for klass in cls.__mro__)


def _resolve_subtype(value: dict[str, Any], cls: type, path: str) -> type:
    """Follow discriminators down the hierarchy; an unknown value is a 400, as the service answers."""
    while True:
        mapping: dict[str, type] | None = cls.__dict__.get("__mapping__")
        if not mapping:
            return cls
        disc = next(
            (r for r in _fields(cls) if r[3] and (r[0] not in _seen_discriminators(cls))),
            None,
        )
        if disc is None:
            return cls
        rest_name = disc[0]
        actual = value.get(rest_name)
        if actual is None:
            raise ContractError(f"{path}.{rest_name} is required (one of: {', '.join(sorted(mapping))})")
        # the service compares discriminators case-insensitively for enum-valued types
        match = next((sub for key, sub in mapping.items() if key.lower() == str(actual).lower()), None)
        if match is None:
            raise ContractError(f"{path}.{rest_name} {actual!r} is not one of: {', '.join(sorted(mapping))}")
        if match is cls:
            return cls
        cls = match


def _seen_discriminators(cls: type) -> set[str]:
    """Discriminators already decided by a base class (nested hierarchies use a second one)."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        for attr, value in base.__dict__.items():
            if not attr.startswith("_") and getattr(value, "_is_discriminator", False):
                names.add(value._rest_name_input or attr)
    return names
