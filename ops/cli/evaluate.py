"""`eval`: score an endpoint's answers against reference answers, optionally beside a baseline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from ops.app import App
from ops.cli.options import chat_file_option, concurrency_option, global_options, out, pass_app
from ops.limits import MAX_INFERENCE_CONCURRENCY

if TYPE_CHECKING:
    from pathlib import Path

LABELS = {
    "exact_match": "exact match",
    "token_f1": "token F1",
    "perplexity": "perplexity",
    "answered": "answered",
    "blocked": "blocked by filter",
    "failed": "failed",
}


@click.command(short_help="Evaluate an endpoint against reference answers (exact match, token F1).")
@click.argument("name")
@chat_file_option(
    "Chat JSONL; the last assistant message of each line is the reference answer.", required=True
)
@click.option("--baseline", help="Another endpoint (e.g. the base model) to evaluate side by side.")
@concurrency_option(
    "requests", maximum=MAX_INFERENCE_CONCURRENCY, note="A 429 is retried after the endpoint's Retry-After."
)
@click.option("--max-tokens", type=click.IntRange(1, 32768), default=256, show_default=True)
@click.option("--limit", type=click.IntRange(1), help="Evaluate only the first N examples.")
@global_options
@pass_app
def evaluate(
    app: App,
    name: str,
    file: Path,
    baseline: str | None,
    concurrency: int,
    max_tokens: int,
    limit: int | None,
) -> None:
    """Score endpoint NAME on --file (exact match, token F1, perplexity where available).

    Requests run --concurrency at a time per endpoint (NAME and --baseline side by side); a throttled one
    waits its Retry-After and is retried, one that still fails is counted; if an endpoint answers nothing
    the command fails.

    \b
    Examples:
      foundry-ops eval support-bot --file heldout.jsonl
      foundry-ops eval support-bot --file heldout.jsonl --baseline phi4-base --concurrency 8 -o json
    """
    from ops.flows import evaluate as flow

    result = flow.evaluate(
        app, name, file, baseline=baseline, concurrency=concurrency, max_tokens=max_tokens, limit=limit
    )
    rows = []
    for metric, label in LABELS.items():
        row: dict[str, Any] = {"metric": label}
        for endpoint_name in result.names:
            row[endpoint_name] = _fmt(result.scores[endpoint_name][metric])
        rows.append(row)
    out(app).result(result.to_dict(), rows=rows, columns=["metric", *result.names])
    result.raise_failure()  # the counts are on stdout; an endpoint that answered nothing fails the command


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
