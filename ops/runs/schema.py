"""Run files: one fine-tuning run as code, loaded and checked against runs/schema.json.

`load_run_file(path)` parses the YAML, validates it with the JSON Schema (every key, type, range and pattern),
then checks what the schema cannot see: the model is in the catalog, the data files exist, the stacks exist.
Every problem is collected and reported at once, each as `<file>:<line>: <message>` with the line of the
offending key or value, in one `RunFileError` (a usage error: exit 2, nothing was changed).

Pure: standard library, PyYAML, jsonschema, `core`, `catalog` and `core.stacks` (stack discovery, so the
stacks a run file may name are exactly the CI's). No Click, no Azure SDK.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import jsonschema
import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from catalog.models import CATALOG, UnknownModelError, get_model
from core.errors import ToolkitError, UsageError
from core.stacks import StackFileError, stack_dir, stack_names

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "runs" / "schema.json"
DEFAULT_MODEL_VERSION = "latest"

OnFailure = Literal["delete", "keep"]
JsonPath = tuple[Any, ...]  # mapping keys and list indices, as jsonschema's `absolute_path`


# ---------------------------------------------------------------------------------------------------------
# The run file, as plain frozen records
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RunData:
    """Training data; paths are absolute (resolved against the run file's directory)."""

    train: Path
    validation: Path | None = None
    validation_fraction: float | None = None


@dataclass(frozen=True, kw_only=True)
class RunHyperparameters:
    """Each None takes the service's default."""

    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunDeploy:
    content_safety: bool = True
    ttl: str | None = None  # like 8h, 2d, 1d12h, 90m, 45s (ops.flows.deploy.parse_duration reads it)
    name: str | None = None  # endpoint name; None: derived from the model


@dataclass(frozen=True, kw_only=True)
class SmokeTest:
    prompt: str
    system: str | None = None


@dataclass(frozen=True, kw_only=True)
class Gate:
    metric: str  # exact_match or token_f1
    min: float


@dataclass(frozen=True, kw_only=True)
class RunEval:
    data: Path
    gate: Gate | None = None
    baseline: str | None = None
    limit: int | None = None
    on_failure: OnFailure = "delete"


@dataclass(frozen=True, kw_only=True)
class RunFile:
    name: str
    model: str  # the catalog's spelling of the name
    model_version: str = DEFAULT_MODEL_VERSION
    stacks: tuple[str, ...] | None = None  # None: every stack in stacks/
    data: RunData
    hyperparameters: RunHyperparameters = field(default_factory=RunHyperparameters)
    deploy: RunDeploy | None = None  # None: train only
    smoke: tuple[SmokeTest, ...] = ()
    eval: RunEval | None = None
    force: bool = False  # allows learning rates above ops.flows.finetune.MAX_LEARNING_RATE (0.01)
    source: Path  # the run file, absolute

    def target_stacks(self, available: Sequence[str]) -> tuple[str, ...]:
        """The stacks this run applies to, given every stack of the repository (in that order)."""
        if self.stacks is None:
            return tuple(available)
        return tuple(s for s in available if s in self.stacks)

    def data_files(self) -> tuple[Path, ...]:
        """Every file the run reads besides itself: training, validation and evaluation data."""
        files = [self.data.train]
        if self.data.validation is not None:
            files.append(self.data.validation)
        if self.eval is not None:
            files.append(self.eval.data)
        return tuple(files)


# ---------------------------------------------------------------------------------------------------------
# Problems
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a run file; `line` is 1-based (None: the file as a whole, e.g. unreadable)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class RunFileError(UsageError):
    """A run file with problems; `details` holds one `<file>:<line>: <message>` line per problem."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"{file}: {count} problem{'' if count == 1 else 's'} in the run file",
            hint="runs/README.md describes every key",
            details=tuple(str(p) for p in problems),
        )
        self.file = file
        self.problems = tuple(problems)


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `2e-5` as a number (YAML 1.1 wants `2.0e-5`; people write 2e-5)."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@functools.cache
def load_schema() -> dict[str, Any]:
    """runs/schema.json (JSON Schema draft 2020-12), read from the repository this package runs from."""
    try:
        schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ToolkitError(
            f"cannot read the run file schema {SCHEMA_PATH}: {exc}",
            hint="run foundry-ops from a checkout of the repository (make install)",
        ) from None
    if not isinstance(schema, dict):
        raise ToolkitError(f"the run file schema {SCHEMA_PATH} is not a JSON object")
    return schema


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(load_schema())


def find_root(start: Path) -> Path | None:
    """The repository root: `start` or its nearest parent holding Pulumi.yaml."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return None


def load_run_file(path: str | Path, *, stacks_dir: Path | None = None) -> RunFile:
    """Read, validate and resolve one run file; every problem at once in a RunFileError.

    `stacks_dir` holds the `Pulumi.<stack>.yaml` files the `stacks:` key may name; default: the stack config
    directory of the repository the run file is in (the nearest parent with Pulumi.yaml).
    """
    shown = str(path)
    source = Path(path).resolve()
    document = _parse(shown, source)
    problems = _Checker(shown, source, document, stacks_dir).check()
    if problems:
        raise RunFileError(shown, problems)
    return _build(source, document.data)


@dataclass
class _Where:
    key_line: int
    value_line: int
    raw: str | None  # the value's source text when a scalar (to say how YAML read it)
    key_raw: str | None = None  # the key's source text (`yes` for the key True)


@dataclass
class _Document:
    data: dict[Any, Any]
    index: dict[JsonPath, _Where]
    duplicates: list[Problem]


def _parse(shown: str, source: Path) -> _Document:
    def fail(line: int | None, message: str) -> RunFileError:
        return RunFileError(shown, [Problem(shown, line, message)])

    try:
        raw = source.read_bytes()
    except OSError as exc:
        raise fail(None, f"cannot read the run file: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise fail(line, f"not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None

    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        duplicates = list(_duplicate_keys(shown, node)) if node is not None else []
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise fail(mark.line + 1 if mark else None, f"not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise fail(None, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()

    if node is None or data is None:
        raise fail(1, "the run file is empty; it needs at least `name`, `model` and `data: {train: ...}`")
    if not isinstance(node, MappingNode) or not isinstance(data, dict):
        kind = _kind(data)
        raise fail(
            node.start_mark.line + 1, f"a run file is a mapping of keys (name, model, data, ...), not {kind}"
        )
    return _Document(data, _index(node), duplicates)


def _index(root: Node) -> dict[JsonPath, _Where]:
    """Every JSON path of the document -> the lines of its key and value (the last of duplicate keys, as
    YAML keeps the last value). A node reached again through an alias is not walked again: no exponential
    walk of nested aliases, no endless one of recursive ones (problems there show the alias's parent line)."""
    index: dict[JsonPath, _Where] = {}
    keys = SafeConstructor()
    seen: set[int] = set()

    def key(node: Node) -> Any:  # a key as the constructed document has it (`yes` is True, `1` is 1)
        if isinstance(node, ScalarNode):
            try:
                return keys.construct_object(node, deep=True)
            except yaml.YAMLError:
                return node.value
        return None

    def walk(node: Node, path: JsonPath) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                here = (*path, key(key_node))
                raw = value_node.value if isinstance(value_node, ScalarNode) else None
                index[here] = _Where(
                    key_node.start_mark.line + 1,
                    value_node.start_mark.line + 1,
                    raw,
                    key_node.value if isinstance(key_node, ScalarNode) else None,
                )
                walk(value_node, here)
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                line = item.start_mark.line + 1
                index[(*path, i)] = _Where(line, line, item.value if isinstance(item, ScalarNode) else None)
                walk(item, (*path, i))

    walk(root, ())
    return index


def _duplicate_keys(shown: str, node: Node) -> Iterator[Problem]:
    """YAML keeps the last of two equal keys silently: each repeat is a problem naming both lines."""
    seen_nodes: set[int] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, MappingNode):
            first: dict[tuple[str, str], int] = {}
            for key_node, value_node in current.value:
                stack.append(value_node)
                if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                line = key_node.start_mark.line + 1
                ident = (key_node.tag, key_node.value)
                if ident in first:
                    yield Problem(
                        shown,
                        line,
                        f"duplicate key {key_node.value!r} (lines {first[ident]} and {line}); "
                        "YAML would keep only the last",
                    )
                else:
                    first[ident] = line
        elif isinstance(current, SequenceNode):
            stack.extend(current.value)


# ---------------------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------------------

_TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__} ({value})"


def _where(path: JsonPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return text.lstrip(".")


def _suggest(word: str, choices: Iterable[str]) -> str | None:
    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    squashed = {c.lower().replace("_", "").replace("-", ""): c for c in options}
    key = word.lower().replace("_", "").replace("-", "")
    if key in squashed:
        return squashed[key]
    containing = [c for c in options if len(word) >= 2 and word.lower() in c.lower()]
    if len(containing) == 1:
        return containing[0]
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.7)
    return lowered[found[0]] if found else None


class _Checker:
    def __init__(self, shown: str, source: Path, document: _Document, stacks_dir: Path | None) -> None:
        self.shown = shown
        self.source = source
        self.data = document.data
        self.index = document.index
        self.problems: list[Problem] = list(document.duplicates)
        self.stacks_dir = stacks_dir
        self.bad: set[JsonPath] = set()

    # lines -------------------------------------------------------------------------------------------------

    def value_line(self, path: JsonPath) -> int:
        found = self.index.get(tuple(path))
        if found is not None:
            return found.value_line
        return self.key_line(path[:-1]) if path else 1

    def key_line(self, path: JsonPath) -> int:
        found = self.index.get(tuple(path))
        if found is not None:
            return found.key_line
        return self.key_line(path[:-1]) if path else 1

    def add(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.shown, line, message))

    # the whole check ---------------------------------------------------------------------------------------

    def check(self) -> list[Problem]:
        for error in _validator().iter_errors(self.data):
            path = tuple(error.absolute_path)
            self.bad.add(path)
            self.schema_error(error, path)
        self.semantics()
        unique: dict[tuple[int, str], Problem] = {}
        for problem in self.problems:
            unique.setdefault((problem.line or 0, problem.message), problem)
        return sorted(unique.values(), key=lambda p: p.line or 0)

    def ok(self, path: JsonPath) -> bool:
        """No schema error at `path` or inside it (the semantic checks skip what the schema refused)."""
        return not any(bad[: len(path)] == path for bad in self.bad)

    # schema errors ----------------------------------------------------------------------------------------

    def schema_error(self, error: jsonschema.ValidationError, path: JsonPath) -> None:
        kind = error.validator
        value = error.instance
        schema = error.schema if isinstance(error.schema, dict) else {}
        where = _where(path)
        line = self.value_line(path)
        if kind == "additionalProperties":
            known = list(schema.get("properties", {}))
            for key in value:
                if key in known:
                    continue
                found = self.index.get((*path, key))
                text = found.key_raw if found and found.key_raw is not None else str(key)
                suggestion = _suggest(text, known)
                tail = f"did you mean {suggestion!r}?" if suggestion else f"known keys: {', '.join(known)}"
                inside = f" in {where}" if where else ""
                self.add(self.key_line((*path, key)), f"unknown key {text!r}{inside} ({tail})")
        elif kind == "required":
            for key in error.validator_value:
                if isinstance(value, dict) and key not in value:
                    inside = f" in {where}" if where else ""
                    self.add(self.key_line(path), f"missing required key {key!r}{inside}")
        elif kind == "type":
            expected = error.validator_value
            names = [_TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)]
            self.add(line, f"{where}: expected {' or '.join(names)}, {self.got(path, value, names)}")
        elif kind == "enum":
            choices = [str(c) for c in error.validator_value]
            suggestion = _suggest(str(value), choices) if isinstance(value, str) else None
            tail = f" (did you mean {suggestion!r}?)" if suggestion else ""
            self.add(line, f"{where}: {value!r} is not one of {', '.join(choices)}{tail}")
        elif kind == "pattern":
            self.add(
                line, f"{where}: {value!r} is not valid: {schema.get('description', error.validator_value)}"
            )
        elif kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            limit = error.validator_value
            text = {
                "minimum": f"is below the minimum {limit}",
                "exclusiveMinimum": f"must be greater than {limit}",
                "maximum": f"is above the maximum {limit}",
                "exclusiveMaximum": f"must be less than {limit}",
            }[kind]
            self.add(line, f"{where}: {value} {text}")
        elif kind == "minLength":
            self.add(line, f"{where}: must not be empty")
        elif kind == "minItems":
            extra = "; leave `stacks` out to mean every stack" if path == ("stacks",) else ""
            self.add(line, f"{where}: must not be an empty list{extra}")
        elif kind == "uniqueItems":
            seen: list[Any] = []
            for i, item in enumerate(value):
                if item in seen:
                    self.add(self.value_line((*path, i)), f"{where}: {item!r} is listed more than once")
                else:
                    seen.append(item)
        elif (
            kind == "not" and isinstance(error.validator_value, dict) and "required" in error.validator_value
        ):
            # dependentSchemas: {A: {not: {required: [B]}}}: A and B exclude each other
            first = str(error.relative_schema_path[-2])
            others = [str(k) for k in error.validator_value["required"]]
            keys = [first, *others]
            lines = [self.key_line((*path, k)) for k in keys]
            shown = " and ".join(f"`{k}`" for k in keys)
            self.add(max(lines), f"{where}: {shown} exclude each other; give only one")
        else:
            self.add(line, f"{where}: {error.message}")

    def got(self, path: JsonPath, value: Any, expected: list[str]) -> str:
        """What the value is, and for a scalar YAML typed unexpectedly, what to write instead."""
        found = self.index.get(tuple(path))
        raw = found.raw if found else None
        got = f"got {_kind(value)}"
        if raw is None:
            return got
        if "a string" in expected and not isinstance(value, str | dict | list):
            return f'got {raw}, which YAML reads as {_kind(value)}; write "{raw}" in quotes'
        if isinstance(value, str) and any(n in ("a whole number", "a number") for n in expected):
            try:
                float(value)
            except ValueError:
                return got
            return f"{got}; remove the quotes"
        if isinstance(value, str) and "true or false" in expected and value.lower() in ("true", "false"):
            return f"{got}; remove the quotes"
        return got

    # checks the schema cannot express ---------------------------------------------------------------------

    def semantics(self) -> None:
        data = self.data
        model = data.get("model")
        if isinstance(model, str) and model and self.ok(("model",)):
            try:
                get_model(model)
            except UnknownModelError:
                suggestion = _suggest(model, CATALOG)
                tail = f" (did you mean {suggestion!r}?)" if suggestion else ""
                self.add(
                    self.value_line(("model",)),
                    f"model: {model!r} is not in the model catalog{tail}; known models: {', '.join(CATALOG)}",
                )

        files: dict[JsonPath, Path] = {}
        for path in (("data", "train"), ("data", "validation"), ("eval", "data")):
            value = _get(data, path)
            if isinstance(value, str) and value and self.ok(path):
                resolved = self.file(path, value)
                if resolved is not None:
                    files[path] = resolved
        train = files.get(("data", "train"))
        for path, what in ((("data", "validation"), "validation"), (("eval", "data"), "evaluation")):
            if train is not None and files.get(path) == train:
                self.add(
                    self.value_line(path),
                    f"{_where(path)}: the same file as data.train; {what} data must be held out from training",
                )

        ttl = _get(data, ("deploy", "ttl"))
        if isinstance(ttl, str) and self.ok(("deploy", "ttl")) and not any(c in "123456789" for c in ttl):
            self.add(self.value_line(("deploy", "ttl")), f"deploy.ttl: {ttl!r} must be longer than zero")

        stacks = data.get("stacks")
        if isinstance(stacks, list):
            named = {i: s for i, s in enumerate(stacks) if isinstance(s, str) and self.ok(("stacks", i))}
            if named:
                self.check_stacks(named)

    def file(self, path: JsonPath, value: str) -> Path | None:
        resolved = (self.source.parent / value).resolve()
        where = _where(path)
        if not resolved.exists():
            self.add(self.value_line(path), f"{where}: no such file {value!r} (looked for {resolved})")
            return None
        if not resolved.is_file():
            self.add(self.value_line(path), f"{where}: {value!r} is not a file ({resolved})")
            return None
        return resolved

    def check_stacks(self, stacks: dict[int, str]) -> None:
        line = self.key_line(("stacks",))
        directory = self.stacks_dir
        try:
            if directory is None:
                root = find_root(self.source.parent)
                if root is None:
                    self.add(
                        line,
                        f"stacks: cannot check them: no Pulumi.yaml in {self.source.parent} or above "
                        "(the stacks are the repository's stacks/Pulumi.<stack>.yaml)",
                    )
                    return
                directory = stack_dir(root)
            known = stack_names(directory)
        except StackFileError as exc:
            self.add(line, f"stacks: cannot check them: {exc}")
            return
        for i, stack in stacks.items():
            if stack in known:
                continue
            suggestion = _suggest(stack, known)
            tail = f" (did you mean {suggestion!r}?)" if suggestion else ""
            self.add(
                self.value_line(("stacks", i)),
                f"stacks[{i}]: no stack {stack!r}{tail}; stacks: {', '.join(known)} "
                f"({directory}/Pulumi.<stack>.yaml)",
            )


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return None
    return data


