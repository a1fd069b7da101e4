"""Deterministic names for what the workflow creates, so that repeating a command finds, not duplicates.

A job's name is a hash of everything that defines it; an endpoint's name carries a short hash of the
model it serves (serverless endpoint names are unique beyond one project, so a bare model name collides);
a data asset's version is a prefix of the file's sha256.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path
from typing import Any

ENDPOINT_NAME_MAX = 32
_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str, limit: int = 40) -> str:
    """Lower-case letters, digits and single hyphens; never empty, never starting with a digit."""
    value = _SLUG.sub("-", text.lower()).strip("-")[:limit].strip("-")
    if not value or not value[0].isalpha():
        value = ("x-" + value).strip("-")[:limit]
    return value


def digest(data: Any) -> str:
    """sha256 of a canonical JSON rendering: equal inputs give equal names across runs and machines."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_version(sha256: str) -> str:
    """Content-addressed data asset version: the same bytes always map to the same version."""
    return sha256[:12]


def data_name(path: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-_")[:100]
    return name or "dataset"


def job_name(model: str, inputs: dict[str, Any], *, new: bool = False) -> str:
    """`ft-<model>-<hash of inputs>`; --new appends a random token to force a fresh job."""
    name = f"ft-{slug(model, 30)}-{digest(inputs)[:12]}"
    return f"{name}-{secrets.token_hex(3)}" if new else name


def output_model_name(model: str, suffix: str | None, inputs: dict[str, Any]) -> str:
    tail = slug(suffix, 30) if suffix else digest(inputs)[:8]
    return f"{slug(model, 40)}-ft-{tail}"


def endpoint_name(model_name: str, model_id: str, attempt: int = 0) -> str:
    """`<model>-<hash>`; `attempt` > 0 gives the next candidate when a name is taken elsewhere."""
    tail = digest(model_id if attempt == 0 else f"{model_id}#{attempt}")[:6]
    head = slug(model_name, ENDPOINT_NAME_MAX - len(tail) - 1)
    return f"{head}-{tail}"
