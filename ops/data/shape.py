"""What a file that fails as JSON Lines is instead: one JSON document (an array of examples, or one object)
written over many lines or on one. Every line of it then fails, and `data fix` would drop them all, so the
hint says how to make JSONL of it. Read only on the way to an error message."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

HEAD_BYTES = 4096


def json_document_hint(path: str, categories: Iterable[str], lines: int) -> str | None:
    """The hint for `path` when its errors (`categories`) and line count say it is one JSON document: a
    pretty-printed array or object (every line invalid_json), or an array on one line (not_object)."""
    if not {"invalid_json", "not_object"} & set(categories):
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES).removeprefix(b"\xef\xbb\xbf").lstrip()
    except OSError:
        return None
    first = head.split(b"\n", 1)[0].strip()
    quoted = shlex.quote(path)
    if head[:1] == b"[" and (first == b"[" or lines == 1):
        return f"{path} looks like one JSON array; JSONL is one example per line: `jq -c '.[]' {quoted} > OUT.jsonl`"
    if first == b"{":
        return (
            f"{path} looks like one JSON object over many lines; JSONL is one example per line: "
            f"`jq -c . {quoted} > OUT.jsonl`"
        )
    return None
