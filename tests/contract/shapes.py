"""Structural comparison of an emulator answer with a recorded (or documented) one.

Values in the fixtures are placeholders (sanitized ids, "string", example numbers), so what is compared is
structure: the same keys with the same casing at every level, the same JSON kinds (object, array, string,
number, boolean; null on either side matches anything, as a value may be unset in one of them), the same
status, and the same set of protocol headers. Maps whose keys are user data (tags, hyperParameters, ...)
are not compared key by key; maps of objects (outputs, registryFqdns, ...) have their values compared with
the recorded values' shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

FIXTURES = Path(__file__).parent / "fixtures"

# Keys are user data: nothing inside is schema.
OPAQUE_MAPS = frozenset({"tags", "hyperParameters", "headers", "data", "environmentVariables"})
# Keys are names (output names, regions, identities): every value has the shape of the recorded values.
OBJECT_MAPS = frozenset(
    {"outputs", "inputs", "registryFqdns", "userAssignedIdentities", "endpointResources", "flavors"}
)
# Protocol headers whose presence must agree with the recording.
CHECKED_HEADERS = ("Location", "Azure-AsyncOperation", "x-ms-response-type", "x-ms-failure-cause")
_WS_PATH = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.MachineLearningServices/workspaces/[^/]+"
)


def fixture(relative: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / relative).read_text(encoding="utf-8"))
    return loaded


def shape_diff(
    expected: Any, actual: Any, ignore: Iterable[str] = (), path: str = "", *, extra_ok: bool = False
) -> list[str]:
    """Every structural difference of `actual` from `expected` (empty: same shape). `ignore` names dotted
    paths (e.g. "properties.notebookInfo") the caller knows the emulator does not model. `extra_ok`:
    members the expected body lacks are fine (REST examples are schema-generated and leave out members
    the live service sends, such as autoDeleteSetting or services)."""
    skip = set(ignore)
    found: list[str] = []
    _diff(expected, actual, path, skip, found, extra_ok)
    return found


def _diff(
    expected: Any, actual: Any, path: str, skip: set[str], found: list[str], extra_ok: bool = False
) -> None:
    if expected is None or actual is None or path in skip:
        return
    where = path or "<body>"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            found.append(f"{where}: recorded an object, got {_kind(actual)}")
            return
        last = path.rsplit(".", 1)[-1]
        if last in OPAQUE_MAPS or path.endswith("properties.properties") or path == "properties.properties":
            return
        if last in OBJECT_MAPS:
            samples = [v for k, v in expected.items() if not k.startswith("_trimmed")]
            for key, value in actual.items():
                if samples:
                    _diff(samples[0], value, f"{path}.{key}", skip, found, extra_ok)
            return
        wanted = {k for k in expected if not k.startswith("_trimmed")}
        lowered = {k.lower(): k for k in actual}
        for key in sorted(wanted - set(actual)):
            child = f"{path}.{key}" if path else key
            if child in skip:
                continue
            twin = lowered.get(key.lower())
            found.append(f"{child}: missing" + (f" (the emulator spells it {twin!r})" if twin else ""))
        for key in sorted(set(actual) - wanted):
            child = f"{path}.{key}" if path else key
            if child not in skip and key.lower() not in {w.lower() for w in wanted} and not extra_ok:
                found.append(f"{child}: not in the recorded body")
        for key in sorted(wanted & set(actual)):
            _diff(expected[key], actual[key], f"{path}.{key}" if path else key, skip, found, extra_ok)
        return
    if isinstance(expected, list):
        if not isinstance(actual, list):
            found.append(f"{where}: recorded an array, got {_kind(actual)}")
            return
        if expected and actual:
            _diff(expected[0], actual[0], f"{path}[]", skip, found, extra_ok)
        return
    if _kind(expected) != _kind(actual):
        found.append(f"{where}: recorded a {_kind(expected)}, got {_kind(actual)}")


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def header_diff(recorded: dict[str, str], actual: Any, resource_path: str | None = None) -> list[str]:
    """Protocol headers: each of CHECKED_HEADERS present in one answer is present in the other; recorded
    values of x-ms-response-type / x-ms-failure-cause match; with `resource_path` (the recorded Location
    names the resource itself, as on a 201) the emulator's Location names that path."""
    got = {k.lower(): v for k, v in dict(actual).items()}
    have = {k.lower(): v for k, v in recorded.items()}
    found: list[str] = []
    for name in CHECKED_HEADERS:
        key = name.lower()
        if (key in have) != (key in got):
            found.append(f"header {name}: {'missing' if key in have else 'not in the recorded answer'}")
            continue
        if key in ("x-ms-response-type", "x-ms-failure-cause") and key in have and have[key] != got[key]:
            found.append(f"header {name}: {got[key]!r}, recorded {have[key]!r}")
    if resource_path and "location" in got and urlsplit(got["location"]).path != resource_path:
        found.append(f"header Location: {got['location']!r} does not name {resource_path}")
    return found


def to_project(recorded_path: str, project: str) -> str:
    """A recorded workspace path (sanitized ids) as the same path in the emulator's project."""
    return _WS_PATH.sub(project, urlsplit(recorded_path).path)


def without_position(message: str) -> str:
    """A JSON.NET message without its `, line 1, position N.` (positions depend on serialization)."""
    return re.sub(r", line \d+, position \d+\.$", ".", message)
