"""Split a training file into train and validation files: deterministic, duplicate-safe, atomic.

Each example goes to a side by a keyed hash of its decoded turns (the seed is the key), so the
split depends only on the content and the seed, and identical examples always land on the same
side: no example of the validation file is also in the training file. The file is parsed once, by
the validation it must pass (which hands over every example's digest, checks.example_key); the top
32 bits of each keyed hash are kept (4 bytes per example: ~30 MB for the largest file the service
takes, 512 MB of the shortest examples). Their histogram, in up to 2^20 buckets (4 MB), gives the
bucket boundary nearest the wanted count; then a pass over the raw lines writes each to its side.

Both outputs are written into a temporary directory inside the output directory (the same file
system), then swapped in together: the old pair (if any) is moved aside into that directory first,
then the new pair is moved in. At no moment is a new train.jsonl beside an old validation.jsonl; a
failure on the way moves everything back, so the old pair (or nothing) is left, never a mix. A file
that changes while it is split is noticed before the swap, and nothing is written.
"""

import contextlib
import itertools
import os
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from core.errors import DataError, ToolkitError, UsageError
from ops.data.digest import blake2b, sha256_for
from ops.data.files import (
    check_input_file,
    check_output_dir,
    file_error,
    fsync_dir,
    same_file,
    stamp,
    temp_name,
    tidy_path,
)
from ops.data.reader import Oversize, iter_blocks
from ops.data.rules import MAX_LINE_BYTES
from ops.data.validate import validate_file

TRAIN_NAME = "train.jsonl"
VALIDATION_NAME = "validation.jsonl"
MAX_BUCKET_BITS = 20  # 2^20 four-byte counters: 4 MB


def bucket_bits(examples: int) -> int:
    """About 64 buckets per example (so a boundary rarely falls inside a shared bucket), at most 2^20."""
    return max(8, min(MAX_BUCKET_BITS, examples.bit_length() + 6))


class SplitSide(NamedTuple):
    path: str
    examples: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "examples": self.examples, "sha256": self.sha256}


class SplitResult(NamedTuple):
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
    digest = sha256_for(0)
    digest.update(str(seed).encode())
    return digest.digest()


def _keyed_prefixes(digests: "array[int]", key: bytes) -> "array[int]":
    """The top 32 bits of each example's 64-bit hash under `key` (blake2b of its example_key): all a
    side needs, as no boundary has more than 20 bits."""
    prefixes = array("I")
    append = prefixes.append
    for digest in digests:
        append(int.from_bytes(blake2b(digest.to_bytes(8, "big"), key=key, digest_size=8).digest()[:4], "big"))
    return prefixes


def _lines(path: str) -> Iterator[bytes]:
    """Every non-blank line, without its line end; a line too long to read means the file changed
    since it validated."""
    with open(path, "rb") as f:
        for lines, _block, _carried in iter_blocks(f, 0, os.stat(path).st_size, MAX_LINE_BYTES):
            for raw in lines:
                if isinstance(raw, Oversize):
                    raise _Changed()
                if raw and not raw.isspace():
                    yield raw


def choose_boundary(histogram: "array[int]", wanted: int, total: int) -> tuple[int, int]:
    """The bucket boundary whose count below is nearest `wanted`, keeping both sides non-empty
    when possible; returns (boundary, count below it). On a tie, the lower boundary."""
    # counts below each boundary: non-decreasing, so searchable; an array, as 2^20 ints in a list are ~36 MB
    below = array("I", itertools.accumulate(histogram, initial=0))
    lo, hi = bisect_right(below, 0), bisect_left(below, total)  # boundaries with 0 < below < total
    if lo >= hi:  # none: nearest over all of them
        lo, hi = 0, len(below)
    best = _nearest(below, wanted, lo, hi)
    return best, below[best]


