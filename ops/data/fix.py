"""`data fix`: a cleaned copy of a training file, and a report of every change made to get it.

What changes, line by line (line numbers are the input file's):

- a blank line is removed;
- leading and trailing whitespace of every message's content is trimmed; a message left empty makes
  its example invalid (empty_content), so it is dropped;
- an example with any error-level issue is dropped. The rules are the validator's own (scan.py's
  messages, checks.check_example, the model's token count against its context length), so the copy
  passes `data validate` with the same model;
- an exact duplicate of an earlier kept example (same roles and contents, after trimming) is dropped;
  the first stays.

File-wide, a UTF-8 byte-order mark is dropped, CRLF line ends become LF and the last line gets its
newline; those are reported on line 0 (or the last line). Warnings (no system message, credentials,
...) are left alone: `data validate` still shows them.

Two streaming passes. The first decides: the file's byte ranges are examined in worker processes, as
`data validate` checks them, and their findings merged in file order, duplicates across ranges through
the bounded DuplicateFinder. The second writes a temporary file in the output's directory, renamed
into place only once complete. Memory grows with the number of changes (every one is reported), not
with the file.
"""

import json
import os
import sys
from array import array
from collections import Counter
from collections.abc import Iterator
from typing import Any, NamedTuple

from catalog.models import ModelInfo, get_model
from core.errors import ToolkitError, UsageError
from ops.data.checks import Issue, category_is_error, check_example, example_key
from ops.data.dedup import DuplicateFinder
from ops.data.digest import sha256_for
from ops.data.files import atomic_write, check_input_file, file_error, same_file, stamp, tidy_path
from ops.data.reader import BOM, Line, Oversize, iter_blocks, plan_ranges
from ops.data.rules import MAX_FILE_BYTES, MAX_LINE_BYTES, too_few_examples
from ops.data.scan import (
    SURROGATE_MESSAGE,
    invalid_json_message,
    not_utf8_message,
    oversize_message,
    too_long_message,
)
from ops.data.tokens import TokenCounter
from ops.data.validate import RANGE_BYTES, default_workers, resolve_model

ACTIONS = ("dropped", "trimmed", "removed", "normalised")
_READ = 1 << 20


class Change(NamedTuple):
    line: int  # the input file's line, 1-based; 0 means the whole file
    action: str  # one of ACTIONS
    reason: str
    categories: tuple[str, ...] = ()  # rule categories behind the change (rules.py)

    def to_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "action": self.action,
            "categories": list(self.categories),
            "reason": self.reason,
        }


class FixResult(NamedTuple):
    source: str
    out: str
    model: str
    lines: int  # physical lines read
    examples: int  # non-blank lines read
    kept: int  # examples in the copy
    written: bool  # False when no valid example was left (nothing written)
    changes: list[Change]
    sha256: str | None = None
    remaining: tuple[Issue, ...] = ()  # file-wide rules the copy still breaks
    purpose: str = "training"  # or "validation" (--for): which minimum `remaining` was checked against

    def counts(self) -> dict[str, int]:
        found = Counter(c.action for c in self.changes)
        return {action: found[action] for action in ACTIONS if found[action]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "file": self.source,
            "out": self.out,
            "model": self.model,
            "purpose": self.purpose,
            "lines": self.lines,
            "examples": self.examples,
            "kept": self.kept,
            "sha256": self.sha256,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
            "remaining": [{"category": c, "message": m} for c, m in self.remaining],
        }


def trim_contents(obj: Any) -> list[str]:
    """Strip leading/trailing whitespace from every string content of `obj`'s messages, in place;
    returns the messages changed, as "message 2 (user)"."""
    trimmed: list[str] = []
    messages = obj.get("messages") if type(obj) is dict else None
    if type(messages) is not list:
        return trimmed
    for number, message in enumerate(messages, 1):
        if type(message) is not dict:
            continue
        content = message.get("content")
        if type(content) is str:
            stripped = content.strip()
            if stripped != content:
                message["content"] = stripped
                role = message.get("role")
                trimmed.append(f"message {number} ({role})" if type(role) is str else f"message {number}")
    return trimmed


def examine(raw: bytes, counter: TokenCounter) -> tuple[list[Issue], list[tuple[str, str]] | None, list[str]]:
    """One non-blank line, trimmed, against every per-example error rule of the validator.

    Returns (errors, turns, trimmed messages): turns is None when the example has errors."""
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        return [("not_utf8", not_utf8_message(raw, exc))], None, []
    try:
        obj = json.loads(text)
    except ValueError as exc:
        return [("invalid_json", invalid_json_message(exc))], None, []
    trimmed = trim_contents(obj)
    checked = check_example(obj)
    errors = [(c, m) for c, m in checked.issues if category_is_error(c)]
    if errors or checked.turns is None:
        return errors, None, trimmed
    try:
        tokens = counter.count_example(checked.turns)
    except UnicodeEncodeError:
        return [("bad_content", SURROGATE_MESSAGE)], None, trimmed
    if tokens > counter.context_length:
        return [("too_long", too_long_message(tokens, counter))], None, trimmed
    return [], checked.turns, trimmed


