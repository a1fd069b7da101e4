"""Check one byte range of a training file: the unit of work a validation process runs.

A range's result is small whatever the range's size: issues are capped per category (the rest
counted), token counts kept as a histogram, and only 16 bytes per valid example (digest and line)
travel back for the file-wide duplicate check. Line numbers are local to the range; the caller
shifts them.
"""

from __future__ import annotations

import json
from array import array
from collections import Counter
from json.scanner import make_scanner
from typing import TYPE_CHECKING, Any, cast

from ops.data.checks import check_example, clean_turns, example_key
from ops.data.digest import blake2b
from ops.data.reader import Oversize, iter_blocks
from ops.data.rules import MAX_LINE_BYTES, NEAR_LIMIT_FRACTION

if TYPE_CHECKING:
    from ops.data.tokens import TokenCounter

MAX_SYSTEMS = 256  # distinct system messages tracked exactly; the rest are counted together


class RangeResult:
    """What one range's scan sends back to the merging process (pickled between processes)."""

    __slots__ = (
        "counts", "digest_lines", "digests", "examples", "issues", "lines", "message_histogram",
        "other_systems", "systems", "token_histogram", "tokens_total", "valid", "valid_tokens", "with_system",
    )  # fmt: skip

    def __init__(self) -> None:
        self.lines = 0
        self.examples = 0  # non-blank lines
        self.valid = 0  # examples without errors
        self.issues: dict[str, list[tuple[int, str]]] = {}  # the first `cap` per category
        self.counts: Counter[str] = Counter()
        self.digests: array[int] = array("Q")
        self.digest_lines: array[int] = array("Q")
        self.systems: dict[bytes, list[int]] = {}  # digest -> [count, first line]
        self.other_systems = [0, 0]  # [count, first line] past MAX_SYSTEMS
        self.with_system = 0
        self.token_histogram: Counter[int] = Counter()
        self.tokens_total = 0  # every counted example, over-long ones included
        self.valid_tokens = 0  # examples without errors only: what training bills
        self.message_histogram: Counter[int] = Counter()  # messages per valid example

    def add(self, line: int, category: str, message: str, cap: int) -> None:
        self.counts[category] += 1
        listed = self.issues.setdefault(category, [])
        if len(listed) < cap:
            listed.append((line, message))


MASK64 = (1 << 64) - 1


