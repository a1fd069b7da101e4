"""`endpoint test`: send chat completions to a deployed endpoint and show the answers.

A prompt refused by the content filter is reported as BLOCKED with the categories that tripped,
distinct from errors. Exit 0 when every prompt got an answer, 1 otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.commands.endpoint_access import endpoint_uri_and_key
from ops.commands.jsonl import read_conversations
from ops.concurrency import MAX_INFERENCE_CONCURRENCY
from ops.errors import EXIT_FAILURE, UsageError
from ops.options import concurrency_option, output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.inference import ChatResult


@click.group(help="Send chat completions to a deployed endpoint.")
def endpoint() -> None:
    pass


@endpoint.command("test")
@click.argument("name")
@click.option("--prompt", help="One user message to send.")
@click.option(
    "--file",
    "file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Chat JSONL; each line's messages are sent (a final assistant message is left out).",
)
@click.option("--system", help="System message to put before --prompt.")
@click.option("--max-tokens", type=click.IntRange(1, 32768), default=256, show_default=True)
@concurrency_option(
    "requests", maximum=MAX_INFERENCE_CONCURRENCY, note="A 429 is retried after the endpoint's Retry-After."
)
@stack_options
@output_option
@pass_app
def test(
    app: App,
    name: str,
    prompt: str | None,
    file: Path | None,
    system: str | None,
    max_tokens: int,
    concurrency: int,
) -> None:
    """Chat with endpoint NAME: one --prompt, or every conversation in --file.

    A prompt the content filter refuses is shown as BLOCKED (with the categories) and the command
    exits 1; the endpoint's key is read through ARM and never printed.

    \b
    Examples:
      foundry-ops endpoint test support-bot --prompt "How do I reset my password?"
      foundry-ops endpoint test support-bot --file smoke.jsonl -o json
    """
    if bool(prompt) == bool(file):
        raise UsageError("give exactly one of --prompt or --file")
    if prompt is not None:
        messages = ([{"role": "system", "content": system}] if system else []) + [
            {"role": "user", "content": prompt}
        ]
        conversations = [messages]
    else:
        assert file is not None
        conversations = [c.prompt for c in read_conversations(file, need_reference=False)]
    uri, key = endpoint_uri_and_key(app, name)
    app.output.progress(f"sending {len(conversations)} request(s) to {name} ...")
    results = app.inference.chat_many(uri, key, conversations, concurrency=concurrency, max_tokens=max_tokens)
    rows = [_row(i, conv, r) for i, (conv, r) in enumerate(zip(conversations, results, strict=True), start=1)]
    blocked = sum(1 for r in results if r.filtered)
    data: dict[str, Any] = {"endpoint": name, "requests": len(rows), "blocked": blocked, "results": rows}
    if prompt is not None:
        row = rows[0]
        text = (
            f"BLOCKED by content filter ({row['categories'] or 'unspecified'}): {row['message']}"
            if row["status"] == "blocked"
            else str(row["answer"])
        )
        app.output.result(data, text=text)
    else:
        table = [
            {
                "#": r["index"],
                "status": r["status"].upper(),
                "prompt": _cut(r["prompt"]),
                "answer": _cut(r["answer"] or r["message"] or ""),
            }
            for r in rows
        ]
        app.output.result(data, rows=table, columns=["#", "status", "prompt", "answer"])
    if blocked:
        app.output.warn(f"{blocked} of {len(rows)} request(s) blocked by the content filter")
        click.get_current_context().exit(EXIT_FAILURE)


def _row(index: int, conversation: list[dict[str, Any]], result: ChatResult) -> dict[str, Any]:
    prompt = next((str(m.get("content")) for m in reversed(conversation) if m.get("role") == "user"), "")
    return {
        "index": index,
        "status": "blocked" if result.filtered else "ok",
        "prompt": prompt,
        "answer": result.text,
        "categories": ", ".join(result.blocked.categories) if result.blocked else None,
        "message": result.blocked.message if result.blocked else None,
        "finish_reason": result.finish_reason,
        "latency_s": round(result.latency_s, 3),
        "usage": result.usage,
    }


def _cut(text: str, width: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