class _RangePlan:
    """What the first pass found in one byte range; lines are numbered from 1 within the range (a worker
    sends this back, and the parent shifts the numbers)."""

    __slots__ = ("changes", "digests", "dropped", "examples", "lines", "numbers", "trimmed")

    def __init__(self) -> None:
        self.lines = 0
        self.examples = 0
        self.changes: list[Change] = []
        self.dropped: set[int] = set()
        self.trimmed: dict[int, list[str]] = {}  # kept lines whose contents were trimmed
        self.digests: array[int] = array("Q")  # checks.example_key of each kept example
        self.numbers: array[int] = array("Q")  # ... and its line

    def drop(self, line: int, issues: list[Issue], trimmed: list[str]) -> None:
        words = []
        for category, message in issues:
            if category == "empty_content" and any(message.startswith(t + " ") for t in trimmed):
                message += " after trimming whitespace"
            words.append(f"{category}: {message}")
        categories = tuple(dict.fromkeys(c for c, _ in issues))
        self.changes.append(Change(line, "dropped", "; ".join(words), categories))
        self.dropped.add(line)


class _Plan:
    """What the copy leaves out or changes: the ranges' findings in file order, duplicates across them."""

    def __init__(self) -> None:
        self.lines = 0
        self.examples = 0
        self.changes: list[Change] = []
        self.dropped: set[int] = set()
        self.trimmed: dict[int, list[str]] = {}

    def add(self, part: _RangePlan, dups: DuplicateFinder) -> None:
        offset = self.lines
        self.changes += [c._replace(line=c.line + offset) for c in part.changes]
        self.dropped.update(line + offset for line in part.dropped)
        self.trimmed.update((line + offset, messages) for line, messages in part.trimmed.items())
        dups.add(part.digests, part.numbers, offset)
        self.lines += part.lines
        self.examples += part.examples


def _lines(path: str) -> Iterator[tuple[int, Line]]:
    number = 0
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, 0, os.stat(path).st_size, MAX_LINE_BYTES):
            for raw in lines:
                number += 1
                yield number, raw


def _is_blank(raw: Line) -> bool:
    return isinstance(raw, bytes) and (not raw or raw.isspace())


def _plan_range(path: str, start: int, end: int, counter: TokenCounter) -> _RangePlan:
    part = _RangePlan()
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, start, end, MAX_LINE_BYTES):
            for raw in lines:
                part.lines += 1
                number = part.lines
                if _is_blank(raw):
                    part.changes.append(Change(number, "removed", "blank line", ("blank_line",)))
                    continue
                part.examples += 1
                if isinstance(raw, Oversize):
                    part.drop(number, [("too_long", oversize_message(raw.length, MAX_LINE_BYTES))], [])
                    continue
                errors, turns, trimmed = examine(raw, counter)
                if turns is None:
                    part.drop(number, errors, trimmed)
                    continue
                if trimmed:
                    part.trimmed[number] = trimmed
                part.digests.append(int.from_bytes(example_key(turns), "big"))
                part.numbers.append(number)
    return part


# The counter a worker uses: inherited through fork, or built by _init_worker under spawn.
_WORKER_COUNTER: TokenCounter | None = None


def _init_worker(model: str) -> None:
    global _WORKER_COUNTER
    _WORKER_COUNTER = TokenCounter(get_model(model))


def _plan_task(task: tuple[str, int, int]) -> _RangePlan:
    path, start, end = task
    assert _WORKER_COUNTER is not None  # set by _init_worker in every worker
    return _plan_range(path, start, end, _WORKER_COUNTER)


def _ranges_planned(
    source: str, ranges: list[tuple[int, int]], counter: TokenCounter, workers: int
) -> Iterator[_RangePlan]:
    if workers == 1:
        for start, end in ranges:
            yield _plan_range(source, start, end, counter)
        return
    global _WORKER_COUNTER
    _WORKER_COUNTER = counter  # forked workers inherit the loaded tokenizer's pages
    from ops.data import pool

    tasks = [(source, start, end) for start, end in ranges]
    yield from pool.in_order(_plan_task, tasks, workers, _init_worker, (counter.model,))


def _plan(source: str, counter: TokenCounter, dups: DuplicateFinder, workers: int, range_bytes: int) -> _Plan:
    ranges = plan_ranges(os.stat(source).st_size, range_bytes)
    plan = _Plan()
    for part in _ranges_planned(source, ranges, counter, max(1, min(workers, len(ranges)))):
        plan.add(part, dups)
    _, pairs = dups.duplicates(sys.maxsize)
    for line, original in pairs:
        after = " after trimming whitespace" if plan.trimmed.pop(line, None) else ""
        plan.changes.append(
            Change(line, "dropped", f"duplicate: same example as line {original}{after}", ("duplicate",))
        )
        plan.dropped.add(line)
    for line, messages in plan.trimmed.items():
        plan.changes.append(
            Change(line, "trimmed", "leading/trailing whitespace trimmed: " + ", ".join(messages))
        )
    return plan


