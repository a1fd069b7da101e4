"""`foundry-ops data`: check, measure, fix and split chat JSONL training data offline; upload it.

Only `upload` talks to Azure. The work is in ops.data (pure functions; the tokenizer is imported only
by commands that count tokens); this module parses options, renders results and picks exit codes:
data with errors exits 1 (DataError, raised after the result is printed), bad options and paths exit 2
(UsageError), always as one `Error:` line on stderr. An OSError that escapes ops.data becomes such a
line too (DataGroup), never a traceback.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from catalog import DEFAULT_MODEL
from core.errors import DataError, UsageError
from ops.app import App
from ops.cli.options import PathType, global_options, out, pass_app
from ops.text import key_values, table

if TYPE_CHECKING:
    from pathlib import Path

F = TypeVar("F", bound=Callable[..., Any])

_MODEL_HELP = f"Model whose tokenizer, chat template and context length apply (default: {DEFAULT_MODEL})."
# Input files are checked by ops.data (files.check_input_file), not by Click, so every bad path gets
# the same one-line message and exit code 2.
_IN = click.Path(path_type=str, readable=False)
_FIX_HINT = "`foundry-ops data fix {file} --out CLEAN` writes a copy without the invalid examples"


def _model(func: F) -> F:
    return click.option("--model", "-m", default=None, help=_MODEL_HELP)(func)


def _workers(func: F) -> F:
    return click.option(
        "--workers", type=int, default=None, help="Worker processes (default: one per CPU available)."
    )(func)


def _max_listed(what: str) -> Callable[[F], F]:
    return click.option(
        "--max-listed", type=int, default=None, help=f"{what} listed (default 20); all are counted."
    )


def _force(what: str) -> Callable[[F], F]:
    return click.option("--force", is_flag=True, help=f"Replace {what} if it exists.")


def _positive(value: int | None, name: str) -> None:
    if value is not None and value < 1:
        raise UsageError(f"{name} must be at least 1, got {value}")


class DataGroup(click.Group):
    """The data commands; an OSError that escapes them ends as one `Error:` line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # stdout closed early (`| head`): Click's own handling
                raise
            from ops.data.files import file_error

            raise file_error(exc) from None


@click.group(cls=DataGroup)
@global_options
def data() -> None:
    """Validate, profile, fix, split, estimate and upload chat JSONL training data.

    \b
    Exit status: 0 ok; 1 the data has errors (or, for overlap, shares examples); 2 bad options or
    paths (nothing was changed). Every failure is one `Error:` line on stderr.
    """


@data.command()
@click.argument("file", type=_IN)
@_model
@click.option(
    "--structure-only",
    is_flag=True,
    help="Check structure only: no token counts, no credential scan (faster).",
)
@_workers
@_max_listed("Issues per category")
@global_options
@pass_app
def validate(
    app: App,
    file: str,
    model: str | None,
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

    _positive(workers, "--workers")
    _positive(max_listed, "--max-listed")
    report = validate_file(
        file, model, tokens=not structure_only, workers=workers, cap=max_listed or DEFAULT_ISSUE_CAP
    )
    out(app).result(report.to_dict(), text=render_table(report))
    if not report.ok:
        bad_examples = report.examples > report.valid_examples
        raise DataError(report.error_summary(), hint=_FIX_HINT.format(file=file) if bad_examples else None)


@data.command()
@click.argument("file", type=_IN)
@_model
@click.option("--epochs", "-e", type=int, required=True, help="Training epochs (the job's num_train_epochs).")
@click.option(
    "--price-per-1k-tokens",
    type=float,
    default=None,
    help="Your price per 1,000 training tokens, to show a cost. Env: FOUNDRY_PRICE_PER_1K_TOKENS.",
)
@_workers
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

    _positive(epochs, "--epochs")
    _positive(workers, "--workers")
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
            hint=_FIX_HINT.format(file=file) if est.excluded_examples else None,
        )