def _nearest(below: Sequence[int], wanted: int, lo: int, hi: int) -> int:
    """The lowest index in [lo, hi) of the value of below[lo:hi] nearest `wanted` (ties: the lower value)."""
    above = bisect_left(below, wanted, lo, hi)  # the first at or over `wanted`
    if above == lo:
        return lo
    under = bisect_left(below, below[above - 1], lo, hi)  # the first of the last value under it
    if above == hi or wanted - below[under] <= below[above] - wanted:
        return under
    return above


def split_file(
    path: str | os.PathLike[str],
    *,
    validation_fraction: float,
    seed: int,
    out_dir: str | os.PathLike[str],
    force: bool = False,
    model: str | None = None,
    workers: int | None = None,
) -> SplitResult:
    """Write out_dir/train.jsonl and out_dir/validation.jsonl from `path` (which must validate).

    Raises UsageError for bad arguments and paths (nothing is written), DataError when `path` has
    errors, and a one-line ToolkitError when writing fails or `path` changes while it is split (the old
    outputs, if any, are kept)."""
    source = tidy_path(check_input_file(path))
    if not 0 < validation_fraction < 1:
        raise UsageError(
            f"--validation-fraction must be between 0 and 1 (exclusive), got {validation_fraction}"
        )
    out = check_output_dir(out_dir)
    targets = (tidy_path(os.path.join(out, TRAIN_NAME)), tidy_path(os.path.join(out, VALIDATION_NAME)))
    for target in targets:
        if same_file(source, target):
            raise UsageError(f"{target}: is the input file; choose another --out-dir")
    existing = [t for t in targets if os.path.lexists(t)]
    if existing and not force:
        raise UsageError(f"{', '.join(existing)} already exist(s); pass --force to overwrite")

    key = _seed_key(seed)
    prefixes = array("I")  # in file order, one per example (all are valid, or nothing is written)

    def keep(digests: "array[int]") -> None:
        prefixes.extend(_keyed_prefixes(digests, key))

    try:
        before = stamp(source)
    except OSError as exc:
        raise file_error(exc, source, "read") from None
    report = validate_file(source, model, tokens=False, workers=workers, on_digests=keep)
    blocking = {c: n for c, n in report.error_counts.items() if c != "too_few_examples"}
    if blocking:
        listed = ", ".join(f"{n} {c}" for c, n in blocking.items())
        first = next(e for e in report.errors if e.category in blocking)
        where = f"line {first.line}: " if first.line else ""
        raise DataError(
            f"{source} has errors ({listed}); the first, {where}{first.message}; "
            "fix them first (see `foundry-ops data validate`)"
        )

    total = len(prefixes)
    if total < 2:  # the data's fault whatever the fraction: exit 1, as for data with errors
        raise DataError(f"{source} has {total} example(s); a split needs at least 2")
    wanted = round(validation_fraction * total)
    if not 0 < wanted < total:
        raise UsageError(
            f"{total} example(s) cannot be split with a validation fraction of {validation_fraction}: "
            f"one side would get {wanted if wanted < 1 else total - wanted}"
        )
    shift = 32 - bucket_bits(total)
    histogram = array("I", bytes(4 << (32 - shift)))
    for prefix in prefixes:
        histogram[prefix >> shift] += 1
    boundary, below = choose_boundary(histogram, wanted, total)
    del histogram
    if not 0 < below < total:  # e.g. every example is the same one
        raise DataError(
            f"{source}: its {total} examples cannot be split: identical examples must stay on one side"
        )
    sides = bytearray(prefix >> shift < boundary for prefix in prefixes)  # 1: validation, 0: train
    del prefixes[:]
    return _write(source, out, targets, seed, validation_fraction, report.bytes, sides, before)


class _Changed(Exception):
    """The file is not the one that validated: it changed while being split."""


class _KeptAside(ToolkitError):
    """The swap failed and could not be undone: the files are in the staging directory, which stays."""


