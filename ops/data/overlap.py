"""Examples shared by a training and a validation file: a leak that makes validation loss look better
than the model is (the overlap check of Microsoft's dataset validator and axolotl's cross-split dedup).

Both files are streamed; digests go through the same bucketed, spilling table as duplicate
detection, validation lines first, so a training example whose digest is already there is shared.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.data.checks import check_example, example_key
from ops.data.dedup import DuplicateFinder
from ops.data.reader import iter_blocks
from ops.data.rules import DEFAULT_ISSUE_CAP, MAX_LINE_BYTES
from ops.data.validate import check_input_file

_VALIDATION = 1 << 62  # tags a line number as the validation file's
_BATCH = 4096


@dataclass(frozen=True)
class Overlap:
    train: str
    validation: str
    train_examples: int
    validation_examples: int
    shared: int  # training examples that also occur in the validation file
    pairs: list[tuple[int, int]]  # first ones, as (training line, validation line)

    @property
    def ok(self) -> bool:
        return self.shared == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "train": self.train,
            "validation": self.validation,
            "train_examples": self.train_examples,
            "validation_examples": self.validation_examples,
            "shared": self.shared,
            "pairs": [{"train_line": t, "validation_line": v} for t, v in self.pairs],
        }


def iter_examples(path: Path) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(1-based line, turns) for every line that is a usable example; others are skipped."""
    number = 0
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, 0, path.stat().st_size, MAX_LINE_BYTES):
            for raw in lines:
                number += 1
                if not isinstance(raw, bytes) or not raw or raw.isspace():
                    continue
                try:
                    obj = json.loads(raw.decode())
                except ValueError:  # UnicodeDecodeError is a ValueError too
                    continue
                turns = check_example(obj).turns
                if turns is not None:
                    yield number, turns


def _feed(finder: DuplicateFinder, path: Path, tag: int) -> int:
    count = 0
    digests, lines = array("Q"), array("Q")
    for number, turns in iter_examples(path):
        digests.append(int.from_bytes(example_key(turns), "big"))
        lines.append(number | tag)
        count += 1
        if len(digests) >= _BATCH:
            finder.add(digests, lines, 0)
            digests, lines = array("Q"), array("Q")
    finder.add(digests, lines, 0)
    return count


def find_overlap(
    train: str | os.PathLike[str], validation: str | os.PathLike[str], cap: int = DEFAULT_ISSUE_CAP
) -> Overlap:
    """Training examples that also occur (same roles and contents) in the validation file."""
    train_path, validation_path = check_input_file(train), check_input_file(validation)
    with DuplicateFinder() as finder:
        validation_count = _feed(finder, validation_path, _VALIDATION)
        train_count = _feed(finder, train_path, 0)
        shared, pairs = finder.duplicates(
            cap, keep=lambda line, original: not line & _VALIDATION and bool(original & _VALIDATION)
        )
    pairs = sorted((line, original & ~_VALIDATION) for line, original in pairs)
    return Overlap(str(train), str(validation), train_count, validation_count, shared, pairs)
