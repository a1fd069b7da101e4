"""Option decorators shared by command groups, so every command spells them the same way."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from ops.app import App
from ops.concurrency import DEFAULT_CONCURRENCY, MAX_CONCURRENCY
from ops.output import Format
from ops.polling import INITIAL_INTERVAL, MAX_INTERVAL

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(App)


def _set_format(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(App).output.format = Format(value)


def output_option(func: F) -> F:
    """`--output/-o table|json` on a read command."""
    return click.option(
        "--output",
        "-o",
        type=click.Choice([f.value for f in Format]),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_set_format,
        help="Result format: a readable table (default) or JSON on stdout.",
    )(func)


def _set_yes(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(App).assume_yes = True


def yes_option(func: F) -> F:
    """`--yes/-y`: skip the confirmation prompt of a destructive command."""
    return click.option(
        "--yes",
        "-y",
        is_flag=True,
        expose_value=False,
        callback=_set_yes,
        help="Do not ask for confirmation.",
    )(func)


def _from_env(ctx: click.Context, param: click.Parameter) -> bool:
    """The option repeats on the root and the subcommand: an environment value must not override a flag
    given explicitly on the root (`FOUNDRY_OUTPUTS=a foundry-ops --outputs b ...` reads b)."""
    return param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT


def _set_stack(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    app = ctx.ensure_object(App)
    if value and not (app.stack and _from_env(ctx, param)):
        app.stack = value


def _set_outputs(ctx: click.Context, param: click.Parameter, value: Path | None) -> None:
    app = ctx.ensure_object(App)
    if value is not None and not (app.outputs_file is not None and _from_env(ctx, param)):
        app.outputs_file = value


def stack_options(func: F) -> F:
    """`--stack` / `--outputs`, accepted on the root and on any command that reads the stack."""
    func = click.option(
        "--outputs",
        "outputs_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="FOUNDRY_OUTPUTS",
        expose_value=False,
        callback=_set_outputs,
        help="Saved stack outputs JSON (as written by `pulumi stack output --json`). Env: FOUNDRY_OUTPUTS.",
    )(func)
    return click.option(
        "--stack",
        envvar="FOUNDRY_STACK",
        expose_value=False,
        callback=_set_stack,
        help="Pulumi stack whose outputs to read with the Pulumi CLI. Env: FOUNDRY_STACK.",
    )(func)


def confirm(app: App, question: str) -> None:
    """Ask before a destructive step unless --yes; abort (exit 1) on no or when stdin is not a terminal."""
    if app.assume_yes:
        return
    if not sys.stdin.isatty():
        raise click.ClickException(f"{question} Refusing without a terminal; pass --yes to confirm.")
    click.confirm(question, abort=True, err=True)


def poll_interval_option(func: F) -> F:
    """`--poll-interval S` on every command that waits: the first interval of ops/polling.py's policy."""
    return click.option(
        "--poll-interval",
        type=click.FloatRange(0.1, 600),
        default=INITIAL_INTERVAL,
        show_default=True,
        help="First wait between status checks, in seconds; it grows while nothing changes "
        f"(up to {MAX_INTERVAL:g} s).",
    )(func)


def concurrency_option(what: str, maximum: int = MAX_CONCURRENCY, note: str = "") -> Callable[[F], F]:
    """`--concurrency N`: how many independent `what` run at once (ops/concurrency.py).

    ARM writes keep the low default maximum (the subscription throttles writes); inference requests
    may go higher, bounded by what the endpoint serves.
    """

    def decorate(func: F) -> F:
        return click.option(
            "--concurrency",
            type=click.IntRange(1, maximum),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help=f"How many {what} run at once.{' ' + note if note else ''}",
        )(func)

    return decorate
