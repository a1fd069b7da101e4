"""File-wide duplicate detection in bounded memory.

Every valid example contributes an 8-byte digest and its line. Pairs are partitioned by digest into
buckets; past a threshold the buckets are appended to temporary files, and at the end each bucket is
checked on its own, so the largest structure held is one bucket's table (1/BUCKETS of the file's
examples). Lines arrive in increasing order, so the first line of a digest is the original.

SpillingBuckets is the storage (rows of 64-bit columns, partitioned by the first); `data overlap` keeps
three columns in it (near key, exact key, line) so both kinds of match meet in one bucket.
"""

from __future__ import annotations

import os
from array import array
from collections.abc import Iterator
from typing import Self

BUCKETS = 64
SPILL_AFTER = 1 << 18  # pairs held in memory before the buckets go to disk (4 MB)


class SpillingBuckets:
    """Rows of `columns` unsigned 64-bit values, partitioned into buckets by the first column.

    Past `spill_after` rows held, every bucket is appended to its own temporary file; `rows(b)` gives a
    bucket's rows back in the order they were added."""

    def __init__(self, columns: int, buckets: int = BUCKETS, spill_after: int = SPILL_AFTER) -> None:
        self.columns = columns
        self.buckets = buckets
        self.spill_after = spill_after
        self._cols = [[array("Q") for _ in range(buckets)] for _ in range(columns)]
        self._held = 0
        self._dir: str | None = None

    def add_rows(self, *columns: array[int]) -> None:
        n = self.buckets
        cols = self._cols
        for row in zip(*columns, strict=True):
            b = row[0] % n
            for c, value in enumerate(row):
                cols[c][b].append(value)
        self._held += len(columns[0])
        if self._held >= self.spill_after:
            self._spill()

    def _spill(self) -> None:
        if self._dir is None:
            import tempfile  # only when the hashes outgrow memory

            self._dir = tempfile.mkdtemp(prefix="foundry-ops-dups-")
        for b in range(self.buckets):
            size = len(self._cols[0][b])
            if not size:
                continue
            # each record: the columns one after the other; the .idx file holds the record sizes
            with open(os.path.join(self._dir, f"{b}.bin"), "ab") as f:
                for col in self._cols:
                    col[b].tofile(f)
            with open(os.path.join(self._dir, f"{b}.idx"), "ab") as f:
                array("Q", [size]).tofile(f)
            for col in self._cols:
                col[b] = array("Q")
        self._held = 0

    def rows(self, b: int) -> Iterator[tuple[int, ...]]:
        if self._dir is not None and os.path.exists(os.path.join(self._dir, f"{b}.idx")):
            sizes = array("Q")
            with open(os.path.join(self._dir, f"{b}.idx"), "rb") as f:
                sizes.frombytes(f.read())
            with open(os.path.join(self._dir, f"{b}.bin"), "rb") as f:
                for size in sizes:
                    record = []
                    for _ in range(self.columns):
                        col = array("Q")
                        col.fromfile(f, size)
                        record.append(col)
                    yield from zip(*record, strict=True)
        yield from zip(*(col[b] for col in self._cols), strict=True)

    def close(self) -> None:
        if self._dir is not None:
            import shutil

            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class DuplicateFinder(SpillingBuckets):
    """(digest, line) rows: which lines repeat an earlier line's digest."""

    def __init__(self, buckets: int = BUCKETS, spill_after: int = SPILL_AFTER) -> None:
        super().__init__(2, buckets, spill_after)

    def add(self, digests: array[int], lines: array[int], line_offset: int) -> None:
        n = self.buckets
        bucket_digests, bucket_lines = self._cols
        for digest, line in zip(digests, lines, strict=True):
            b = digest % n
            bucket_digests[b].append(digest)
            bucket_lines[b].append(line + line_offset)
        self._held += len(digests)
        if self._held >= self.spill_after:
            self._spill()

    def duplicates(self, cap: int) -> tuple[int, list[tuple[int, int]]]:
        """(how many examples repeat an earlier one, the first `cap` as (line, original line))."""
        total = 0
        firsts: list[list[tuple[int, int]]] = []
        for b in range(self.buckets):
            seen: dict[int, int] = {}
            found: list[tuple[int, int]] = []
            for digest, line in self.rows(b):
                original = seen.setdefault(digest, line)
                if original != line:
                    total += 1
                    if len(found) < cap:
                        found.append((line, original))
            firsts.append(found)
        # each bucket's list is in line order and holds at most `cap`: sorting them all is cheap
        return total, sorted(pair for found in firsts for pair in found)[:cap]
