"""Request-body checks derived from the SDK's own generated REST models, not from guesses.

azure-ai-ml 1.35 ships TypeSpec-generated models (`azure.ai.ml._restclient.arm_ml_service.models`):
each class lists its fields with `rest_field(name=..., visibility=...)`, a non-Optional annotation
marks a required field, `Union[str, "_models.SomeEnum"]` names an enum, and polymorphic bases carry
`__mapping__` (discriminator value -> subclass) plus one `rest_discriminator` field. This module walks
a JSON body along those classes and reports every problem the service's deserializer (JSON.NET with
MissingMemberHandling.Error, as recordings/job-put-400-unknown-member.json shows) would report:

- a member the model does not have: "Could not find member 'X' on object of type 'Y'. Path 'p', line 1,
  position N." (the recorded wording; `Path` restarts at every polymorphic object, as recorded);
- an enum or discriminator value outside the model's enum: "Error converting value "v" to type 'E'." —
  compared case-insensitively, as JSON.NET's StringEnumConverter does (the service accepts
  `taskType: "textCompletion"` and answers `"TextCompletion"`, recorded);
- a missing required member, an object where a scalar belongs and vice versa.

Like JSON.NET, a JSON number or boolean where a string belongs is converted, not refused: the recorded
AzureOpenAI FineTuning PUT with numeric `hyperParameters` (finetuning-aoai-put-400.json) got past
deserialization and was refused only for its region.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import types
import typing
from dataclasses import dataclass
from typing import Any

_PACKAGE = "azure.ai.ml._restclient.arm_ml_service.models"
_MODELS_MODULE = _PACKAGE + "._models"


# Required in the generated model, yet the SDK itself never sends them, and the service fills them in:
# (model class, rest name) -> why. Keep this list short and sourced.
SERVICE_DEFAULTS: dict[tuple[str, str], str] = {
    (
        "ServerlessEndpointProperties",
        "authMode",
    ): "azure-ai-ml's ServerlessEndpoint._to_rest_object omits it; the service defaults to Key",
}

# Members the service accepts that the SDK's generated model lacks: (model class, rest name) -> source.
EXTRA_MEMBERS: dict[tuple[str, str], str] = {
    (
        "ContentSafety",
        "contentSafetyLevel",
    ): "rest-examples/serverless-endpoint-get.json (ServerlessEndpoints_Get at 2025-12-01: 'Blocking')",
}

MESSAGE = "Request is invalid and/or missing fields."


@dataclass(frozen=True)
class Problem:
    """One reason the service refuses a body: `message` in the service's words, `where` our full path."""

    message: str
    where: str
    code: str = "RequestInvalid"


