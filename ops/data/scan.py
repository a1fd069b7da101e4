"""Check one byte range of a training file: the unit of work a validation process runs.

A range's result is small whatever the range's size: issues are capped per category (the rest
counted), token counts kept as a histogram, and only 16 bytes per valid example (digest and line)
travel back for the file-wide duplicate check. Line numbers are local to the range; the caller
shifts them.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections import Counter
from dataclasses import dataclass, field

from ops.data.checks import check_example, example_key
from ops.data.reader import Oversize, iter_blocks
from ops.data.rules import MAX_LINE_BYTES, NEAR_LIMIT_FRACTION
from ops.data.secrets import candidates, find_secret
from ops.data.tokens import TokenCounter

MAX_SYSTEMS = 256  # distinct system messages tracked exactly; the rest are counted together


@dataclass
class RangeResult:
    lines: int = 0
    examples: int = 0  # non-blank lines
    valid: int = 0  # examples without errors
    issues: dict[str, list[tuple[int, str]]] = field(default_factory=dict)  # first `cap` per category
    counts: Counter[str] = field(default_factory=Counter)
    digests: array[int] = field(default_factory=lambda: array("Q"))
    digest_lines: array[int] = field(default_factory=lambda: array("Q"))
    systems: dict[bytes, list[int]] = field(default_factory=dict)  # digest -> [count, first line]
    other_systems: list[int] = field(default_factory=lambda: [0, 0])  # [count, first line] past MAX_SYSTEMS
    with_system: int = 0
    token_histogram: Counter[int] = field(default_factory=Counter)
    tokens_total: int = 0

    def add(self, line: int, category: str, message: str, cap: int) -> None:
        self.counts[category] += 1
        listed = self.issues.setdefault(category, [])
        if len(listed) < cap:
            listed.append((line, message))


def scan_range(
    path: str, start: int, end: int, counter: TokenCounter | None, cap: int, max_line: int = MAX_LINE_BYTES
) -> RangeResult:
    """Check every line owned by [start, end) of `path`."""
    result = RangeResult()
    add = result.add
    loads = json.loads
    from_bytes = int.from_bytes
    digests, digest_lines = result.digests, result.digest_lines
    systems = result.systems
    histogram = result.token_histogram
    context = counter.context_length if counter else 0
    near = int(context * NEAR_LIMIT_FRACTION)
    number = 0
    with open(path, "rb") as f:
        for lines, block, carried in iter_blocks(f, start, end, max_line):
            patterns = candidates(block) if block else ()
            for index, raw in enumerate(lines):
                number += 1
                if type(raw) is Oversize:
                    result.examples += 1
                    add(
                        number,
                        "too_long",
                        f"line is {raw.length:,} bytes; lines over {max_line:,} bytes "
                        "are not read (no Phi context holds them)",
                        cap,
                    )
                    continue
                assert isinstance(raw, bytes)
                if not raw or raw.isspace():
                    add(number, "blank_line", "blank line (skipped)", cap)
                    continue
                result.examples += 1
                try:
                    text = raw.decode()
                except UnicodeDecodeError as exc:
                    add(
                        number,
                        "not_utf8",
                        f"not UTF-8: byte 0x{raw[exc.start]:02x} at column {exc.start + 1}",
                        cap,
                    )
                    continue
                try:
                    obj = loads(text)
                except ValueError as exc:
                    add(number, "invalid_json", f"not valid JSON: {_json_reason(exc)}", cap)
                    continue
                checked = check_example(obj)
                failed = False
                for category, message in checked.issues:
                    add(number, category, message, cap)
                turns = checked.turns
                if index == 0 and carried:
                    secret = find_secret(text)
                else:
                    secret = find_secret(text, patterns) if patterns else None
                if secret:
                    add(
                        number,
                        "secret",
                        f"contains what looks like {secret}; keep credentials out of training data",
                        cap,
                    )
                if turns is None:
                    continue
                try:
                    digest = example_key(turns)
                except UnicodeEncodeError:
                    add(number, "bad_content", "content holds an invalid \\u escape (a lone surrogate)", cap)
                    continue
                if counter is not None:
                    tokens = counter.count_example(turns)
                    if tokens > context:
                        add(
                            number,
                            "too_long",
                            f"{tokens:,} tokens{_approx(counter)}, over the "
                            f"{counter.model} context length of {context:,}",
                            cap,
                        )
                        failed = True
                    elif tokens > near:
                        add(
                            number,
                            "near_limit",
                            f"{tokens:,} tokens{_approx(counter)}, over "
                            f"{NEAR_LIMIT_FRACTION:.0%} of the context length of {context:,}",
                            cap,
                        )
                    histogram[tokens] += 1
                    result.tokens_total += tokens
                if failed:
                    continue
                result.valid += 1
                digests.append(from_bytes(digest, "big"))
                digest_lines.append(number)
                if checked.system is not None:
                    result.with_system += 1
                    _count_system(systems, result.other_systems, checked.system, number)
    result.lines = number
    return result


def _approx(counter: TokenCounter) -> str:
    return "" if counter.exact else " (estimated)"


def _count_system(systems: dict[bytes, list[int]], other: list[int], text: str, line: int) -> None:
    key = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    seen = systems.get(key)
    if seen is not None:
        seen[0] += 1
    elif len(systems) < MAX_SYSTEMS:
        systems[key] = [1, line]
    else:
        other[0] += 1
        other[1] = other[1] or line


def _json_reason(exc: ValueError) -> str:
    """json's message without the 'line 1' part, which is meaningless for one JSONL line."""
    msg = getattr(exc, "msg", None)
    pos = getattr(exc, "pos", None)
    if msg is not None and pos is not None:
        return f"{msg} at column {pos + 1}"
    return str(exc)
