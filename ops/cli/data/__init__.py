"""`foundry-ops data`: check, measure, fix and split chat JSONL training data offline; upload it.

Only `upload` talks to Azure. The work is in ops.data (pure functions; the tokenizer is imported only
by commands that count tokens). The commands, one module each in this package and imported only when
run, parse options, render results and pick exit codes: data with errors exits 1 (DataError, raised
after the result is printed), bad options and paths exit 2 (UsageError), always as one `Error:` line on
stderr. An OSError that escapes ops.data becomes such a line too (DataGroup), never a traceback.
"""

from __future__ import annotations

import errno
from typing import Any

import click

from ops.cli.lazy import LazyGroup
from ops.cli.options import global_options

# command -> ("module:attribute", short help), in the order `foundry-ops data --help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "validate": (
        "ops.cli.data.validate:validate",
        "Check FILE against the service's rules, line by line, and profile its tokens.",
    ),
    "estimate": (
        "ops.cli.data.estimate:estimate",
        "Billed training tokens for FILE, and the cost when a price is given.",
    ),
    "fix": ("ops.cli.data.fix:fix", "Write a cleaned copy of FILE to --out, reporting every change."),
    "split": (
        "ops.cli.data.split:split",
        "Split FILE into OUT_DIR/train.jsonl and OUT_DIR/validation.jsonl, deterministically.",
    ),
    "overlap": (
        "ops.cli.data.overlap:overlap",
        "Find training examples that also occur in the VALIDATION file.",
    ),
    "upload": (
        "ops.cli.data.upload:upload",
        "Validate FILE and register it as a versioned uri_file data asset in the project.",
    ),
}


class DataGroup(LazyGroup):
    """The data commands; an OSError that escapes them ends as one `Error:` line, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # stdout closed early (`| head`): Click's own handling
                raise
            from ops.data.files import file_error

            raise file_error(exc) from None


@click.group(cls=DataGroup, lazy=COMMANDS)
@global_options
def data() -> None:
    """Validate, profile, fix, split, estimate and upload chat JSONL training data.

    \b
    Exit status: 0 ok; 1 the data has errors (or, for overlap, shares examples); 2 bad options or
    paths (nothing was changed). Every failure is one `Error:` line on stderr.
    """