def _make_dirs(out: str) -> list[str]:
    """Create `out` and its missing parents; returns the directories created, deepest first."""
    missing: list[str] = []
    probe = os.path.normpath(out)
    while not os.path.lexists(probe) and os.path.dirname(probe) != probe:
        missing.append(probe)
        probe = os.path.dirname(probe) or os.curdir
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        _remove_dirs(missing)
        raise file_error(exc, out, "create the directory") from None
    return missing


def _remove_dirs(created: list[str]) -> None:
    for directory in created:  # deepest first
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _remove_staging(staging: str) -> None:
    """Remove the staging directory and the files in it (it never holds a directory); best effort."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(staging):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        os.rmdir(staging)


def _write(
    source: str,
    out: str,
    targets: tuple[str, str],
    seed: int,
    fraction: float,
    size: int,
    sides: bytearray,
    before: tuple[int, int, int],
) -> SplitResult:
    created = _make_dirs(out)
    try:
        staging = temp_name(out, "split")
        os.mkdir(staging, 0o700)  # what tempfile.mkdtemp does, without its ~4 ms of imports
    except OSError as exc:
        _remove_dirs(created)
        raise file_error(exc, out, "write") from None
    news = tuple(os.path.join(staging, os.path.basename(target)) for target in targets)
    digests = [sha256_for(size), sha256_for(size)]
    counts = [0, 0]
    try:
        with contextlib.ExitStack() as stack:
            # open(..., "xb") rather than mkstemp: the files get the user's umask, not 0600
            handles = [stack.enter_context(open(new, "xb")) for new in news]
            total = len(sides)
            index = 0
            for raw in _lines(source):
                if index == total:
                    raise _Changed()
                side = sides[index]
                data = raw + b"\n"
                handles[side].write(data)
                digests[side].update(data)
                counts[side] += 1
                index += 1
            if index != total or stamp(source) != before:
                raise _Changed()
            for handle in handles:
                handle.flush()
                os.fsync(handle.fileno())
        _swap(staging, news, targets)
    except BaseException as exc:
        if not isinstance(exc, _KeptAside):
            _remove_staging(staging)
            _remove_dirs(created)
        if isinstance(exc, _Changed):
            raise ToolkitError(f"{source}: changed while it was being split; nothing was written") from None
        if isinstance(exc, OSError):
            if exc.filename is not None and os.fspath(exc.filename) == source:
                raise file_error(exc, source, "read") from None
            raise file_error(exc, out, "write") from None
        raise
    _remove_staging(staging)  # now holds only the old pair
    fsync_dir(out)
    train, validation = (
        SplitSide(t, n, d.hexdigest()) for t, n, d in zip(targets, counts, digests, strict=True)
    )
    return SplitResult(source, seed, fraction, train, validation)


def _swap(staging: str, news: tuple[str, ...], targets: tuple[str, ...]) -> None:
    """Move the old outputs into `staging`, then the new ones from it into place; on failure undo
    both steps, so either the old pair or the new pair is in place, never one of each."""
    aside: list[tuple[str, str]] = []  # (target, where the old file went)
    placed: list[tuple[str, str]] = []  # (new file's staging path, target)
    try:
        for target in targets:
            if os.path.lexists(target):
                old = os.path.join(staging, f"old-{os.path.basename(target)}")
                os.replace(target, old)
                aside.append((target, old))
        for new, target in zip(news, targets, strict=True):
            os.replace(new, target)
            placed.append((new, target))
    except BaseException as exc:
        stuck: list[str] = []
        for new, target in reversed(placed):
            try:
                os.replace(target, new)
            except OSError:
                stuck.append(str(target))
        for target, old in reversed(aside):
            try:
                os.replace(old, target)
            except OSError:
                stuck.append(str(target))
        if stuck:
            raise _KeptAside(
                f"{os.path.dirname(targets[0]) or os.curdir}: swapping in the new files failed ({exc}) "
                "and could not be undone",
                hint=f"the previous files are in {staging}; move them back by hand",
            ) from None
        raise
