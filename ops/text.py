"""Plain-text rendering shared by the CLI and the data reports: tables that fit, key/value blocks, JSON,
timestamps, "did you mean".

No Click here: the data layer renders its reports with these, the CLI prints them. Tables fit a width
(the terminal's, at the edge): the widest column is cut with `…` until the row fits.
"""

from __future__ import annotations

import datetime as dt  # click imports it anyway
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MIN_COLUMN = 8


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def plural(n: int, word: str) -> str:
    """`n` and `word`, with an s unless n is 1: "1 example", "1,204 examples"."""
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


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
    until every line fits. The first column is never cut: it names the row (a model, a job, an endpoint),
    and the name is what the next command takes; when the rest cannot give way, the terminal wraps.
    """
    if not rows:
        return ""
    cols = list(columns or rows[0].keys())
    cells = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    if width is not None:
        widths = _fit(widths, width)
    lines = ["  ".join(cut(c.upper(), w).ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(cut(v, w).ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def _fit(widths: list[int], total: int) -> list[int]:
    widths = list(widths)
    gaps = 2 * (len(widths) - 1)
    while sum(widths) + gaps > total and len(widths) > 1:
        i = max(range(1, len(widths)), key=lambda k: widths[k])
        if widths[i] <= MIN_COLUMN:
            break  # cannot narrow further: let the terminal wrap
        widths[i] = max(MIN_COLUMN, widths[i] - (sum(widths) + gaps - total))
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


def parse_iso(text: str | None) -> dt.datetime | None:
    """A service timestamp ("2024-11-25T07:36:17.1234567+00:00", "...Z", "2024-11-25 07:36:17"); naive
    ones are UTC. None when it is missing or not a timestamp."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """ISO 8601 UTC with `Z`, to the second ("2024-11-25T07:36:05Z")."""
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def iso_z(stamp: str | None) -> str | None:
    """A service timestamp as `iso` writes it; text that is not a timestamp is shown as it is."""
    if not stamp:
        return None
    moment = parse_iso(stamp)
    return iso(moment) if moment else str(stamp)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """ "; did you mean X?" to end a not-found message, or nothing."""
    from core.words import closest  # only on the way to a not-found message

    match = closest(word, choices)
    return f"; did you mean {match}?" if match else ""
