"""What the `data` commands share: option decorators spelt once, the input-path type, the fix hint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from catalog import DEFAULT_MODEL
from core.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])

MODEL_HELP = f"Model whose tokenizer, chat template and context length apply (default: {DEFAULT_MODEL})."
# Input files are checked by ops.data (files.check_input_file), not by Click, so every bad path gets
# the same one-line message and exit code 2.
IN = click.Path(path_type=str, readable=False)
FIX_HINT = "`foundry-ops data fix {file} --out CLEAN{also}` writes a copy without the invalid examples"
SMALL_TRAINING_HINT = "add examples; for validation data, pass --for validation: it needs only one"


def model_option(func: F) -> F:
    return click.option("--model", "-m", default=None, help=MODEL_HELP)(func)


def shell_word(path: str) -> str:
    """`path` quoted for a command in a hint; shlex only on the way to an error, not on every start-up."""
    import shlex

    return shlex.quote(path)


def purpose_option(func: F) -> F:
    """--for: the minimum size differs (training 10 examples, validation 1); every other rule is the same."""
    return click.option(
        "--for",
        "purpose",
        type=click.Choice(["training", "validation"]),
        default="training",
        show_default=True,
        help="What FILE is for: training data needs at least 10 examples, validation data one.",
    )(func)


def workers_option(func: F) -> F:
    return click.option(
        "--workers", type=int, default=None, help="Worker processes (default: one per CPU available)."
    )(func)


def max_listed_option(what: str) -> Callable[[F], F]:
    return click.option(
        "--max-listed", type=int, default=None, help=f"{what} listed (default 20); all are counted."
    )


def force_option(what: str) -> Callable[[F], F]:
    return click.option("--force", is_flag=True, help=f"Replace {what} if it exists.")


def positive(value: int | None, name: str) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{name} must be at least 1, got {value}")
