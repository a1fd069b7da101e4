"""File-wide duplicate detection in bounded memory.

Every valid example contributes an 8-byte digest and its line. Pairs are partitioned by digest into
buckets; past a threshold the buckets are appended to temporary files, and at the end each bucket is
checked on its own, so the largest structure held is one bucket's table (1/BUCKETS of the file's
examples). Lines arrive in increasing order, so the first line of a digest is the original.
"""

from __future__ import annotations

import heapq
import os
import shutil
import tempfile
from array import array
from collections.abc import Callable, Iterator

BUCKETS = 64
SPILL_AFTER = 1 << 18  # pairs held in memory before the buckets go to disk (4 MB)


class DuplicateFinder:
    def __init__(self, buckets: int = BUCKETS, spill_after: int = SPILL_AFTER) -> None:
        self.buckets = buckets
        self.spill_after = spill_after
        self._digests = [array("Q") for _ in range(buckets)]
        self._lines = [array("Q") for _ in range(buckets)]
        self._held = 0
        self._dir: str | None = None

    def add(self, digests: array[int], lines: array[int], line_offset: int) -> None:
        n = self.buckets
        bucket_digests, bucket_lines = self._digests, self._lines
        for digest, line in zip(digests, lines, strict=True):
            b = digest % n
            bucket_digests[b].append(digest)
            bucket_lines[b].append(line + line_offset)
        self._held += len(digests)
        if self._held >= self.spill_after:
            self._spill()

    def _spill(self) -> None:
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="foundry-ops-dups-")
        for b in range(self.buckets):
            if not self._digests[b]:
                continue
            with open(os.path.join(self._dir, f"{b}.bin"), "ab") as f:
                self._digests[b].tofile(f)
                self._lines[b].tofile(f)
                # each record: count, then the digests, then the lines
            with open(os.path.join(self._dir, f"{b}.idx"), "ab") as f:
                array("Q", [len(self._digests[b])]).tofile(f)
            self._digests[b] = array("Q")
            self._lines[b] = array("Q")
        self._held = 0

    def _bucket(self, b: int) -> Iterator[tuple[int, int]]:
        if self._dir is not None and os.path.exists(os.path.join(self._dir, f"{b}.idx")):
            sizes = array("Q")
            with open(os.path.join(self._dir, f"{b}.idx"), "rb") as f:
                sizes.frombytes(f.read())
            with open(os.path.join(self._dir, f"{b}.bin"), "rb") as f:
                for size in sizes:
                    digests, lines = array("Q"), array("Q")
                    digests.fromfile(f, size)
                    lines.fromfile(f, size)
                    yield from zip(digests, lines, strict=True)
        yield from zip(self._digests[b], self._lines[b], strict=True)

    def duplicates(
        self, cap: int, keep: Callable[[int, int], bool] | None = None
    ) -> tuple[int, list[tuple[int, int]]]:
        """(how many examples repeat an earlier one, the first `cap` as (line, original line)).

        `keep(line, original)` narrows which repeats count (e.g. only across two files)."""
        total = 0
        firsts: list[list[tuple[int, int]]] = []
        for b in range(self.buckets):
            seen: dict[int, int] = {}
            found: list[tuple[int, int]] = []
            for digest, line in self._bucket(b):
                original = seen.setdefault(digest, line)
                if original != line and (keep is None or keep(line, original)):
                    total += 1
                    if len(found) < cap:
                        found.append((line, original))
            firsts.append(found)
        return total, list(heapq.merge(*firsts))[:cap]

    def close(self) -> None:
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> DuplicateFinder:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
