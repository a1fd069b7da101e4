"""`data validate`: check a file against the service's rules, line by line, and profile its tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from core.errors import DataError
from ops.app import App
from ops.cli.data.common import (
    FIX_HINT,
    IN,
    SMALL_TRAINING_HINT,
    max_listed_option,
    model_option,
    positive,
    purpose_option,
    shell_word,
    workers_option,
)
from ops.cli.options import global_options, out, pass_app

if TYPE_CHECKING:
    from ops.data.report import ValidationReport


@click.command()
@click.argument("file", type=IN)
@model_option
@purpose_option
@click.option(
    "--structure-only",
    is_flag=True,
    help="Check structure only: no token counts, no credential scan (faster).",
)
@workers_option
@max_listed_option("Issues per category")
@global_options
@pass_app
def validate(
    app: App,
    file: str,
    model: str | None,
    purpose: str,
    structure_only: bool,
    workers: int | None,
    max_listed: int | None,
) -> None:
    """Check FILE against the service's rules, line by line, and profile its tokens.

    Exit status 0 when there is no error, 1 when there are errors (warnings never fail).
    """
    from ops.data.report import render_table
    from ops.data.rules import DEFAULT_ISSUE_CAP
    from ops.data.validate import validate_file

    positive(workers, "--workers")
    positive(max_listed, "--max-listed")
    report = validate_file(
        file,
        model,
        tokens=not structure_only,
        workers=workers,
        cap=max_listed or DEFAULT_ISSUE_CAP,
        validation=purpose == "validation",
    )
    out(app).result(report.to_dict(), text=render_table(report))
    if not report.ok:
        raise DataError(report.error_summary(), hint=_hint(report, file, purpose))


def _hint(report: ValidationReport, file: str, purpose: str) -> str | None:
    """What to do next: reshape a JSON array, drop the bad examples, or check small validation data as such."""
    from ops.data.shape import json_document_hint

    shaped = json_document_hint(file, report.error_counts, report.lines)
    if shaped is not None:
        return shaped
    if report.examples > report.valid_examples:
        also = " --for validation" if purpose == "validation" else ""
        return FIX_HINT.format(file=shell_word(file), also=also)
    if set(report.error_counts) == {"too_few_examples"} and purpose == "training" and report.examples:
        return SMALL_TRAINING_HINT
    return None