@data.command()
@click.argument("file", type=_IN)
@click.option("--out", "out_file", required=True, help="File for the cleaned copy (not FILE itself).")
@_force("the --out file")
@_model
@global_options
@pass_app
def fix(app: App, file: str, out_file: str, force: bool, model: str | None) -> None:
    """Write a cleaned copy of FILE to --out, and report every change with its line and reason.

    \b
    - examples with any error of `data validate` are dropped (too_long for --model included);
    - exact duplicates are dropped, the first kept;
    - leading/trailing whitespace of message contents is trimmed (a message left
      empty drops its example);
    - blank lines are removed; a byte-order mark and CRLF line ends are normalised.

    The copy is written to a temporary file beside --out and renamed into place when complete; it
    passes `data validate` with the same --model. Exit status 0 when the copy was written (whatever
    changed), 1 when no valid example is left (nothing written), 2 for bad paths.
    """
    from ops.data.fix import fix_file

    result = fix_file(file, out_file, model=model, force=force)
    counts = result.counts()
    rows = {
        "file": f"{result.source} ({result.lines:,} lines, {result.examples:,} examples)",
        "out": f"{result.out} ({result.kept:,} examples)"
        if result.written
        else f"{result.out}: not written, no valid example left",
        "model": result.model,
        "changes": ", ".join(f"{n:,} {action}" for action, n in counts.items()) or "none",
    }
    changes = [{"line": c.line or "file", "action": c.action, "reason": c.reason} for c in result.changes]
    text = key_values(rows) + ("\n\n" + table(changes, ["line", "action", "reason"]) if changes else "")
    out(app).result(result.to_dict(), text=text)
    for category, message in result.remaining:
        app.report.warn(f"{result.out}: {message} ({category}; `data validate` still reports it)")
    if not result.written:
        raise DataError(
            f"{result.source}: no valid example left; {result.out} was not written",
            hint=f"`foundry-ops data validate {result.source}` lists the errors",
        )


@data.command()
@click.argument("file", type=_IN)
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
@_force("train.jsonl and validation.jsonl")
@_model
@_workers
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

    _positive(workers, "--workers")
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
        "train": f"{result.train.path}  {result.train.examples:,} examples",
        "validation": f"{result.validation.path}  {result.validation.examples:,} examples "
        f"({result.validation_fraction:.1%}; asked {result.requested_fraction:.1%})",
        "seed": str(result.seed),
    }
    out(app).result(result.to_dict(), text=key_values(rows))


@data.command()
@click.argument("train", type=_IN)
@click.argument("validation", type=_IN)
@_max_listed("Shared examples of each kind")
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

    _positive(max_listed, "--max-listed")
    result = find_overlap(train, validation, cap=max_listed or DEFAULT_ISSUE_CAP)
    rows = {
        "train": f"{result.train} ({result.train_examples:,} examples)",
        "validation": f"{result.validation} ({result.validation_examples:,} examples)",
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


@data.command()
@click.argument("file", type=PathType(readable=False))
@click.option("--name", help="Data asset name (default: the file name without extension).")
@_model
@click.option(
    "--allow-secrets", is_flag=True, help="Upload even if the file looks like it holds credentials."
)
@global_options
@pass_app
def upload(app: App, file: Path, name: str | None, model: str | None, allow_secrets: bool) -> None:
    """Validate FILE and register it as a versioned uri_file data asset in the project.

    Refused (exit 1, nothing uploaded) when FILE has errors or looks like it holds credentials (unless
    --allow-secrets); warnings are shown. The version is derived from the file's sha256, so uploading
    the same file twice is a no-op. The asset records the file's profile (tokenizer, longest example),
    which `finetune submit` checks against the model.

    \b
    Example:
      foundry-ops --outputs outputs.json data upload train.jsonl --name support-train
    """
    from ops.data.files import check_input_file
    from ops.flows.upload import register_file

    check_input_file(file)  # a bad path is exit 2 with its reason, before anything else
    done = register_file(app, file, name, model=model, allow_secrets=allow_secrets)
    asset = done.asset
    result = {
        "name": asset.name,
        "version": asset.version,
        "ref": asset.ref,
        "sha256": asset.tags.get("sha256"),
        "path": asset.uri,  # the data URI as the service answers it
        "uploaded": done.uploaded,
    }
    if not done.uploaded:
        app.report.progress(f"{asset.ref} already holds this file; nothing uploaded")
    out(app).result(result)
