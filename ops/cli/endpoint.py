"""`endpoint test`: send chat completions to a deployed endpoint and show the answers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from core.errors import EXIT_FAILURE, UsageError
from ops.app import App
from ops.cli.options import chat_file_option, concurrency_option, global_options, out, pass_app
from ops.limits import MAX_INFERENCE_CONCURRENCY

if TYPE_CHECKING:
    from pathlib import Path

    from ops.azure.inference import ChatResult


@click.group(help="Send chat completions to a deployed endpoint.")
@global_options
def endpoint() -> None:
    pass


@endpoint.command("test")
@click.argument("name")
@click.option("--prompt", help="One user message to send.")
@chat_file_option("Chat JSONL; each line's messages are sent (a final assistant message is left out).")
@click.option("--system", help="System message to put before --prompt.")
@click.option("--max-tokens", type=click.IntRange(1, 32768), default=256, show_default=True)
@concurrency_option(
    "requests", maximum=MAX_INFERENCE_CONCURRENCY, note="A 429 is retried after the endpoint's Retry-After."
)
@global_options
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

    A prompt the content filter refuses is shown as BLOCKED (with the categories) and the command exits
    1; the endpoint's key is read through ARM and never printed.

    \b
    Examples:
      foundry-ops endpoint test support-bot --prompt "How do I reset my password?"
      foundry-ops endpoint test support-bot --file smoke.jsonl -o json
    """
    from ops.data.conversations import read_conversations
    from ops.flows import chat

    if bool(prompt) == bool(file):
        raise UsageError("give exactly one of --prompt or --file")
    if prompt is not None:
        conversations = [chat.user_prompt(prompt, system)]
    else:
        assert file is not None
        conversations = [c.prompt for c in read_conversations(file, need_reference=False)]
    to = chat.target(app, name)
    app.report.progress(f"sending {len(conversations)} request(s) to {name} ...")
    results = chat.chat_many(app, to, conversations, concurrency=concurrency, max_tokens=max_tokens)
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
        out(app).result(data, text=text)
    else:
        table = [
            {"#": r["index"], "status": r["status"].upper(), "prompt": " ".join(r["prompt"].split()),
             "answer": " ".join((r["answer"] or r["message"] or "").split())}
            for r in rows
        ]  # fmt: skip
        out(app).result(data, rows=table, columns=["#", "status", "prompt", "answer"])
    if blocked:
        app.report.warn(f"{blocked} of {len(rows)} request(s) blocked by the content filter")
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
