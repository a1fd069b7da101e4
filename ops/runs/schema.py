"""Run files: one fine-tuning run as code, loaded and checked against runs/schema.json.

`load_run_file(path)` parses the YAML, validates it with the JSON Schema (every key, type, range and pattern),
then checks what the schema cannot see: the model is in the catalog, the data files exist, the stacks exist.
Every problem is collected and reported at once, each as `<file>:<line>: <message>` with the line of the
offending key or value, in one `RunFileError` (a usage error: exit 2, nothing was changed).

This module holds the checks; the records live in `ops.runs.model`, the line-keeping YAML
reading in `ops.runs.yaml_lines`, the wording of problems in `ops.runs.wording` and the building of the
record in `ops.runs.build`.

Pure: standard library, PyYAML, jsonschema, `core`, `catalog`, `core.stacks` (stack discovery, so the
stacks a run file may name are exactly the CI's) and `ops.limits` (the bounds `finetune submit` applies too).
No Click, no Azure SDK.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema

from catalog.models import CATALOG, UnknownModelError, get_model
from core.errors import ToolkitError
from core.stacks import StackFileError, stack_dir, stack_names
from core.words import closest
from ops.limits import MAX_LEARNING_RATE
from ops.runs import wording
from ops.runs.build import build_run_file
from ops.runs.model import Problem, RunFile, RunFileError
from ops.runs.wording import JsonPath
from ops.runs.yaml_lines import Document, parse_document

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "runs" / "schema.json"


# ---------------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------------


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


def load_run_file(
    path: str | Path, *, stacks_dir: Path | None = None, stacks: Sequence[str] | None = None
) -> RunFile:
    """Read, validate and resolve one run file; every problem at once in a RunFileError.

    `stacks_dir` holds the `Pulumi.<stack>.yaml` files the `stacks:` key may name; default: the stack config
    directory of the repository the run file is in (the nearest parent with Pulumi.yaml). A caller that has
    read them already (the matrix, for every run file) passes their names as `stacks`: then no stack file is
    read, and `stacks_dir` only names the directory in problems.
    """
    shown = str(path)
    source = Path(path).resolve()
    document = parse_document(shown, source)
    problems = _Checker(shown, source, document, stacks_dir, stacks).check()
    if problems:
        raise RunFileError(shown, problems)
    name = document.index.get(("name",))
    return build_run_file(source, document.data, name_line=name.key_line if name else None)


# ---------------------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------------------


class _Checker:
    def __init__(
        self,
        shown: str,
        source: Path,
        document: Document,
        stacks_dir: Path | None,
        stacks: Sequence[str] | None,
    ) -> None:
        self.shown = shown
        self.source = source
        self.data = document.data
        self.index = document.index
        self.problems: list[Problem] = list(document.duplicates)
        self.stacks_dir = stacks_dir
        self.known_stacks = stacks
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
        where = wording.where(path)
        line = self.value_line(path)
        if kind == "additionalProperties":
            known = list(schema.get("properties", {}))
            for key in value:
                if key in known:
                    continue
                found = self.index.get((*path, key))
                text = found.key_raw if found and found.key_raw is not None else str(key)
                suggestion = closest(text, known)
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
            names = [
                wording.TYPE_NAMES.get(t, t) for t in ([expected] if isinstance(expected, str) else expected)
            ]
            self.add(line, f"{where}: expected {' or '.join(names)}, {self.got(path, value, names)}")
        elif kind == "enum":
            choices = [str(c) for c in error.validator_value]
            suggestion = closest(str(value), choices) if isinstance(value, str) else None
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
        got = f"got {wording.kind(value)}"
        if raw is None:
            return got
        if path and path[-1] == "ttl" and type(value) is int and value > 0:
            return f"got {raw}, a number with no unit; write a duration such as {raw}h (or 2d, 90m)"
        if "a string" in expected and not isinstance(value, str | dict | list):
            return f'got {raw}, which YAML reads as {wording.kind(value)}; write "{raw}" in quotes'
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
                suggestion = closest(model, CATALOG)
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
                    f"{wording.where(path)}: the same file as data.train; {what} data must be held out from training",
                )

        rate_at = ("hyperparameters", "learningRate")
        rate = _get(data, rate_at)
        force = data.get("force") is True or not self.ok(("force",))  # a broken `force` is its own problem
        if isinstance(rate, int | float) and self.ok(rate_at) and rate > MAX_LEARNING_RATE and not force:
            self.add(
                self.value_line(rate_at),
                f"hyperparameters.learningRate: {rate:g} is above the maximum {MAX_LEARNING_RATE:g} without "
                "`force: true` (the rate is absolute, Microsoft's samples use 0.00002; above "
                f"{MAX_LEARNING_RATE:g} it destroys what the model learned in pretraining)",
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
        where = wording.where(path)
        if not resolved.exists():
            self.add(self.value_line(path), f"{where}: no such file {value!r} (looked for {resolved})")
            return None
        if not resolved.is_file():
            self.add(self.value_line(path), f"{where}: {value!r} is not a file ({resolved})")
            return None
        return resolved

    def check_stacks(self, stacks: dict[int, str]) -> None:
        if self.known_stacks is not None:
            directory, known = self.stacks_dir, list(self.known_stacks)
        else:
            found = self.read_stacks()
            if found is None:
                return
            directory, known = found
        where = f" ({directory}/Pulumi.<stack>.yaml)" if directory is not None else ""
        for i, stack in stacks.items():
            if stack in known:
                continue
            suggestion = closest(stack, known)
            tail = f" (did you mean {suggestion!r}?)" if suggestion else ""
            self.add(
                self.value_line(("stacks", i)),
                f"stacks[{i}]: no stack {stack!r}{tail}; stacks: {', '.join(known)}{where}",
            )

    def read_stacks(self) -> tuple[Path, list[str]] | None:
        """(the stack directory, its stack names); None, with a problem on the `stacks` line, if unreadable."""
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
                    return None
                directory = stack_dir(root)
            return directory, stack_names(directory)
        except StackFileError as exc:
            self.add(line, f"stacks: cannot check them: {exc}")
            return None


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return None
    return data
