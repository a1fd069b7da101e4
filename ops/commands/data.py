"""`foundry-ops data`: check, measure and split chat JSONL training data, offline.

Nothing here talks to Azure; the heavy lifting is in ops.data (pure functions), and the tokenizer
is imported only by commands that count tokens.
"""

from __future__ import annotations

import click

from ops.app import App
from ops.options import output_option, pass_app
from ops.output import key_values

_MODEL_HELP = "Model whose tokenizer, chat template and context length apply (default: Phi-4-mini-instruct)."
_JOBS_HELP = "Worker processes (default: one per CPU available)."


def _positive(value: int | None, name: str) -> None:
    from ops.errors import UsageError

    if value is not None and value < 1:
        raise UsageError(f"{name} must be at least 1, got {value}")


@click.group()
def data() -> None:
    """Validate, profile, split and estimate chat JSONL training data (offline)."""


@data.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option("--model", "-m", default=None, help=_MODEL_HELP)
@click.option(
    "--structure-only",
    is_flag=True,
    help="Check structure only: no token counts, no credential scan (faster).",
)
@click.option("--jobs", "-j", type=int, default=None, help=_JOBS_HELP)
@click.option(
    "--max-per-category",
    type=int,
    default=None,
    help="Issues listed per category (default 20); all are counted.",
)
@output_option
@pass_app
def validate(
    app: App,
    file: str,
    model: str | None,
    structure_only: bool,
    jobs: int | None,
    max_per_category: int | None,
) -> None:
    """Check FILE against the service's rules, line by line, and profile its tokens.

    Exit status 0 when there is no error, 1 when there are errors (warnings never fail).
    """
    from ops.data.report import render_table
    from ops.data.rules import DEFAULT_ISSUE_CAP
    from ops.data.validate import validate_file

    _positive(jobs, "--jobs")
    _positive(max_per_category, "--max-per-category")
    report = validate_file(
        file, model, tokens=not structure_only, jobs=jobs, cap=max_per_category or DEFAULT_ISSUE_CAP
    )
    app.output.result(report.to_dict(), text=render_table(report))
    if not report.ok:
        click.get_current_context().exit(1)


@data.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option("--model", "-m", default=None, help=_MODEL_HELP)
@click.option("--epochs", "-e", type=int, required=True, help="Training epochs (the job's num_train_epochs).")
@click.option(
    "--price-per-1k-tokens",
    type=float,
    default=None,
    help="Your price per 1,000 training tokens, to show a cost. Env: FOUNDRY_PRICE_PER_1K_TOKENS.",
)
@click.option("--jobs", "-j", type=int, default=None, help=_JOBS_HELP)
@output_option
@pass_app
def estimate(
    app: App, file: str, model: str | None, epochs: int, price_per_1k_tokens: float | None, jobs: int | None
) -> None:
    """Billed training tokens for FILE: tokens per epoch x epochs, and the cost when a price is given.

    Exit status 1 when FILE has errors (the estimate then covers its valid examples only).
    """
    from ops.data.estimate import make_estimate
    from ops.data.validate import validate_file

    _positive(epochs, "--epochs")
    _positive(jobs, "--jobs")
    make_estimate(0, epochs, exact=True, price=price_per_1k_tokens)  # refuse a bad price before reading
    report = validate_file(file, model, jobs=jobs, epochs=epochs, price_per_1k_tokens=price_per_1k_tokens)
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
        "tokens": report.tokens.method,
        "estimate": est.summary(),
    }
    app.output.result(result, text=key_values(rows))
    if not report.ok:
        app.output.warn(
            f"{report.file} has {sum(report.error_counts.values())} error(s); only its valid examples are "
            "counted (see `foundry-ops data validate`)"
        )
        click.get_current_context().exit(1)


@data.command()
@click.argument("file", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--validation-fraction",
    "-f",
    type=float,
    required=True,
    help="Share of examples for validation, e.g. 0.1.",
)
@click.option(
    "--seed", "-s", type=int, default=0, show_default=True, help="Seed: same file and seed, same split."
)
@click.option("--out-dir", "-d", required=True, help="Directory for train.jsonl and validation.jsonl.")
@click.option("--force", is_flag=True, help="Overwrite existing train.jsonl / validation.jsonl.")
@click.option("--model", "-m", default=None, help=_MODEL_HELP)
@output_option
@pass_app
def split(
    app: App, file: str, validation_fraction: float, seed: int, out_dir: str, force: bool, model: str | None
) -> None:
    """Split FILE into OUT_DIR/train.jsonl and OUT_DIR/validation.jsonl, deterministically.

    Identical examples always land on the same side. FILE must validate (structure); existing
    outputs are only replaced with --force, and only once both new files are complete.
    """
    from ops.data.split import split_file

    result = split_file(
        file, validation_fraction=validation_fraction, seed=seed, out_dir=out_dir, force=force, model=model
    )
    rows = {
        "train": f"{result.train.path}  {result.train.examples:,} examples",
        "validation": f"{result.validation.path}  {result.validation.examples:,} examples "
        f"({result.validation_fraction:.1%}; asked {result.requested_fraction:.1%})",
        "seed": str(result.seed),
    }
    app.output.result(result.to_dict(), text=key_values(rows))


@data.command()
@click.argument("train", type=click.Path(dir_okay=True, path_type=str))
@click.argument("validation", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--max-listed", type=int, default=None, help="Shared examples listed (default 20); all are counted."
)
@output_option
@pass_app
def overlap(app: App, train: str, validation: str, max_listed: int | None) -> None:
    """Find training examples that also occur in the VALIDATION file (same roles and contents).

    Shared examples make validation loss look better than the model is. Exit status 1 when any is found.
    """
    from ops.data.overlap import find_overlap
    from ops.data.rules import DEFAULT_ISSUE_CAP
    from ops.output import table

    _positive(max_listed, "--max-listed")
    result = find_overlap(train, validation, cap=max_listed or DEFAULT_ISSUE_CAP)
    summary = key_values(
        {
            "train": f"{result.train} ({result.train_examples:,} examples)",
            "validation": f"{result.validation} ({result.validation_examples:,} examples)",
            "shared": f"{result.shared:,} training example(s) also in the validation file",
        }
    )
    rows = [{"train line": t, "validation line": v} for t, v in result.pairs]
    text = summary + ("\n\n" + table(rows) if rows else "")
    app.output.result(result.to_dict(), text=text)
    if not result.ok:
        click.get_current_context().exit(1)


from ops.commands.data_upload import upload  # noqa: E402  (talks to Azure; kept in its own module)

data.add_command(upload)
