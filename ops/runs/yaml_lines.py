"""Reading a run file's YAML so that every value keeps its source line.

`parse_document` reads the file, composes the YAML once and returns the data with an index from each JSON
path to the lines of its key and value, plus the duplicate keys YAML would silently drop. `RunLoader` is
the SafeLoader that also reads `2e-5` as a number. Problems found while reading (unreadable, not UTF-8,
not YAML, empty, not a mapping) raise a `RunFileError` with the offending line.

Pure: standard library, PyYAML and `ops.runs` only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ops.runs.model import Problem, RunFileError
from ops.runs.wording import JsonPath, kind


class RunLoader(yaml.SafeLoader):
    """SafeLoader that also reads `2e-5` as a number (YAML 1.1 wants `2.0e-5`; people write 2e-5)."""


RunLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


@dataclass
class Where:
    key_line: int
    value_line: int
    raw: str | None  # the value's source text when a scalar (to say how YAML read it)
    key_raw: str | None = None  # the key's source text (`yes` for the key True)


@dataclass
class Document:
    data: dict[Any, Any]
    index: dict[JsonPath, Where]
    duplicates: list[Problem]


def parse_document(shown: str, source: Path) -> Document:
    """Read and compose one run file; a file that is no YAML mapping is a RunFileError (one problem)."""

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

    loader = RunLoader(text)
    try:
        node = loader.get_single_node()
        duplicates = list(duplicate_keys(shown, node)) if node is not None else []
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
        raise fail(
            node.start_mark.line + 1,
            f"a run file is a mapping of keys (name, model, data, ...), not {kind(data)}",
        )
    return Document(data, index_lines(node), duplicates)


def index_lines(root: Node) -> dict[JsonPath, Where]:
    """Every JSON path of the document -> the lines of its key and value (the last of duplicate keys, as
    YAML keeps the last value). A node reached again through an alias is not walked again: no exponential
    walk of nested aliases, no endless one of recursive ones (problems there show the alias's parent line)."""
    index: dict[JsonPath, Where] = {}
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
                index[here] = Where(
                    key_node.start_mark.line + 1,
                    value_node.start_mark.line + 1,
                    raw,
                    key_node.value if isinstance(key_node, ScalarNode) else None,
                )
                walk(value_node, here)
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                line = item.start_mark.line + 1
                index[(*path, i)] = Where(line, line, item.value if isinstance(item, ScalarNode) else None)
                walk(item, (*path, i))

    walk(root, ())
    return index


def duplicate_keys(shown: str, node: Node) -> Iterator[Problem]:
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
