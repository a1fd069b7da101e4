"""Validate a chat JSONL training file: `validate_file(path, model=...) -> ValidationReport`.

The file is cut into byte ranges checked by worker processes (both cores of a small machine; the
tokenizer is loaded once before the workers fork, so they share its memory), and the small
per-range results are merged in order. Nothing holds the file, a range or a list of examples in
memory: see reader.py, scan.py and dedup.py for what is kept and why it is bounded.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from catalog import DEFAULT_MODEL
from catalog.models import ModelInfo, UnknownModelError, get_model
from core.errors import UsageError
from ops.data.dedup import DuplicateFinder
from ops.data.files import check_input_file, file_error
from ops.data.reader import plan_ranges
from ops.data.report import Issue, TokenStats, ValidationReport
from ops.data.rules import (
    DEFAULT_ISSUE_CAP,
    ERROR_CATEGORIES,
    FILE_CATEGORIES,
    MAX_FILE_BYTES,
    RULES,
    Severity,
    too_few_examples,
)
from ops.data.scan import MAX_SYSTEMS, RangeResult, scan_range

if TYPE_CHECKING:
    from array import array
    from collections.abc import Callable

    from ops.data.tokens import TokenCounter

    DigestSink = Callable[[array[int]], None]

RANGE_BYTES = 8 * 1024 * 1024

__all__ = ["resolve_model", "validate_file"]


def _counter(info: ModelInfo) -> TokenCounter:
    """The model's token counter; ops.data.tokens is imported only by a check that counts tokens."""
    from ops.data.tokens import TokenCounter

    return TokenCounter(info)


def resolve_model(model: str | ModelInfo | None) -> ModelInfo:
    if isinstance(model, ModelInfo):
        return model
    try:
        return get_model(model or DEFAULT_MODEL)
    except UnknownModelError as exc:
        raise UsageError(str(exc)) from None


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def validate_file(
    path: str | os.PathLike[str],
    model: str | ModelInfo | None = None,
    *,
    tokens: bool = True,
    workers: int | None = None,
    cap: int = DEFAULT_ISSUE_CAP,
    epochs: int = 1,
    price_per_1k_tokens: float | None = None,
    range_bytes: int = RANGE_BYTES,
    on_digests: DigestSink | None = None,
    validation: bool = False,
) -> ValidationReport:
    """Check `path` against every rule for `model` (default: the catalog's default model).

    `tokens=False` checks structure only: no tokenizer is loaded and no credential scan is run.
    `workers` processes are used when the file spans more than one range (default: the CPUs this
    process may use). At most `cap` issues per category are listed; all are counted. Raises UsageError
    for a missing or unreadable file or an unknown model (and a one-line ToolkitError for a read that
    fails half-way); everything wrong *inside* the file is in the report.

    The estimate bills valid examples only and says how many it left out; the token statistics
    describe every example that could be counted, over-long ones included.

    `on_digests`, if given, receives the examples' digests (checks.example_key as big-endian integers)
    range by range in file order, one for each example without errors, so that `data split` need not
    parse the file again; the workers then compute those stable digests instead of Python's cheaper
    per-process hash.

    `validation`: the file is validation data, which needs one example rather than training's ten.
    """
    info = resolve_model(model)
    file = check_input_file(path)
    size = os.stat(file).st_size
    counter = _counter(info) if tokens else None
    ranges = plan_ranges(size, range_bytes)
    processes = max(1, min(workers or default_workers(), len(ranges)))

    merged = _Merged(cap)
    try:
        with DuplicateFinder() as dups:
            scans = _scan_all(
                file,
                ranges,
                counter,
                info.name,
                cap,
                processes,
                secrets=tokens,
                stable=on_digests is not None,
            )
            for result in scans:
                if on_digests is not None:
                    on_digests(result.digests)
                merged.add(result, dups)
            dup_total, dup_listed = dups.duplicates(cap)
    except OSError as exc:  # the file went away or became unreadable, or the spill directory failed
        if exc.filename is not None and os.path.abspath(exc.filename) != os.path.abspath(file):
            raise file_error(exc) from None
        raise file_error(exc, path, "read") from None

    if size > MAX_FILE_BYTES:
        merged.file_issue("file_too_large", f"{size:,} bytes; the service takes files up to 512 MB")
    too_few = too_few_examples(merged.examples, validation=validation)
    if too_few is not None:
        merged.file_issue("too_few_examples", too_few)
    for line, original in dup_listed:
        merged.listed.setdefault("duplicate", []).append((line, f"same example as line {original}"))
    if dup_total:
        merged.counts["duplicate"] = dup_total
    merged.system_consistency()

    stats = None
    estimate = None
    if counter is not None:
        from ops.data.estimate import make_estimate

        stats = _token_stats(counter, merged.histogram, merged.tokens_total)
        excluded = tuple(c for c in RULES if merged.counts.get(c) and c in ERROR_CATEGORIES - FILE_CATEGORIES)
        estimate = make_estimate(
            merged.valid_tokens,
            epochs,
            exact=counter.exact,
            price=price_per_1k_tokens,
            excluded=merged.examples - merged.valid,
            excluded_categories=excluded,
        )
    errors, warnings = merged.issues()
    return ValidationReport(
        file=str(path),
        model=info.name,
        bytes=size,
        lines=merged.lines,
        examples=merged.examples,
        valid_examples=merged.valid,
        errors=errors,
        warnings=warnings,
        error_counts={c: n for c, n in merged.counts.items() if RULES[c].severity is Severity.ERROR},
        warning_counts={c: n for c, n in merged.counts.items() if RULES[c].severity is Severity.WARNING},
        listed_per_category=cap,
        tokens=stats,
        estimate=estimate,
        profile=_profile(merged),
        purpose="validation" if validation else "training",
    )


