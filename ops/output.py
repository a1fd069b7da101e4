"""Rendering: data to stdout (table or JSON), progress and notes to stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, TextIO

import click


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=False, default=str, ensure_ascii=False)


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str] | None = None) -> str:
    """A plain left-aligned text table; empty string when there are no rows."""
    if not rows:
        return ""
    cols = list(columns or rows[0].keys())
    cells = [[_cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip()]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def key_values(data: Mapping[str, Any]) -> str:
    width = max((len(k) for k in data), default=0)
    return "\n".join(f"{k.ljust(width)}  {_cell(v)}" for k, v in data.items())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


class Output:
    """Where a command's words go: results on stdout, everything else on stderr."""

    def __init__(self, fmt: Format = Format.TABLE, *, quiet: bool = False, err: TextIO | None = None) -> None:
        self.format = fmt
        self.quiet = quiet
        self._err = err

    @property
    def json(self) -> bool:
        return self.format is Format.JSON

    def result(
        self,
        data: Any,
        *,
        rows: Iterable[Mapping[str, Any]] | None = None,
        columns: Sequence[str] | None = None,
        text: str | None = None,
    ) -> None:
        """Print a command's result: JSON of `data`, or a table of `rows`, or `text`, or key/values."""
        if self.json:
            click.echo(to_json(data))
        elif text is not None:
            click.echo(text)
        elif rows is not None:
            rendered = table(list(rows), columns)
            click.echo(rendered if rendered else "(none)")
        elif isinstance(data, Mapping):
            click.echo(key_values(data))
        else:
            click.echo(str(data))

    def progress(self, message: str) -> None:
        if not self.quiet:
            click.echo(message, err=True, file=self._err)

    def warn(self, message: str) -> None:
        click.echo(f"warning: {message}", err=True, file=self._err)

    @staticmethod
    def is_terminal() -> bool:
        return sys.stderr.isatty()
