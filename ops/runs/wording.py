"""How run-file problems name things: a value's kind, a JSON path, the closest known word.

Shared by the YAML reading (`ops.runs.yaml_lines`) and the checks (`ops.runs.schema`), so a value is
described the same way wherever it is wrong. Pure: standard library only.
"""

from __future__ import annotations

from typing import Any

JsonPath = tuple[Any, ...]  # mapping keys and list indices, as jsonschema's `absolute_path`

TYPE_NAMES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def kind(value: Any) -> str:
    """What a value is, as a problem says it: `the string 'x'`, `a number (3)`, `a mapping`, ..."""
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


def where(path: JsonPath) -> str:
    """A JSON path as problems show it: `data.train`, `smoke[0].prompt`, `stacks[1]`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) and not isinstance(part, bool) else f".{part}"
    return text.lstrip(".")