class ContractError(ValueError):
    """A body that breaks the REST contract; `.problems` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.where}: {p.message}" for p in problems))
        self.problems = problems


@functools.cache
def _models() -> types.ModuleType:
    import importlib

    return importlib.import_module(_MODELS_MODULE)


@functools.cache
def _package() -> types.ModuleType:
    import importlib

    return importlib.import_module(_PACKAGE)


def model_class(name: str) -> type:
    cls: type = getattr(_models(), name)
    return cls


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, Any, bool, bool, tuple[str, ...]], ...]:
    """(rest name, annotation, required, is discriminator, visibility) for every field of `cls`."""
    module = _models()
    namespace = {**vars(module), "_models": _package()}
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
    origin = typing.get_origin(raw)
    if args and origin is not typing.Literal:
        resolved = tuple(_evaluate(a, namespace) for a in args)  # nested forward refs, at any depth
        if resolved == args:
            return raw
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


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def problems(body: Any, class_name: str) -> list[Problem]:
    """Every problem the service would report for `body` as a create request of model `class_name`."""
    walker = _Walker(body)
    walker.check(body, model_class(class_name), (), ())
    return walker.found


def validate(body: Any, class_name: str) -> None:
    """Raise ContractError (listing every problem) when `body` does not satisfy model `class_name`."""
    found = problems(body, class_name)
    if found:
        raise ContractError(found)


Path = tuple[str | int, ...]


class _Walker:
    def __init__(self, body: Any) -> None:
        self.found: list[Problem] = []
        self._positions = _positions(body)

    # --- reporting ---
    def report(self, full: Path, relative: Path, text: str, at: Path | None = None) -> None:
        position = self._positions.get(full if at is None else at, 0)
        message = f"{text} Path '{_dotted(relative)}', line 1, position {position}."
        self.found.append(Problem(message, _dotted(("body", *full))))

    # --- walking ---
    def check(self, value: Any, tp: Any, full: Path, rel: Path) -> None:
        origin = typing.get_origin(tp)
        if origin is typing.Union:
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            if value is None:
                return
            models = [a for a in options if _is_model(a)]
            if models:
                self.check(value, models[0], full, rel)
                return
            enums = [a for a in options if _is_enum(a)]
            if enums:
                self._enum(value, enums[0], full, rel)
                return
            if len(options) == 1:
                self.check(value, options[0], full, rel)
                return
            if any(a is str for a in options):
                self._scalar(value, str, full, rel)
            return
        if origin is typing.Literal or tp is Any:
            return
        if origin is dict:
            if not isinstance(value, dict):
                self.report(
                    full, rel, f"Cannot deserialize the current JSON value into a dictionary: {_kind(value)}."
                )
                return
            item_type = typing.get_args(tp)[1]
            for key, item in value.items():
                if item is not None:
                    self.check(item, item_type, (*full, key), (*rel, key))
            return
        if origin is list:
            if not isinstance(value, list):
                self.report(full, rel, f"Cannot deserialize the current JSON {_kind(value)} into a list.")
                return
            for index, item in enumerate(value):
                if item is not None:
                    self.check(item, typing.get_args(tp)[0], (*full, index), (*rel, index))
            return
        if _is_enum(tp):
            self._enum(value, tp, full, rel)
            return
        if tp in (str, bool, int, float):
            self._scalar(value, tp, full, rel)
            return
        if _is_model(tp):
            self._model(value, tp, full, rel)

    def _scalar(self, value: Any, tp: type, full: Path, rel: Path) -> None:
        """JSON.NET converts between primitives (number -> string, "true" -> bool); objects never."""
        if isinstance(value, dict | list):
            name = {str: "string", bool: "boolean", int: "integer", float: "double"}[tp]
            token = "StartObject" if isinstance(value, dict) else "StartArray"
            self.report(full, rel, f"Error reading {name}. Unexpected token: {token}.")
            return
        if tp is bool and isinstance(value, str) and value.lower() not in ("true", "false"):
            self.report(full, rel, f"Could not convert string to boolean: {value}.")
        if tp in (int, float) and isinstance(value, str):
            try:
                float(value)
            except ValueError:
                self.report(full, rel, f"Could not convert string to {tp.__name__}: {value}.")

    def _enum(self, value: Any, tp: type[enum.Enum], full: Path, rel: Path) -> None:
        allowed = [str(m.value) for m in tp]
        if isinstance(value, str) and value.lower() in (a.lower() for a in allowed):
            return
        shown = json.dumps(value) if not isinstance(value, dict | list) else _kind(value)
        self.report(
            full,
            rel,
            f"Error converting value {shown} to type '{tp.__name__}' (one of: {', '.join(allowed)}).",
        )

    def _model(self, value: Any, cls: type, full: Path, rel: Path) -> None:
        if not isinstance(value, dict):
            self.report(full, rel, f"Error converting value {_short(value)} to type '{cls.__name__}'.")
            return
        resolved = self._subtype(value, cls, full, rel)
        if resolved is None:
            return
        if resolved is not cls or cls.__dict__.get("__mapping__"):
            rel = ()  # the polymorphic converter reads the object afresh: JSON.NET's Path restarts here
        cls = resolved
        fields = {row[0]: row for row in _fields(cls)}
        for member in value:
            if member not in fields and not _extra(cls, member):
                self.report(
                    (*full, member),
                    (*rel, member),
                    f"Could not find member '{member}' on object of type '{cls.__name__}'.",
                )
        for rest_name, (_, annotation, required, is_discriminator, visibility) in fields.items():
            writable = "create" in visibility or "update" in visibility
            if value.get(rest_name) is None:
                if required and writable and not is_discriminator and not _defaulted(cls, rest_name):
                    self.report(
                        (*full, rest_name),
                        rel,
                        f"Required property '{rest_name}' not found in JSON (object of type '{cls.__name__}').",
                        at=full,
                    )
                continue
            if not writable or is_discriminator:
                continue  # read-only members in a request are known and ignored, as the service does
            self.check(value[rest_name], annotation, (*full, rest_name), (*rel, rest_name))

    def _subtype(self, value: dict[str, Any], cls: type, full: Path, rel: Path) -> type | None:
        """Follow discriminators down the hierarchy; an unknown value is a conversion error."""
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
            enum_name = _discriminator_enum(cls, rest_name)
            if actual is None:
                self.report(
                    (*full, rest_name),
                    (),
                    f"Required property '{rest_name}' not found in JSON (object of type '{cls.__name__}', "
                    f"one of: {', '.join(sorted(mapping))}).",
                    at=full,
                )
                return None
            match = next((sub for key, sub in mapping.items() if key.lower() == str(actual).lower()), None)
            if match is None:
                self.report(
                    (*full, rest_name),
                    (rest_name,),
                    f"Error converting value {json.dumps(actual)} to type '{enum_name}' "
                    f"(one of: {', '.join(sorted(mapping))}).",
                )
                return None
            if match is cls:
                return cls
            cls = match


def _defaulted(cls: type, rest_name: str) -> bool:
    return any((klass.__name__, rest_name) in SERVICE_DEFAULTS for klass in cls.__mro__)


def _extra(cls: type, rest_name: str) -> bool:
    return any((klass.__name__, rest_name) in EXTRA_MEMBERS for klass in cls.__mro__)


def _seen_discriminators(cls: type) -> set[str]:
    """Discriminators already decided by a base class (nested hierarchies use a second one)."""
    names: set[str] = set()
    for base in cls.__mro__[1:]:
        for attr, value in base.__dict__.items():
            if not attr.startswith("_") and getattr(value, "_is_discriminator", False):
                names.add(value._rest_name_input or attr)
    return names


def _discriminator_enum(cls: type, rest_name: str) -> str:
    """The enum the service deserializes a discriminator into (its name when the SDK ships one)."""
    package = _package()
    guess = rest_name[0].upper() + rest_name[1:]
    if hasattr(package, guess) and _is_enum(getattr(package, guess)):
        return guess
    return f"{cls.__name__}.{rest_name}"


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _kind(value: Any) -> str:
    return (
        "object" if isinstance(value, dict) else "array" if isinstance(value, list) else type(value).__name__
    )


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _positions(body: Any) -> dict[Path, int]:
    """Where each member ends in the body as clients serialize it (json.dumps, ", " and ": "): the
    `position` JSON.NET reports. Approximate when the client serialized differently."""
    found: dict[Path, int] = {}
    out: list[str] = []
    length = 0

    def emit(text: str) -> None:
        nonlocal length
        out.append(text)
        length += len(text)

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, dict):
            emit("{")
            for index, (key, item) in enumerate(value.items()):
                if index:
                    emit(", ")
                emit(json.dumps(str(key)))
                found[(*path, key)] = length
                emit(": ")
                walk(item, (*path, key))
            emit("}")
        elif isinstance(value, list):
            emit("[")
            for index, item in enumerate(value):
                if index:
                    emit(", ")
                found[(*path, index)] = length + 1
                walk(item, (*path, index))
            emit("]")
        else:
            emit(json.dumps(value))

    walk(body, ())
    return found
