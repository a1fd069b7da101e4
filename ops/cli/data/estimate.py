"""`data estimate`: the training tokens a file bills, and the cost when a price is given."""

from __future__ import annotations

import click

from core.errors import DataError, UsageError
from ops.app import App
from ops.cli.data.common import FIX_HINT, IN, model_option, positive, shell_word, workers_option
from ops.cli.options import global_options, out, pass_app
from ops.limits import MAX_EPOCHS
from ops.text import key_values


@click.command()
@click.argument("file", type=IN)
@model_option
@click.option(
    "--epochs", "-e", type=int, required=True, help="Training epochs, 1-50 (the job's num_train_epochs)."
)
@click.option(
    "--price-per-1k-tokens",
    type=float,
    default=None,
    help="Your price per 1,000 training tokens, to show a cost. Env: FOUNDRY_PRICE_PER_1K_TOKENS.",
)
@workers_option
@global_options
@pass_app
def estimate(
    app: App,
    file: str,
    model: str | None,
    epochs: int,
    price_per_1k_tokens: float | None,
    workers: int | None,
) -> None:
    """Billed training tokens for FILE: tokens per epoch x epochs, and the cost when a price is given.

    Only valid examples are counted: one with any error (too_long included) is left out, and the
    result says how many were. Exit status 1 when FILE has errors (the estimate is still shown).
    """
    from ops.data.estimate import make_estimate
    from ops.data.validate import validate_file

    positive(epochs, "--epochs")
    if epochs > MAX_EPOCHS:  # what `finetune submit` and run files take, so an estimate is of a real job
        raise UsageError(f"--epochs must be between 1 and {MAX_EPOCHS}, got {epochs}")
    positive(workers, "--workers")
    make_estimate(0, epochs, exact=True, price=price_per_1k_tokens)  # refuse a bad price before reading
    report = validate_file(
        file, model, workers=workers, epochs=epochs, price_per_1k_tokens=price_per_1k_tokens
    )
    assert report.estimate is not None and report.tokens is not None
    est = report.estimate
    result = {
        "file": report.file,
        "model": report.model,
        "examples": report.valid_examples,
        "tokenizer": report.tokens.tokenizer,
        "method": report.tokens.method,
        **est.to_dict(),
        "errors": sum(report.error_counts.values()),
    }
    rows = {
        "file": report.file,
        "model": report.model,
        "examples": f"{report.valid_examples:,} valid",
    }
    if est.excluded_examples:
        rows["excluded"] = est.excluded_text()
    rows |= {"tokens": report.tokens.method, "estimate": est.summary()}
    out(app).result(result, text=key_values(rows))
    if not report.ok:
        raise DataError(
            f"{report.error_summary()}; the estimate counts its {report.valid_examples:,} valid example(s) only",
            hint=FIX_HINT.format(file=shell_word(file), also="") if est.excluded_examples else None,
        )
