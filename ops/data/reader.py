"""Read the lines of one byte range of a file, in bounded memory, so ranges can be checked in parallel.

A line belongs to the range its first byte lies in: a reader starting mid-line skips to the next
line, and the last line of a range is read to its end even past the range. Lines longer than
`max_line` are not kept (only their length), so one giant line cannot exhaust memory.
"""

from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

BLOCK_BYTES = 1 << 20
BOM = b"\xef\xbb\xbf"


class Oversize(NamedTuple):
    """Stands in for a line longer than the limit."""

    length: int


Line = bytes | Oversize


def plan_ranges(size: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """Split [0, size) into consecutive ranges of about `chunk_bytes` (at least one range)."""
    if size <= chunk_bytes:
        return [(0, size)]
    count = -(-size // chunk_bytes)
    step = -(-size // count)
    return [(start, min(start + step, size)) for start in range(0, size, step)]


class _Lines:
    """Assembles lines from blocks; at most `max_line` bytes of one line are held."""

    def __init__(self, max_line: int) -> None:
        self.max_line = max_line
        self.parts: list[bytes] = []
        self.held = 0
        self.oversize = 0  # >0 while skipping a line that went over the limit

    def add_partial(self, data: bytes) -> None:
        if self.oversize:
            self.oversize += len(data)
            return
        self.parts.append(data)
        self.held += len(data)
        if self.held > self.max_line:
            self.oversize, self.parts, self.held = self.held, [], 0

    def finish(self, data: bytes) -> Line:
        if self.oversize:
            line: Line = Oversize(self.oversize + len(data))
        elif self.parts:
            self.parts.append(data)
            joined = b"".join(self.parts)
            line = joined if len(joined) <= self.max_line else Oversize(len(joined))
        else:
            line = data if len(data) <= self.max_line else Oversize(len(data))
        self.parts, self.held, self.oversize = [], 0, 0
        return line

    @property
    def pending(self) -> bool:
        return bool(self.parts) or bool(self.oversize)


def _skip_partial_line(f: BinaryIO) -> int:
    """Read past the end of the current line; return how many bytes were skipped."""
    skipped = 0
    while True:
        block = f.read(BLOCK_BYTES)
        if not block:
            return skipped
        at = block.find(b"\n")
        if at >= 0:
            skipped += at + 1
            f.seek(f.tell() - len(block) + at + 1)
            return skipped
        skipped += len(block)


def iter_blocks(f: BinaryIO, start: int, end: int, max_line: int) -> Iterator[tuple[list[Line], bytes, bool]]:
    """Yield (lines, block, carried) for the lines owned by [start, end).

    `lines` are the lines completed in `block` (callers scan the block once, e.g. for secret
    markers); `carried` is true when lines[0] began in an earlier block. Line ends (\\n or \\r\\n)
    are removed, and a UTF-8 BOM at the start of the file."""
    pos = start
    if start > 0:
        f.seek(start - 1)
        if f.read(1) != b"\n":
            pos += _skip_partial_line(f)
    else:
        f.seek(0)
    acc = _Lines(max_line)
    first = start == 0
    while pos < end:
        block = f.read(min(BLOCK_BYTES, end - pos))
        if not block:
            break
        pos += len(block)
        pieces = block.split(b"\n")
        tail = pieces.pop()
        if pieces:
            carried = acc.pending
            lines: list[Line] = [acc.finish(pieces[0])]
            lines.extend(p if len(p) <= max_line else Oversize(len(p)) for p in pieces[1:])
            yield _clean(lines, first), block, carried
            first = False
        if tail:
            acc.add_partial(tail)
    # The last line started inside the range: finish it, reading past the end if need be.
    while acc.pending:
        block = f.read(BLOCK_BYTES)
        at = block.find(b"\n")
        if at < 0:
            if not block:  # the file ends without a final newline
                yield _clean([acc.finish(b"")], first), b"", True
                return
            acc.add_partial(block)
            continue
        yield _clean([acc.finish(block[:at])], first), block[:at], True
        return


def _clean(lines: list[Line], first: bool) -> list[Line]:
    if first and lines and isinstance(lines[0], bytes) and lines[0].startswith(BOM):
        lines[0] = lines[0][len(BOM) :]
    for i, line in enumerate(lines):
        if isinstance(line, bytes) and line.endswith(b"\r"):
            lines[i] = line[:-1]
    return lines
