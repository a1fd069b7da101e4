"""`data fix`: a cleaned copy of a file, with every change reported."""

from __future__ import annotations

import click

from core.errors import DataError
from ops.app import App
from ops.cli.data.common import IN, force_option, model_option, positive, purpose_option, workers_option
from ops.cli.options import global_options, out, pass_app
from ops.text import key_values, plural, table


@click.command()
@click.argument("file", type=IN)
@click.option("--out", "out_file", required=True, help="File for the cleaned copy (not FILE itself).")
@force_option("the --out file")
@model_option
@purpose_option
@workers_option
@global_options
@pass_app
def fix(
    app: App,
    file: str,
    out_file: str,
    force: bool,
    model: str | None,
    purpose: str,
    workers: int | None,
) -> None:
    """Write a cleaned copy of FILE to --out, and report every change with its line and reason.

    \b
    - examples with any error of `data validate` are dropped (too_long for --model included);
    - exact duplicates are dropped, the first kept;
    - leading/trailing whitespace of message contents is trimmed (a message left
      empty drops its example);
    - blank lines are removed; a byte-order mark and CRLF line ends are normalised.

    The copy is written to a temporary file beside --out and renamed into place when complete; it
    passes `data validate` with the same --model and --for. Exit status 0 when the copy was written (whatever
    changed), 1 when no valid example is left (nothing written), 2 for bad paths.
    """
    from ops.data.fix import fix_file

    positive(workers, "--workers")
    result = fix_file(
        file, out_file, model=model, force=force, workers=workers, validation=purpose == "validation"
    )
    counts = result.counts()
    rows = {
        "file": f"{result.source} ({plural(result.lines, 'line')}, {plural(result.examples, 'example')})",
        "out": f"{result.out} ({plural(result.kept, 'example')})"
        if result.written
        else f"{result.out}: not written, no valid example left",
        "model": result.model,
        "changes": ", ".join(f"{n:,} {action}" for action, n in counts.items()) or "none",
    }
    changes = [{"line": c.line or "file", "action": c.action, "reason": c.reason} for c in result.changes]
    text = key_values(rows) + ("\n\n" + table(changes, ["line", "action", "reason"]) if changes else "")
    out(app).result(result.to_dict(), text=text)
    also = " --for validation" if purpose == "validation" else ""
    for category, message in result.remaining:
        app.report.warn(f"{result.out}: {message} ({category}; `data validate{also}` still reports it)")
    if not result.written:
        raise DataError(
            f"{result.source}: no valid example left; {result.out} was not written",
            hint=f"`foundry-ops data validate {result.source}` lists the errors",
        )