# The counter a worker process uses: inherited through fork, or rebuilt by _init_worker under spawn.
_WORKER_COUNTER: TokenCounter | None = None


def _init_worker(model: str, tokens: bool) -> None:
    global _WORKER_COUNTER
    _WORKER_COUNTER = _counter(get_model(model)) if tokens else None


def _scan_task(task: tuple[str, int, int, int, bool, bool]) -> RangeResult:
    path, start, end, cap, stable, secrets = task
    return scan_range(path, start, end, _WORKER_COUNTER, cap, stable_digests=stable, secrets=secrets)


def _scan_all(
    path: str,
    ranges: list[tuple[int, int]],
    counter: TokenCounter | None,
    model: str,
    cap: int,
    workers: int,
    *,
    secrets: bool,
    stable: bool = False,
) -> Iterator[RangeResult]:
    """Each range's result, in file order; digests are Python's hash of the turns (comparable within this
    process and its forks) unless `stable` asks for example_key's."""
    if workers == 1:
        for start, end in ranges:
            yield scan_range(path, start, end, counter, cap, stable_digests=stable, secrets=secrets)
        return
    global _WORKER_COUNTER
    _WORKER_COUNTER = counter  # forked workers inherit the loaded tokenizer's pages
    from ops.data import pool

    # Forked workers share this process's hash secret, so Python's cheap hash() is comparable.
    stable = stable or not pool.forks()
    tasks = [(path, start, end, cap, stable, secrets) for start, end in ranges]
    yield from pool.in_order(_scan_task, tasks, workers, _init_worker, (model, counter is not None))


