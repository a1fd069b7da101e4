"""A Click group whose subcommands are imported only when one is invoked (or its help shown).

Each subcommand is named with the module that defines it and a short help line, so listing a group
(`--help`) imports none of them and running one imports only its own module. The root command and
`foundry-ops data` (whose commands pull in the data layer) use it.
"""

from __future__ import annotations

import importlib
from typing import Any

import click


class LazyGroup(click.Group):
    """`lazy`: command name -> ("module:attribute", short help), in the order `--help` lists them."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*self.lazy, *sorted(super().list_commands(ctx))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = self.lazy.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target[0].split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the lazy commands by their short help, so that `--help` imports none of them."""
        rows = [(name, short) for name, (_, short) in self.lazy.items()]
        rows += [(name, self.commands[name].get_short_help_str()) for name in sorted(self.commands)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