def _line_ends(path: str) -> tuple[bool, int, bool]:
    """(starts with a UTF-8 BOM, how many CRLF line ends, ends with a newline)."""
    crlf = 0
    last = b""
    with open(path, "rb") as f:
        bom = f.read(len(BOM)) == BOM
        f.seek(0)
        while block := f.read(_READ):
            crlf += block.count(b"\r\n") + (last == b"\r" and block.startswith(b"\n"))
            last = block[-1:]
    return bom, crlf, last in (b"", b"\n")


def _file_changes(source: str, plan: _Plan) -> list[Change]:
    bom, crlf, final_newline = _line_ends(source)
    changes = []
    if bom:
        changes.append(Change(0, "normalised", "UTF-8 byte-order mark removed"))
    if crlf:
        changes.append(Change(0, "normalised", f"{crlf:,} CRLF line end(s) written as LF"))
    last = plan.lines
    if not final_newline and last and last not in plan.dropped:
        changes.append(Change(last, "normalised", "newline added at the end of the last line"))
    return changes


def _check_target(source: str, target: str, force: bool) -> None:
    if same_file(source, target):
        raise UsageError(f"{target}: is the input file; write the cleaned copy to another --out")
    if os.path.isdir(target):
        raise UsageError(f"{target}: is a directory; --out takes a file name")
    if os.path.lexists(target) and not force:
        raise UsageError(f"{target}: already exists; pass --force to replace it")
    parent = os.path.dirname(target) or os.curdir
    if not os.path.isdir(parent):
        if os.path.lexists(parent):
            raise UsageError(f"{target}: cannot write: {parent} is not a directory")
        raise UsageError(f"{target}: cannot write: no such directory {parent}")


def _retrimmed(raw: bytes) -> bytes:
    obj = json.loads(raw.decode())
    trim_contents(obj)
    return json.dumps(obj, ensure_ascii=False).encode()


def fix_file(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    model: str | ModelInfo | None = None,
    force: bool = False,
    workers: int | None = None,
    range_bytes: int = RANGE_BYTES,
    validation: bool = False,
) -> FixResult:
    """Write a cleaned copy of `path` to `out` (see the module) and report every change.

    Raises UsageError for bad paths (`out` is `path`, exists without `force`, is a directory, its
    directory is missing or not writable) and a one-line ToolkitError if reading or writing fails;
    nothing is written then. When no valid example is left, nothing is written and the result says so
    (`written` False). `workers` processes examine the file's ranges of `range_bytes` (default: one per
    CPU available; a file of one range is examined in this process). `validation`: the copy is
    validation data, which needs one example rather than training's ten."""
    source = tidy_path(check_input_file(path))
    info = resolve_model(model)
    target = tidy_path(out)
    _check_target(source, target, force)
    counter = TokenCounter(info)
    try:
        before = stamp(source)
        with DuplicateFinder() as dups:
            plan = _plan(source, counter, dups, workers or default_workers(), range_bytes)
        changes = sorted(plan.changes + _file_changes(source, plan), key=lambda c: c.line)
    except OSError as exc:
        raise file_error(exc, path, "read") from None
    kept = plan.examples - len(plan.dropped)
    purpose = "validation" if validation else "training"
    result = FixResult(
        str(path), str(out), info.name, plan.lines, plan.examples, kept, False, changes, purpose=purpose
    )
    if not kept:
        return result

    digest = sha256_for(os.stat(source).st_size)
    size = 0
    with atomic_write(target) as handle:
        try:
            for number, raw in _lines(source):
                if number in plan.dropped or _is_blank(raw) or not isinstance(raw, bytes):
                    continue
                data = (_retrimmed(raw) if number in plan.trimmed else raw) + b"\n"
                handle.write(data)
                digest.update(data)
                size += len(data)
            if stamp(source) != before:
                raise ToolkitError(f"{path}: changed while it was being fixed; {out} was not written")
        except OSError as exc:
            if exc.filename is None or os.fspath(exc.filename) != source:
                raise
            raise file_error(exc, path, "read") from None
    remaining: list[Issue] = []
    too_few = too_few_examples(kept, validation=validation, left=" left")
    if too_few is not None:
        remaining.append(("too_few_examples", too_few))
    if size > MAX_FILE_BYTES:
        remaining.append(("file_too_large", f"{size:,} bytes; the service takes files up to 512 MB"))
    return FixResult(
        str(path),
        str(out),
        info.name,
        plan.lines,
        plan.examples,
        kept,
        True,
        changes,
        digest.hexdigest(),
        tuple(remaining),
        purpose,
    )
