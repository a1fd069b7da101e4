"""`data overlap`: training examples that also occur in the validation file."""

from __future__ import annotations

import click

from core.errors import DataError
from ops.app import App
from ops.cli.data.common import IN, max_listed_option, positive
from ops.cli.options import global_options, out, pass_app
from ops.text import key_values, plural, table


@click.command()
@click.argument("train", type=IN)
@click.argument("validation", type=IN)
@max_listed_option("Shared examples of each kind")
@global_options
@pass_app
def overlap(app: App, train: str, validation: str, max_listed: int | None) -> None:
    """Find training examples that also occur in the VALIDATION file: exactly (same roles and
    contents) or nearly (the same once case, whitespace and digits are normalised).

    Shared examples make validation loss look better than the model is. Exit status 1 when any is
    found, or when a line of either file is not a usable example (it cannot be compared).
    """
    from ops.data.overlap import find_overlap
    from ops.data.rules import DEFAULT_ISSUE_CAP

    positive(max_listed, "--max-listed")
    result = find_overlap(train, validation, cap=max_listed or DEFAULT_ISSUE_CAP)
    rows = {
        "train": f"{result.train} ({plural(result.train_examples, 'example')})",
        "validation": f"{result.validation} ({plural(result.validation_examples, 'example')})",
        "shared": f"{result.shared:,} training example(s) also in the validation file",
        "near": f"{result.near:,} training example(s) nearly the same as a validation example (case, whitespace, digits)",
    }
    skipped = [
        (p, n) for p, n in ((train, result.train_skipped), (validation, result.validation_skipped)) if n
    ]
    if skipped:
        rows["skipped"] = "; ".join(f"{p}: {n:,} line(s) not usable examples" for p, n in skipped)
    pairs = [(t, v, "exact") for t, v in result.pairs] + [(t, v, "near") for t, v in result.near_pairs or []]
    listed = [{"train line": t, "validation line": v, "match": m} for t, v, m in sorted(pairs)]
    text = key_values(rows) + ("\n\n" + table(listed) if listed else "")
    out(app).result(result.to_dict(), text=text)
    if not result.ok:
        raise DataError(
            "; ".join(result.problems()),
            hint="`foundry-ops data validate` explains unusable lines" if skipped else None,
        )
