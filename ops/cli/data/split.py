"""`data split`: train and validation files from one, deterministically."""

from __future__ import annotations

import click

from ops.app import App
from ops.cli.data.common import IN, force_option, model_option, positive, workers_option
from ops.cli.options import global_options, out, pass_app
from ops.data.rules import MIN_EXAMPLES
from ops.text import key_values, plural


@click.command()
@click.argument("file", type=IN)
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
@force_option("train.jsonl and validation.jsonl")
@model_option
@workers_option
@global_options
@pass_app
def split(
    app: App,
    file: str,
    validation_fraction: float,
    seed: int,
    out_dir: str,
    force: bool,
    model: str | None,
    workers: int | None,
) -> None:
    """Split FILE into OUT_DIR/train.jsonl and OUT_DIR/validation.jsonl, deterministically.

    Identical examples always land on the same side. FILE must validate (structure; exit 1 if not);
    existing outputs are only replaced with --force, and both new files are swapped in together.
    """
    from ops.data.split import split_file

    positive(workers, "--workers")
    result = split_file(
        file,
        validation_fraction=validation_fraction,
        seed=seed,
        out_dir=out_dir,
        force=force,
        model=model,
        workers=workers,
    )
    rows = {
        "train": f"{result.train.path}  {plural(result.train.examples, 'example')}",
        "validation": f"{result.validation.path}  {plural(result.validation.examples, 'example')} "
        f"({result.validation_fraction:.1%}; asked {result.requested_fraction:.1%})",
        "seed": str(result.seed),
    }
    out(app).result(result.to_dict(), text=key_values(rows))
    if result.train.examples < MIN_EXAMPLES:  # a split is no training file yet; say what it lacks
        app.report.warn(
            f"{result.train.path} holds {result.train.examples} example(s); fine-tuning needs at least "
            f"{MIN_EXAMPLES} (a smaller --validation-fraction keeps more)"
        )
