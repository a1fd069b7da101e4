"""Plain-text rendering shared by the CLI and the data reports: tables that fit, key/value blocks, JSON.

No Click here: the data layer renders its reports with these, the CLI prints them. Tables fit a width
(the terminal's, at the edge): the widest column is cut with `…` until the row fits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

MIN_COLUMN = 8


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    return " ".join(str(value).split()) if "\n" in str(value) else str(value)


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None, width: int | None = None
) -> str:
    """A plain left-aligned text table; empty string when there are no rows.

    With `width`, the widest columns are narrowed (never below MIN_COLUMN) and their cells cut with `…`
    until every line fits.
    """
    if not rows:
        return ""
    cols = list(columns or rows[0].keys())
    cells = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    if width is not None:
        widths = _fit(widths, [len(c) for c in cols], width)
    lines = ["  ".join(cut(c.upper(), w).ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(cut(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _fit(widths: list[int], headers: list[int], total: int) -> list[int]:
    widths = list(widths)
    gaps = 2 * (len(widths) - 1)
    while sum(widths) + gaps > total:
        i = max(range(len(widths)), key=lambda k: widths[k])
        floor = max(MIN_COLUMN, min(headers[i], MIN_COLUMN))
        if widths[i] <= floor:
            break  # cannot narrow further: let the terminal wrap
        widths[i] = max(floor, widths[i] - (sum(widths) + gaps - total))
    return widths


def key_values(data: Mapping[str, Any], width: int | None = None) -> str:
    """`key  value` lines; with `width`, long values wrap under their own column."""
    if not data:
        return ""
    pad = max(len(k) for k in data)
    lines = []
    for key, value in data.items():
        text = cell(value)
        room = (width - pad - 2) if width else None
        if room and room > 20 and len(text) > room:
            import textwrap

            chunks = textwrap.wrap(text, room) or [text]
            lines.append(f"{key.ljust(pad)}  {chunks[0]}")
            lines += [f"{'':{pad}}  {c}" for c in chunks[1:]]
        else:
            lines.append(f"{key.ljust(pad)}  {text}")
    return "\n".join(lines)


def iso_z(stamp: str | None) -> str | None:
    """A service timestamp as ISO 8601 UTC with `Z`, to the second ("2024-11-25T07:36:05Z")."""
    if not stamp:
        return None
    import datetime as dt

    text = str(stamp).strip().replace(" ", "T")
    try:
        head, dot, rest = text.partition(".")
        if dot:  # Azure writes 7 fractional digits, which fromisoformat does not take
            zone = next((i for i, ch in enumerate(rest) if ch in "+-Z"), len(rest))
            text = head + rest[zone:]
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return str(stamp)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