class _Merged:
    """Accumulates range results in file order."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.lines = self.examples = self.valid = 0
        self.listed: dict[str, list[tuple[int, str]]] = {}
        self.counts: Counter[str] = Counter()
        self.systems: dict[bytes, list[int]] = {}
        self.other_systems = [0, 0]
        self.with_system = 0
        self.histogram: Counter[int] = Counter()
        self.tokens_total = 0
        self.valid_tokens = 0
        self.messages: Counter[int] = Counter()

    def add(self, r: RangeResult, dups: DuplicateFinder) -> None:
        offset = self.lines
        for category, items in r.issues.items():
            listed = self.listed.setdefault(category, [])
            room = self.cap - len(listed)
            listed.extend((line + offset, message) for line, message in items[: max(room, 0)])
        self.counts.update(r.counts)
        dups.add(r.digests, r.digest_lines, offset)
        for key, (count, first) in r.systems.items():
            known = self.systems.get(key)
            if known is not None:
                known[0] += count
            elif len(self.systems) < MAX_SYSTEMS:
                self.systems[key] = [count, first + offset]
            else:
                self._other(count, first + offset)
        if r.other_systems[0]:
            self._other(r.other_systems[0], r.other_systems[1] + offset)
        self.with_system += r.with_system
        self.histogram.update(r.token_histogram)
        self.tokens_total += r.tokens_total
        self.valid_tokens += r.valid_tokens
        self.messages.update(r.message_histogram)
        self.lines += r.lines
        self.examples += r.examples
        self.valid += r.valid

    def _other(self, count: int, first: int) -> None:
        self.other_systems[0] += count
        self.other_systems[1] = min(self.other_systems[1] or first, first)

    def file_issue(self, category: str, message: str) -> None:
        self.counts[category] += 1
        self.listed.setdefault(category, []).append((0, message))

    def system_consistency(self) -> None:
        """One warning when examples disagree on the system message, at the first that differs."""
        groups = sorted((first, count) for count, first in self.systems.values())
        if self.other_systems[0]:
            groups.append((self.other_systems[1], self.other_systems[0]))
            groups.sort()
        if len(groups) < 2:
            return
        (base_line, base_count), first_other = groups[0], groups[1][0]
        distinct = f"{len(groups)}{'+' if self.other_systems[0] else ''}"
        differ = self.with_system - base_count
        self.counts["inconsistent_system"] += 1
        self.listed.setdefault("inconsistent_system", []).append(
            (
                first_other,
                f"system message differs from the one on line {base_line} ({distinct} distinct system "
                f"messages; {differ:,} example(s) differ from the first)",
            )
        )

    def issues(self) -> tuple[list[Issue], list[Issue]]:
        errors: list[Issue] = []
        warnings: list[Issue] = []
        for category, items in self.listed.items():
            severity = RULES[category].severity
            target = errors if severity is Severity.ERROR else warnings
            target.extend(Issue(line, category, message, severity) for line, message in items)
        order = {c: i for i, c in enumerate(RULES)}
        errors.sort(key=lambda i: (i.line, order[i.category]))
        warnings.sort(key=lambda i: (i.line, order[i.category]))
        return errors, warnings


def percentile(histogram: Counter[int], q: float) -> int:
    """Nearest-rank percentile of the values counted in `histogram` (0 when empty)."""
    n = sum(histogram.values())
    if not n:
        return 0
    wanted = max(1, math.ceil(q * n))
    seen = 0
    for value, count in sorted(histogram.items()):
        seen += count
        if seen >= wanted:
            return value
    return max(histogram)  # pragma: no cover - unreachable: the counts add up to n


def _token_stats(counter: TokenCounter, histogram: Counter[int], total: int) -> TokenStats:
    return TokenStats(
        tokenizer=counter.tokenizer,
        exact=counter.exact,
        method=counter.method,
        context_length=counter.context_length,
        total=total,
        min=min(histogram, default=0),
        p50=percentile(histogram, 0.5),
        p95=percentile(histogram, 0.95),
        max=max(histogram, default=0),
    )


def _profile(merged: _Merged) -> dict[str, object]:
    h = merged.messages
    return {
        "messages_per_example": {
            "min": min(h, default=0),
            "p50": percentile(h, 0.5),
            "max": max(h, default=0),
        },
        "with_system_message": merged.with_system,
    }
