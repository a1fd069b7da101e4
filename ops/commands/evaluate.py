"""`eval`: score an endpoint's answers against reference answers, optionally beside a baseline.

Each JSONL example's last assistant message is the reference; the messages before it are sent.
Metrics: SQuAD-style exact match and token F1 (means over answered examples), blocked and failed
counts, and perplexity of the generated answers — only when the endpoint returns log-probabilities
(asked for with `logprobs` and `extra-parameters: pass-through`); otherwise it says so.
Requests run --concurrency at a time; each retries 429/503 after Retry-After, and one that still fails
is counted. An endpoint that answered nothing fails the command with the first error's exit code.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.commands.endpoint_access import endpoint_uri_and_key
from ops.commands.jsonl import Conversation, read_conversations
from ops.concurrency import MAX_INFERENCE_CONCURRENCY, Outcome, batch_error, run_bounded
from ops.errors import ToolkitError
from ops.metrics import exact_match, mean, percentile, perplexity, token_f1
from ops.options import concurrency_option, output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.inference import ChatResult

NO_LOGPROBS = "n/a (endpoint returns no log-probabilities)"


@click.command(short_help="Evaluate an endpoint against reference answers (exact match, token F1).")
@click.argument("name")
@click.option(
    "--data",
    "data_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Chat JSONL; the last assistant message of each line is the reference answer.",
)
@click.option("--baseline", help="Another endpoint (e.g. the base model) to evaluate side by side.")
@concurrency_option(
    "requests", maximum=MAX_INFERENCE_CONCURRENCY, note="A 429 is retried after the endpoint's Retry-After."
)
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

    Requests run --concurrency at a time per endpoint (NAME and --baseline side by side); a throttled
    one waits its Retry-After and is retried, one that still fails is counted; if an endpoint answers
    nothing the command fails.

    \b
    Examples:
      foundry-ops eval support-bot --data heldout.jsonl
      foundry-ops eval support-bot --data heldout.jsonl --baseline phi4-base --concurrency 8 -o json
    """
    examples = read_conversations(data_file, need_reference=True)
    if limit:
        examples = examples[:limit]
    names = [name] + ([baseline] if baseline and baseline != name else [])
    targets = [endpoint_uri_and_key(app, n) for n in names]  # every name checked before sending
    app.output.progress(f"evaluating {' and '.join(names)} on {len(examples)} example(s) ...")

    def evaluate_one(target: tuple[str, str]) -> tuple[list[ChatResult | ToolkitError], bool, float]:
        uri, key = target
        started = time.monotonic()
        results, logprobs_on = _run(app, uri, key, examples, concurrency, max_tokens)
        return results, logprobs_on, time.monotonic() - started

    # the endpoint and its baseline are separate deployments with their own limits: side by side
    runs = run_bounded(targets, evaluate_one, concurrency=len(targets))
    scores: dict[str, dict[str, Any]] = {}
    unanswered: dict[str, list[ToolkitError]] = {}
    for endpoint_name, outcome in zip(names, runs, strict=True):
        results, logprobs_on, seconds = outcome.unwrap()  # _run counts request failures itself
        scores[endpoint_name] = score = _score(examples, results, logprobs_on)
        errors = [r for r in results if isinstance(r, ToolkitError)]
        if len(errors) == len(results):
            unanswered[endpoint_name] = errors
        _report_pace(app, endpoint_name, score, len(examples), seconds)
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
    if unanswered:  # scores of nothing are not a result: a pipeline must not pass on them
        endpoint_name, errors = next(iter(unanswered.items()))
        raise batch_error(
            f"requests to {endpoint_name}", [Outcome(e, error=e) for e in errors], len(examples)
        )


def _run(
    app: App, uri: str, key: str, examples: list[Conversation], concurrency: int, max_tokens: int
) -> tuple[list[ChatResult | ToolkitError], bool]:
    """Probe log-probabilities on the first example, then run the rest with bounded concurrency.

    Each request retries 429/503 itself (honouring Retry-After), so a throttled example waits in its
    own worker while the others go on; one that still fails is counted, not fatal.
    """
    first: ChatResult | ToolkitError
    try:
        first = app.inference.chat(uri, key, examples[0].prompt, max_tokens=max_tokens, logprobs=True)
        logprobs_on = first.logprobs is not None
    except ToolkitError:
        logprobs_on = False  # the endpoint refused the pass-through parameter: ask plainly
        try:
            first = app.inference.chat(uri, key, examples[0].prompt, max_tokens=max_tokens)
        except ToolkitError as exc:
            first = exc
    outcomes = run_bounded(
        examples[1:],
        lambda ex: app.inference.chat(uri, key, ex.prompt, max_tokens=max_tokens, logprobs=logprobs_on),
        concurrency=concurrency,
    )
    return [first, *(o.error or o.unwrap() for o in outcomes)], logprobs_on


def _score(
    examples: list[Conversation], results: list[ChatResult | ToolkitError], logprobs_on: bool
) -> dict[str, Any]:
    em: list[float] = []
    f1: list[float] = []
    ppl: list[float] = []
    blocked = failed = retries = 0
    errors: list[str] = []
    latencies: list[float] = []
    for example, result in zip(examples, results, strict=True):
        if isinstance(result, ToolkitError):
            failed += 1
            errors.append(f"line {example.line}: {result.one_line()}")
            continue
        retries += result.attempts - 1
        latencies.append(result.latency_s * 1000)
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
        "retries": retries,
        "latency_ms": {"p50": _ms(percentile(latencies, 50)), "p95": _ms(percentile(latencies, 95))},
    }


def _ms(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _report_pace(app: App, name: str, score: dict[str, Any], count: int, seconds: float) -> None:
    """How fast it went and whether the endpoint pushed back: the figures to tune --concurrency by."""
    latency = score["latency_ms"]
    line = f"{name}: {count} request(s) in {seconds:.1f} s ({count / max(seconds, 1e-9):.1f}/s)"
    if latency["p50"] is not None:
        line += f", latency p50 {latency['p50']:.0f} ms, p95 {latency['p95']:.0f} ms"
    app.output.progress(line)
    if score["retries"]:
        app.output.progress(
            f"{name}: {score['retries']} retr{'y' if score['retries'] == 1 else 'ies'} after throttling "
            "(429/503, Retry-After honoured); a lower --concurrency may be as fast"
        )


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)
