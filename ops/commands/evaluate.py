"""`eval`: score an endpoint's answers against reference answers, optionally beside a baseline.

Each JSONL example's last assistant message is the reference; the messages before it are sent.
Metrics: SQuAD-style exact match and token F1 (means over answered examples), blocked and failed
counts, and perplexity of the generated answers — only when the endpoint returns log-probabilities
(asked for with `logprobs` and `extra-parameters: pass-through`); otherwise it says so.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.commands.endpoint_access import endpoint_uri_and_key
from ops.commands.jsonl import Conversation, read_conversations
from ops.errors import ToolkitError
from ops.metrics import exact_match, mean, perplexity, token_f1
from ops.options import output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.inference import ChatResult

NO_LOGPROBS = "n/a (endpoint returns no log-probabilities)"


@click.command(help="Evaluate an endpoint against reference answers (exact match, token F1).")
@click.argument("name")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Chat JSONL; the last assistant message of each line is the reference answer.",
)
@click.option("--baseline", help="Another endpoint (e.g. the base model) to evaluate side by side.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option("--max-tokens", type=click.IntRange(1, 32768), default=256, show_default=True)
@click.option("--limit", type=click.IntRange(1), help="Evaluate only the first N examples.")
@stack_options
@output_option
@pass_app
def evaluate(
    app: App,
    name: str,
    data_file: Path,
    baseline: str | None,
    concurrency: int,
    max_tokens: int,
    limit: int | None,
) -> None:
    """Score endpoint NAME on --data (exact match, token F1, perplexity where available).

    \b
    Examples:
      foundry-ops eval support-bot --data heldout.jsonl
      foundry-ops eval support-bot --data heldout.jsonl --baseline phi4-base --concurrency 8 -o json
    """
    examples = read_conversations(data_file, need_reference=True)
    if limit:
        examples = examples[:limit]
    names = [name] + ([baseline] if baseline and baseline != name else [])
    scores: dict[str, dict[str, Any]] = {}
    for endpoint_name in names:
        uri, key = endpoint_uri_and_key(app, endpoint_name)
        app.output.progress(f"evaluating {endpoint_name} on {len(examples)} example(s) ...")
        results, logprobs_on = _run(app, uri, key, examples, concurrency, max_tokens)
        scores[endpoint_name] = _score(examples, results, logprobs_on)
    data = {"data": str(data_file), "examples": len(examples), "endpoints": scores}
    rows = []
    for metric, label in (
        ("exact_match", "exact match"),
        ("token_f1", "token F1"),
        ("perplexity", "perplexity"),
        ("answered", "answered"),
        ("blocked", "blocked by filter"),
        ("failed", "failed"),
    ):
        row: dict[str, Any] = {"metric": label}
        for endpoint_name in names:
            row[endpoint_name] = _fmt(scores[endpoint_name][metric])
        rows.append(row)
    app.output.result(data, rows=rows, columns=["metric", *names])
    for endpoint_name in names:
        note = scores[endpoint_name]["perplexity_note"]
        if note:
            app.output.progress(f"{endpoint_name}: perplexity {note}")


def _run(
    app: App, uri: str, key: str, examples: list[Conversation], concurrency: int, max_tokens: int
) -> tuple[list[ChatResult | ToolkitError], bool]:
    """Probe log-probabilities on the first example, then run the rest with bounded concurrency."""
    first: ChatResult | ToolkitError
    try:
        first = app.inference.chat(uri, key, examples[0].prompt, max_tokens=max_tokens, logprobs=True)
        logprobs_on = first.logprobs is not None
    except ToolkitError:
        logprobs_on = False  # the endpoint refused the pass-through parameter: ask plainly
        first = _safe(app, uri, key, examples[0].prompt, max_tokens, False)
    rest = examples[1:]
    if not rest:
        return [first], logprobs_on
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(concurrency, len(rest))) as pool:
        others = list(pool.map(lambda ex: _safe(app, uri, key, ex.prompt, max_tokens, logprobs_on), rest))
    return [first, *others], logprobs_on


def _safe(
    app: App, uri: str, key: str, prompt: list[dict[str, Any]], max_tokens: int, logprobs: bool
) -> ChatResult | ToolkitError:
    try:
        return app.inference.chat(uri, key, prompt, max_tokens=max_tokens, logprobs=logprobs)
    except ToolkitError as exc:
        return exc


def _score(
    examples: list[Conversation], results: list[ChatResult | ToolkitError], logprobs_on: bool
) -> dict[str, Any]:
    em: list[float] = []
    f1: list[float] = []
    ppl: list[float] = []
    blocked = failed = 0
    errors: list[str] = []
    for example, result in zip(examples, results, strict=True):
        if isinstance(result, ToolkitError):
            failed += 1
            errors.append(f"line {example.line}: {result.one_line()}")
            continue
        if result.filtered or result.text is None:
            blocked += 1
            continue
        reference = example.reference or ""
        em.append(exact_match(result.text, reference))
        f1.append(token_f1(result.text, reference))
        if result.logprobs:
            value = perplexity(result.logprobs)
            if value is not None:
                ppl.append(value)
    return {
        "exact_match": mean(em),
        "token_f1": mean(f1),
        "perplexity": mean(ppl) if logprobs_on and ppl else None,
        "perplexity_note": None if logprobs_on and ppl else NO_LOGPROBS,
        "answered": len(em),
        "blocked": blocked,
        "failed": failed,
        "errors": errors[:10],
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
