"""Evaluation: score an endpoint's answers against reference answers, optionally beside a baseline.

Each JSONL example's last assistant message is the reference; the messages before it are sent.
Metrics: SQuAD-style exact match and token F1 (means over answered examples), blocked and failed
counts, and perplexity of the generated answers — only when the endpoint returns log-probabilities
(asked for with `logprobs` and `extra-parameters: pass-through`); otherwise it says so. Requests run
`concurrency` at a time; throttling is retried by the transport, and a request that still fails is
counted. An endpoint that answers nothing fails the evaluation with the first error's exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ToolkitError
from ops.concurrency import Outcome, batch_error, run_bounded
from ops.data.conversations import Conversation, read_conversations
from ops.flows.chat import Target, target
from ops.flows.scoring import exact_match, mean, percentile, perplexity, token_f1
from ops.limits import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.inference import ChatResult

NO_LOGPROBS = "n/a (endpoint returns no log-probabilities)"
METRICS = ("exact_match", "token_f1", "perplexity", "answered", "blocked", "failed")


@dataclass(frozen=True)
class Evaluation:
    data: str
    examples: int
    names: list[str]
    scores: dict[str, dict[str, Any]]
    failure: ToolkitError | None = None  # set when an endpoint answered nothing: scores of nothing fail

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def to_dict(self) -> dict[str, Any]:
        return {"data": self.data, "examples": self.examples, "endpoints": self.scores}


def evaluate(
    app: App,
    name: str,
    data_file: Path,
    *,
    baseline: str | None = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    max_tokens: int = 256,
    limit: int | None = None,
) -> Evaluation:
    examples = read_conversations(data_file, need_reference=True)
    if limit:
        examples = examples[:limit]
    names = [name] + ([baseline] if baseline and baseline != name else [])
    targets = [target(app, n) for n in names]  # every name checked before anything is sent
    app.report.progress(f"evaluating {' and '.join(names)} on {len(examples)} example(s) ...")

    def evaluate_one(to: Target) -> tuple[list[ChatResult | ToolkitError], bool, float]:
        started = app.clock.now()
        results, logprobs_on = _run(app, to, examples, concurrency, max_tokens)
        return results, logprobs_on, app.clock.now() - started

    # the endpoint and its baseline are separate deployments with their own limits: side by side
    runs = run_bounded(targets, evaluate_one, concurrency=len(targets))
    scores: dict[str, dict[str, Any]] = {}
    unanswered: dict[str, list[ToolkitError]] = {}
    for endpoint_name, outcome in zip(names, runs, strict=True):
        results, logprobs_on, seconds = outcome.unwrap()
        scores[endpoint_name] = score = _score(examples, results, logprobs_on)
        errors = [r for r in results if isinstance(r, ToolkitError)]
        if len(errors) == len(results):
            unanswered[endpoint_name] = errors
        _report_pace(app, endpoint_name, score, len(examples), seconds)
    for endpoint_name in names:
        note = scores[endpoint_name]["perplexity_note"]
        if note:
            app.report.progress(f"{endpoint_name}: perplexity {note}")
    failure = None
    if unanswered:  # scores of nothing are not a result: a pipeline must not pass on them
        endpoint_name, errors = next(iter(unanswered.items()))
        failure = batch_error(
            f"requests to {endpoint_name}", [Outcome(e, error=e) for e in errors], len(examples)
        )
    return Evaluation(str(data_file), len(examples), names, scores, failure)


def _run(
    app: App, to: Target, examples: list[Conversation], concurrency: int, max_tokens: int
) -> tuple[list[ChatResult | ToolkitError], bool]:
    """Probe log-probabilities on the first example, then run the rest with bounded concurrency."""
    first: ChatResult | ToolkitError
    try:
        first = app.inference.chat(to.uri, to.key, examples[0].prompt, max_tokens=max_tokens, logprobs=True)
        logprobs_on = first.logprobs is not None
    except ToolkitError:
        logprobs_on = False  # the endpoint refused the pass-through parameter: ask plainly
        try:
            first = app.inference.chat(to.uri, to.key, examples[0].prompt, max_tokens=max_tokens)
        except ToolkitError as exc:
            first = exc
    outcomes = run_bounded(
        examples[1:],
        lambda ex: app.inference.chat(to.uri, to.key, ex.prompt, max_tokens=max_tokens, logprobs=logprobs_on),
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
    app.report.progress(line)
    if score["retries"]:
        app.report.progress(
            f"{name}: {score['retries']} retr{'y' if score['retries'] == 1 else 'ies'} after throttling "
            "(429/503, Retry-After honoured); a lower --concurrency may be as fast"
        )