def scan_range(
    path: str,
    start: int,
    end: int,
    counter: TokenCounter | None,
    cap: int,
    max_line: int = MAX_LINE_BYTES,
    *,
    stable_digests: bool = True,
    secrets: bool = True,
) -> RangeResult:
    """Check every line owned by [start, end) of `path`.

    `secrets` turns the credential scan on (it costs about as much as the rest of a structure check).
    Duplicate digests are blake2b (stable across processes) unless `stable_digests` is false: then
    Python's own hash of the turns is used, about ten times cheaper, which is only comparable between
    processes that share the interpreter's hash secret (forked from one parent).
    """
    if secrets:  # the credential patterns are loaded only by a scan that looks for credentials
        from ops.data.secrets import candidates, find_secret
    result = RangeResult()
    add = result.add
    loads = json.loads
    scan_once = make_scanner(cast(Any, json.JSONDecoder()))
    digests, digest_lines = result.digests, result.digest_lines
    systems: dict[str, list[int]] = {}
    histogram = result.token_histogram
    messages_per_example = result.message_histogram
    count_example = counter.count_example if counter is not None else None
    context = counter.context_length if counter is not None else 0
    near = int(context * NEAR_LIMIT_FRACTION)
    number = valid = examples = with_system = tokens_total = valid_tokens = 0
    with open(path, "rb") as f:
        for lines, block, carried in iter_blocks(f, start, end, max_line):
            patterns = candidates(block) if secrets and block else ()
            for raw in lines:
                number += 1
                if type(raw) is not bytes:
                    assert isinstance(raw, Oversize)
                    examples += 1
                    add(number, "too_long", oversize_message(raw.length, max_line), cap)
                    continue
                if not raw or raw.isspace():
                    add(number, "blank_line", "blank line (skipped)", cap)
                    continue
                examples += 1
                try:
                    text = raw.decode()
                except UnicodeDecodeError as exc:
                    add(number, "not_utf8", not_utf8_message(raw, exc), cap)
                    continue
                try:  # the decoder's scanner directly: json.loads' wrappers cost a fifth of the parse
                    obj, stop = scan_once(text, 0)
                    if stop != len(text) and not text[stop:].isspace():
                        raise StopIteration(stop)
                except (StopIteration, ValueError):
                    try:  # leading blanks, or an error: json.loads accepts the one and words the other
                        obj = loads(text)
                    except ValueError as exc:
                        add(number, "invalid_json", invalid_json_message(exc), cap)
                        continue
                fast = clean_turns(obj)
                if fast is not None:
                    turns, system = fast
                else:
                    checked = check_example(obj)
                    for category, message in checked.issues:
                        add(number, category, message, cap)
                    turns, system = checked.turns, checked.system  # type: ignore[assignment]
                if patterns or (secrets and carried and raw is lines[0]):
                    secret = find_secret(text) if carried and raw is lines[0] else find_secret(text, patterns)
                    if secret:
                        add(
                            number,
                            "secret",
                            f"contains what looks like {secret}; keep credentials out of training data",
                            cap,
                        )
                if turns is None:
                    continue
                if count_example is not None:
                    try:
                        tokens = count_example(turns)
                    except UnicodeEncodeError:  # a lone \\ud800-style escape: not text the service takes
                        add(number, "bad_content", SURROGATE_MESSAGE, cap)
                        continue
                    # the statistics describe every countable example; the estimate only valid ones
                    histogram[tokens] += 1
                    tokens_total += tokens
                    if tokens > near:
                        if tokens > context:
                            add(
                                number,
                                "too_long",
                                too_long_message(tokens, cast("TokenCounter", counter)),
                                cap,
                            )
                            continue
                        add(
                            number,
                            "near_limit",
                            f"{tokens:,} tokens{_approx(counter)}, over "
                            f"{NEAR_LIMIT_FRACTION:.0%} of the context length of {context:,}",
                            cap,
                        )
                    valid_tokens += tokens
                valid += 1
                messages_per_example[len(turns)] += 1
                if stable_digests:
                    digests.append(int.from_bytes(example_key(turns), "big"))
                else:
                    digests.append(hash(tuple(turns)) & MASK64)
                digest_lines.append(number)
                if system is not None:
                    with_system += 1
                    seen = systems.get(system)
                    if seen is not None:
                        seen[0] += 1
                    elif len(systems) < MAX_SYSTEMS:
                        systems[system] = [1, number]
                    else:
                        other = result.other_systems
                        other[0] += 1
                        other[1] = other[1] or number
    result.lines, result.examples, result.valid = number, examples, valid
    result.with_system, result.tokens_total, result.valid_tokens = with_system, tokens_total, valid_tokens
    result.systems = {_system_key(text): seen for text, seen in systems.items()}
    return result


def _approx(counter: TokenCounter | None) -> str:
    return "" if counter is None or counter.exact else " (estimated)"


# The words of the per-line rules, shared with `data fix` (fix.py), which applies the same rules.
SURROGATE_MESSAGE = "content holds an invalid \\u escape (a lone surrogate)"


def oversize_message(length: int, max_line: int) -> str:
    return f"line is {length:,} bytes; lines over {max_line:,} bytes are not read (no Phi context holds them)"


def not_utf8_message(raw: bytes, exc: UnicodeDecodeError) -> str:
    return f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}"


def invalid_json_message(exc: ValueError) -> str:
    return f"not valid JSON: {_json_reason(exc)}"


def too_long_message(tokens: int, counter: TokenCounter) -> str:
    return (
        f"{tokens:,} tokens{_approx(counter)}, over the {counter.model} context length of "
        f"{counter.context_length:,}"
    )


def _system_key(text: str) -> bytes:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _json_reason(exc: ValueError) -> str:
    """json's message without the 'line 1' part, which is meaningless for one JSONL line."""
    msg = getattr(exc, "msg", None)
    pos = getattr(exc, "pos", None)
    if msg is not None and pos is not None:
        return f"{msg} at column {pos + 1}"
    return str(exc)
