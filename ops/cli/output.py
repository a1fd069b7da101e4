"""Where a command's words go: results on stdout (a table that fits, or JSON), everything else on stderr.

The Output is the App's reporter: flows call progress/warn/status/debug, commands call result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

import click

from ops.text import key_values, table, to_json


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


class Format(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class Output:
    def __init__(self, fmt: Format = Format.TABLE, *, quiet: bool = False) -> None:
        self.format = fmt
        self.quiet = quiet
        self._live = 0  # width of the live status line now on stderr (0: none)

    @property
    def json(self) -> bool:
        return self.format is Format.JSON

    @staticmethod
    def width() -> int | None:
        """The terminal's width (COLUMNS, else the terminal's own) when stdout is a terminal; None when it
        is a pipe or a file: what a script reads is never cut."""
        if not stdout_is_terminal():
            return None
        env = os.environ.get("COLUMNS", "")
        if env.isdigit() and int(env) > 0:
            return int(env)
        stream = sys.__stdout__
        try:  # what shutil.get_terminal_size does, without importing shutil (and its compressors)
            return (os.get_terminal_size(stream.fileno()).columns if stream else 0) or 80
        except (ValueError, OSError):
            return 80

    def result(
        self,
        data: Any,
        *,
        rows: Iterable[Mapping[str, Any]] | None = None,
        columns: Sequence[str] | None = None,
        text: str | None = None,
    ) -> None:
        """A command's result: JSON of `data`, or a table of `rows`, or `text`, or key/values."""
        self._end_live()
        if self.json:
            click.echo(to_json(data))
        elif text is not None:
            click.echo(text)
        elif rows is not None:
            rendered = table(list(rows), columns, width=self.width())
            click.echo(rendered if rendered else "(none)")
        elif isinstance(data, Mapping):
            click.echo(key_values(data, width=self.width()))
        else:
            click.echo(str(data))

    def progress(self, message: str) -> None:
        if not self.quiet:
            self._end_live()
            click.echo(message, err=True)

    def warn(self, message: str) -> None:
        self._end_live()
        click.echo(f"warning: {message}", err=True)

    def debug(self, message: str) -> None:
        self._end_live()
        click.echo(message, err=True)

    def status(self, text: str, changed: bool) -> None:
        """A wait's status: rewritten in place on a terminal, a new line on each change otherwise."""
        if self.quiet:
            return
        if not stderr_is_terminal():
            if changed:
                click.echo(text, err=True)
            return
        if changed:
            self._end_live()
        pad = max(0, self._live - len(text))
        sys.stderr.write("\r" + text + " " * pad)
        sys.stderr.flush()
        self._live = len(text)

    def _end_live(self) -> None:
        if self._live:
            sys.stderr.write("\n")
            sys.stderr.flush()
            self._live = 0
