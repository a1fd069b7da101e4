"""Split a training file into train and validation files: deterministic, duplicate-safe, atomic.

Each example goes to a side by a keyed hash of its decoded turns (the seed is the key), so the
split depends only on the content and the seed, and identical examples always land on the same
side: no example of the validation file is also in the training file. To hit the requested
fraction closely in bounded memory, a first pass counts hashes in up to 2^20 buckets (4 MB) and picks the
bucket boundary nearest the wanted count; the second pass writes. Outputs are written to temporary
files in the output directory and renamed into place only when both are complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import secrets
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops.data.checks import example_key
from ops.data.reader import Oversize, iter_blocks
from ops.data.rules import MAX_LINE_BYTES
from ops.data.validate import check_input_file, validate_file
from ops.errors import UsageError

TRAIN_NAME = "train.jsonl"
VALIDATION_NAME = "validation.jsonl"
MAX_BUCKET_BITS = 20  # 2^20 four-byte counters: 4 MB


def bucket_bits(examples: int) -> int:
    """About 64 buckets per example (so a boundary rarely falls inside a shared bucket), at most 2^20."""
    return max(8, min(MAX_BUCKET_BITS, examples.bit_length() + 6))


@dataclass(frozen=True)
class SplitSide:
    path: str
    examples: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "examples": self.examples, "sha256": self.sha256}


@dataclass(frozen=True)
class SplitResult:
    source: str
    seed: int
    requested_fraction: float
    train: SplitSide
    validation: SplitSide

    @property
    def validation_fraction(self) -> float:
        total = self.train.examples + self.validation.examples
        return self.validation.examples / total if total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "seed": self.seed,
            "requested_fraction": self.requested_fraction,
            "validation_fraction": round(self.validation_fraction, 6),
            "train": self.train.to_dict(),
            "validation": self.validation.to_dict(),
        }


def _seed_key(seed: int) -> bytes:
    return hashlib.sha256(str(seed).encode()).digest()[:32]


def _examples(path: Path, seed: int) -> Iterator[tuple[bytes, int]]:
    """(line without its line end, 64-bit keyed hash of its turns) for every non-blank line."""
    key = _seed_key(seed)
    size = path.stat().st_size
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, 0, size, MAX_LINE_BYTES):
            for raw in lines:
                if isinstance(raw, Oversize):  # pragma: no cover - refused by validation first
                    raise UsageError(f"{path}: a line is over {MAX_LINE_BYTES:,} bytes")
                if not raw or raw.isspace():
                    continue
                messages = json.loads(raw)["messages"]
                turns = [(m["role"], m["content"]) for m in messages]
                digest = hashlib.blake2b(example_key(turns), key=key, digest_size=8).digest()
                yield raw, int.from_bytes(digest, "big")


def choose_boundary(histogram: array[int], wanted: int, total: int) -> tuple[int, int]:
    """The bucket boundary whose count below is nearest `wanted`, keeping both sides non-empty
    when possible; returns (boundary, count below it)."""
    best, best_count = 0, 0
    best_score: tuple[int, int] | None = None
    for boundary, below in enumerate(itertools.accumulate(histogram, initial=0)):
        score = (0 if 0 < below < total else 1, abs(below - wanted))
        if best_score is None or score < best_score:
            best, best_count, best_score = boundary, below, score
    return best, best_count


def split_file(
    path: str | os.PathLike[str],
    *,
    validation_fraction: float,
    seed: int,
    out_dir: str | os.PathLike[str],
    force: bool = False,
    model: str | None = None,
) -> SplitResult:
    """Write out_dir/train.jsonl and out_dir/validation.jsonl from `path` (which must validate)."""
    source = check_input_file(path)
    if not 0 < validation_fraction < 1:
        raise UsageError(
            f"--validation-fraction must be between 0 and 1 (exclusive), got {validation_fraction}"
        )
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: exists and is not a directory")
    targets = (out / TRAIN_NAME, out / VALIDATION_NAME)
    for target in targets:
        if target.exists() and source.resolve() == target.resolve():
            raise UsageError(f"{target}: is the input file; choose another --out-dir")
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")

    report = validate_file(source, model, tokens=False)
    blocking = {c: n for c, n in report.error_counts.items() if c != "too_few_examples"}
    if blocking:
        listed = ", ".join(f"{n} {c}" for c, n in blocking.items())
        first = next(e for e in report.errors if e.category in blocking)
        where = f"line {first.line}: " if first.line else ""
        raise UsageError(
            f"{source} has errors ({listed}); the first, {where}{first.message}; "
            "fix them first (see `foundry-ops data validate`)"
        )

    bits = bucket_bits(report.examples)
    shift = 64 - bits
    histogram = array("I", bytes(4 << bits))
    total = 0
    for _raw, h in _examples(source, seed):
        histogram[h >> shift] += 1
        total += 1
    wanted = round(validation_fraction * total)
    if not 0 < wanted < total:
        raise UsageError(
            f"{total} example(s) cannot be split with a validation fraction of {validation_fraction}: "
            f"one side would get {wanted if wanted < 1 else total - wanted}"
        )
    boundary, below = choose_boundary(histogram, wanted, total)
    del histogram
    if not 0 < below < total:  # e.g. every example is the same one
        raise UsageError(f"{total} example(s) cannot be split: identical examples must stay on one side")
    threshold = boundary << shift
    return _write(source, out, targets, seed, threshold, validation_fraction)


def _write(
    source: Path, out: Path, targets: tuple[Path, Path], seed: int, threshold: int, fraction: float
) -> SplitResult:
    created_dir = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    temps: list[str] = []
    digests = [hashlib.sha256(), hashlib.sha256()]
    counts = [0, 0]
    try:
        with contextlib.ExitStack() as stack:
            handles = []
            for target in targets:
                # open(..., "xb") rather than mkstemp: the file gets the user's umask, not 0600
                tmp = str(out / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
                handles.append(stack.enter_context(open(tmp, "xb")))
                temps.append(tmp)
            for raw, h in _examples(source, seed):
                side = 1 if h < threshold else 0
                data = raw + b"\n"
                handles[side].write(data)
                digests[side].update(data)
                counts[side] += 1
            for handle in handles:
                handle.flush()
                os.fsync(handle.fileno())
        for tmp, target in zip(temps, targets, strict=True):
            os.replace(tmp, target)
        temps = []
    except BaseException:
        for tmp in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if created_dir:
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    train, validation = (
        SplitSide(str(t), n, d.hexdigest()) for t, n, d in zip(targets, counts, digests, strict=True)
    )
    return SplitResult(str(source), seed, fraction, train, validation)
