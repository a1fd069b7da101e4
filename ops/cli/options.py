"""Option decorators shared by every command, so each is spelt the same everywhere.

The global options (-o/--output, -q/--quiet, --debug, --stack, --outputs) are accepted before or
after the subcommand: `foundry-ops -o json deploy list` and `foundry-ops deploy list -o json` agree.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click
from click.core import ParameterSource

from core.errors import UsageError
from ops.app import App
from ops.cli.output import Format, Output
from ops.limits import DEFAULT_CONCURRENCY, INITIAL_INTERVAL, MAX_CONCURRENCY, MAX_INTERVAL

F = TypeVar("F", bound=Callable[..., Any])

pass_app = click.make_pass_decorator(App, ensure=True)


def out(app: App) -> Output:
    """The App's reporter as the CLI built it (results are rendered by it)."""
    if not isinstance(app.report, Output):
        app.report = Output()
    return cast(Output, app.report)


class PathType(click.Path):
    """click.Path giving a pathlib.Path, with pathlib imported only when a value is converted (so that
    building the commands for `--help` does not load it)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from pathlib import Path

        return Path(str(super().convert(value, param, ctx)))


def _app(ctx: click.Context) -> App:
    return ctx.ensure_object(App)


def _from_env(ctx: click.Context, param: click.Parameter) -> bool:
    return param.name is not None and ctx.get_parameter_source(param.name) is ParameterSource.ENVIRONMENT


def _set_format(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        out(_app(ctx)).format = Format(value)


def _set_quiet(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        out(_app(ctx)).quiet = True


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).debug = True


def _set_stack(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """A value given on the command line wins over one from the environment at the other level."""
    app = _app(ctx)
    if value and not (app.stack and _from_env(ctx, param)):
        app.stack = value


def _set_outputs(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    app = _app(ctx)
    if value is not None and not (app.outputs_file is not None and _from_env(ctx, param)):
        from pathlib import Path  # not at import: the root's --help need not load pathlib

        app.outputs_file = Path(value)


def _opt(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    return cast(Callable[[F], F], click.option(*args, expose_value=False, **kwargs))


def output_option(formats: tuple[Format, ...] = (Format.TABLE, Format.JSON)) -> Callable[[F], F]:
    return _opt(
        "--output",
        "-o",
        type=click.Choice([f.value for f in formats]),
        default=None,
        is_eager=True,
        callback=_set_format,
        help="Result format: a readable table (default) or JSON"
        + (", or CSV" if Format.CSV in formats else "")
        + " on stdout.",
    )


def global_options(func: F) -> F:
    """-o, -q, --debug, --stack, --outputs: on the root and on every command."""
    for decorator in (
        _opt(
            "--outputs",
            "outputs_file",
            type=click.Path(dir_okay=False),
            envvar="FOUNDRY_OUTPUTS",
            callback=_set_outputs,
            help="Saved stack outputs JSON (`pulumi stack output --json`). Env: FOUNDRY_OUTPUTS.",
        ),
        _opt(
            "--stack",
            envvar="FOUNDRY_STACK",
            callback=_set_stack,
            help="Pulumi stack whose outputs to read with the Pulumi CLI. Env: FOUNDRY_STACK.",
        ),
        _opt(
            "--debug",
            is_flag=True,
            callback=_set_debug,
            help="Print every HTTP request (secrets redacted) on stderr.",
        ),
        _opt("--quiet", "-q", is_flag=True, callback=_set_quiet, help="No progress messages on stderr."),
    ):
        func = decorator(func)
    if not any(getattr(p, "name", None) == "output" for p in getattr(func, "__click_params__", [])):
        func = output_option()(func)
    return func


def _set_yes(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).assume_yes = True


def yes_option(func: F) -> F:
    """`--yes/-y`: confirm a destructive action without asking."""
    return _opt("--yes", "-y", is_flag=True, callback=_set_yes, help="Do not ask for confirmation.")(func)


def can_ask() -> bool:
    """Whether there is a terminal to ask on."""
    return sys.stdin.isatty()


def confirm(app: App, question: str) -> None:
    """Every action that deletes, cancels or lowers safety asks first, unless --yes. Without a terminal
    to ask on (a pipeline) and without --yes, nothing is done and the exit code is 2. Answered no,
    nothing is done either, and the command says so and exits 0: what was asked for was done."""
    if app.assume_yes:
        return
    if not can_ask():
        raise UsageError(f"{question} Refusing without a terminal to ask on; pass --yes to confirm")
    if not click.confirm(question, err=True):
        click.echo("nothing was done", err=True)
        click.get_current_context().exit(0)


def _policy(_ctx: click.Context, _param: click.Parameter, value: float) -> Any:
    from ops.polling import policy_for

    return policy_for(value)


def poll_interval_option(func: F) -> F:
    """`--poll-interval S` on every command that waits; the command receives `policy`, the shared polling
    policy (ops/polling.py) starting at S."""
    return click.option(
        "--poll-interval",
        "policy",
        type=click.FloatRange(0.1, 600),
        default=INITIAL_INTERVAL,
        show_default=True,
        callback=_policy,
        help=f"First wait between status checks, in seconds; it grows while nothing changes (up to {MAX_INTERVAL:g} s).",
    )(func)


def concurrency_option(what: str, maximum: int = MAX_CONCURRENCY, note: str = "") -> Callable[[F], F]:
    """`--concurrency N`: how many independent `what` run at once (ops/concurrency.py)."""

    def decorate(func: F) -> F:
        return click.option(
            "--concurrency",
            type=click.IntRange(1, maximum),
            default=DEFAULT_CONCURRENCY,
            show_default=True,
            help=f"How many {what} run at once.{' ' + note if note else ''}",
        )(func)

    return decorate


def wait_option(default: bool, what: str) -> Callable[[F], F]:
    """`--wait/--no-wait`, the same spelling on every command that can wait."""
    return cast(
        Callable[[F], F],
        click.option("--wait/--no-wait", default=default, show_default=True, help=f"Wait until {what}."),
    )


def model_option(default: str | None = None, required: bool = False) -> Callable[[F], F]:
    """`--model/-m NAME`: a catalog model, spelt the same on every command."""
    # No `default=None` when there is none: Click 8.5 takes an explicit None for a given value, and a
    # required option with one is never missing (tests/core/test_cli_edge.py checks every command).
    given: dict[str, Any] = {"default": default, "show_default": True} if default is not None else {}
    return cast(
        Callable[[F], F],
        click.option(
            "--model",
            "-m",
            "model",
            required=required,
            help="Catalog model, e.g. Phi-4-mini-instruct (`foundry-ops models list`).",
            **given,
        ),
    )


def chat_file_option(help_text: str, required: bool = False) -> Callable[[F], F]:
    """`--file FILE`: chat JSONL, spelt the same for `endpoint test` and `eval`."""
    return cast(
        Callable[[F], F],
        click.option(
            "--file",
            "file",
            required=required,
            type=PathType(exists=True, dir_okay=False),
            help=help_text,
        ),
    )