# ---------------------------------------------------------------------------------------------------------
# Building the records (the document is valid here)
# ---------------------------------------------------------------------------------------------------------


def _build(source: Path, data: dict[str, Any]) -> RunFile:
    base = source.parent

    def path(value: str) -> Path:
        return (base / value).resolve()

    raw_data = data["data"]
    validation = raw_data.get("validation")
    fraction = raw_data.get("validationFraction")
    hyper = data.get("hyperparameters") or {}
    deploy = data.get("deploy")
    evaluation = data.get("eval")
    gate = evaluation.get("gate") if evaluation else None
    learning_rate = hyper.get("learningRate")
    stacks = data.get("stacks")
    return RunFile(
        name=data["name"],
        model=get_model(data["model"]).name,
        model_version=str(data.get("modelVersion", DEFAULT_MODEL_VERSION)),
        stacks=tuple(stacks) if stacks is not None else None,
        data=RunData(
            train=path(raw_data["train"]),
            validation=path(validation) if validation is not None else None,
            validation_fraction=float(fraction) if fraction is not None else None,
        ),
        hyperparameters=RunHyperparameters(
            epochs=int(hyper["epochs"]) if "epochs" in hyper else None,
            learning_rate=float(learning_rate) if learning_rate is not None else None,
            batch_size=int(hyper["batchSize"]) if "batchSize" in hyper else None,
        ),
        deploy=(
            RunDeploy(
                content_safety=bool(deploy.get("contentSafety", True)),
                ttl=deploy.get("ttl"),
                name=deploy.get("name"),
            )
            if deploy is not None
            else None
        ),
        smoke=tuple(SmokeTest(prompt=s["prompt"], system=s.get("system")) for s in data.get("smoke") or ()),
        eval=(
            RunEval(
                data=path(evaluation["data"]),
                gate=Gate(metric=gate["metric"], min=float(gate["min"])) if gate is not None else None,
                baseline=evaluation.get("baseline"),
                limit=int(evaluation["limit"]) if "limit" in evaluation else None,
                on_failure=cast(OnFailure, evaluation.get("onFailure", "delete")),
            )
            if evaluation is not None
            else None
        ),
        force=bool(data.get("force", False)),
        source=source,
    )
