"""Examples shared by a training and a validation file: a leak that makes validation loss look better
than the model is (the overlap check of Microsoft's dataset validator and axolotl's cross-split dedup).

Two kinds of match, counted apart:

- exact: the same roles and contents after JSON decoding (however the JSON is spelt);
- near: not exact, but the same roles and contents once case, whitespace and digits are normalised
  (checks.normalise: "Order 123 is late" and "order 456  is LATE" are near duplicates).

Both files are streamed. Each usable example becomes one row (near key, exact key, line) in
spilling buckets partitioned by the near key, so examples that match either way meet in the same
bucket, and only one bucket's tables are in memory at a time; validation rows go in first.
"""

import contextlib
import heapq
import json
import os
from array import array
from collections.abc import Iterator
from typing import Any, NamedTuple

from ops.data.checks import check_example, example_key, near_key
from ops.data.dedup import SpillingBuckets
from ops.data.files import check_input_file, file_error
from ops.data.reader import iter_blocks
from ops.data.rules import DEFAULT_ISSUE_CAP, MAX_LINE_BYTES

_VALIDATION = 1 << 62  # tags a line number as the validation file's
_BATCH = 4096

Pair = tuple[int, int]  # (training line, validation line)


class Overlap(NamedTuple):
    train: str
    validation: str
    train_examples: int
    validation_examples: int
    shared: int  # training examples that also occur, exactly, in the validation file
    pairs: list[Pair]  # the first `cap` exact ones
    near: int = 0  # training examples nearly (not exactly) the same as a validation example
    near_pairs: list[Pair] | None = None  # the first `cap` near ones
    train_skipped: int = 0  # non-blank lines that are not usable examples (not compared)
    validation_skipped: int = 0

    @property
    def ok(self) -> bool:
        """No exact or near match, and every line of both files was compared."""
        return not (self.shared or self.near or self.train_skipped or self.validation_skipped)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "train": self.train,
            "validation": self.validation,
            "train_examples": self.train_examples,
            "validation_examples": self.validation_examples,
            "shared": self.shared,
            "pairs": [{"train_line": t, "validation_line": v} for t, v in self.pairs],
            "near": self.near,
            "near_pairs": [{"train_line": t, "validation_line": v} for t, v in self.near_pairs or []],
            "skipped": {"train": self.train_skipped, "validation": self.validation_skipped},
        }

    def problems(self) -> list[str]:
        """What makes the check fail, in words (empty when ok)."""
        found = []
        matches = []
        if self.shared:
            matches.append(f"{self.shared:,} example(s) also in {self.validation}")
        if self.near:
            matches.append(
                f"{self.near:,} nearly the same as one in {self.validation} (case, whitespace, digits)"
            )
        if matches:
            found.append(f"{self.train}: " + ", ".join(matches))
        for path, n in ((self.train, self.train_skipped), (self.validation, self.validation_skipped)):
            if n:
                found.append(f"{path}: {n:,} line(s) are not usable examples and were not compared")
        return found


def iter_examples(
    path: str | os.PathLike[str], skipped: list[int] | None = None
) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(1-based line, turns) for every line that is a usable example. Blank lines are passed over;
    other lines that are not usable examples are counted in `skipped[0]`."""
    number = 0
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, 0, os.stat(path).st_size, MAX_LINE_BYTES):
            for raw in lines:
                number += 1
                if isinstance(raw, bytes) and (not raw or raw.isspace()):
                    continue
                turns = None
                if isinstance(raw, bytes):
                    with contextlib.suppress(ValueError):  # UnicodeDecodeError is a ValueError too
                        turns = check_example(json.loads(raw.decode())).turns
                if turns is None:
                    if skipped is not None:
                        skipped[0] += 1
                    continue
                yield number, turns


def _feed(buckets: SpillingBuckets, path: str, tag: int) -> tuple[int, int]:
    """Add every usable example of `path`; returns (examples, skipped lines)."""
    count = 0
    skipped = [0]
    near, exact, lines = array("Q"), array("Q"), array("Q")
    for number, turns in iter_examples(path, skipped):
        near.append(int.from_bytes(near_key(turns), "big"))
        exact.append(int.from_bytes(example_key(turns), "big"))
        lines.append(number | tag)
        count += 1
        if len(lines) >= _BATCH:
            buckets.add_rows(near, exact, lines)
            near, exact, lines = array("Q"), array("Q"), array("Q")
    buckets.add_rows(near, exact, lines)
    return count, skipped[0]


def _match(buckets: SpillingBuckets, cap: int) -> tuple[int, list[Pair], int, list[Pair]]:
    """(exact count, first exact pairs, near count, first near pairs), bucket by bucket."""
    exact_total = near_total = 0
    exact_found: list[list[Pair]] = []
    near_found: list[list[Pair]] = []
    for b in range(buckets.buckets):
        by_exact: dict[int, int] = {}  # exact key -> first validation line
        by_near: dict[int, int] = {}  # near key -> first validation line
        exact_pairs: list[Pair] = []
        near_pairs: list[Pair] = []
        for near, exact, line in buckets.rows(b):
            if line & _VALIDATION:  # all validation rows come before the training rows
                by_exact.setdefault(exact, line & ~_VALIDATION)
                by_near.setdefault(near, line & ~_VALIDATION)
                continue
            other = by_exact.get(exact)
            if other is not None:
                exact_total += 1
                if len(exact_pairs) < cap:
                    exact_pairs.append((line, other))
                continue
            other = by_near.get(near)
            if other is not None:
                near_total += 1
                if len(near_pairs) < cap:
                    near_pairs.append((line, other))
        exact_found.append(exact_pairs)
        near_found.append(near_pairs)
    return (
        exact_total,
        list(heapq.merge(*exact_found))[:cap],
        near_total,
        list(heapq.merge(*near_found))[:cap],
    )


def find_overlap(
    train: str | os.PathLike[str], validation: str | os.PathLike[str], cap: int = DEFAULT_ISSUE_CAP
) -> Overlap:
    """Training examples that also occur in the validation file: exactly, or nearly (see the module)."""
    train_path, validation_path = check_input_file(train), check_input_file(validation)
    try:
        with SpillingBuckets(3) as buckets:
            validation_count, validation_skipped = _feed(buckets, validation_path, _VALIDATION)
            train_count, train_skipped = _feed(buckets, train_path, 0)
            shared, pairs, near, near_pairs = _match(buckets, cap)
    except OSError as exc:
        raise file_error(exc, None, "read") from None
    return Overlap(
        str(train),
        str(validation),
        train_count,
        validation_count,
        shared,
        pairs,
        near,
        near_pairs,
        train_skipped,
        validation_skipped,
    )
