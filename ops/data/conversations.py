"""Conversations from chat JSONL for endpoint tests and evaluation: prompt messages + reference answer.

The reference answer of an example is its last assistant message; the prompt is everything before it.
Bad lines are reported with their line number, all at once, before any request is sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import DataError, UsageError

MAX_REPORTED = 5


@dataclass(frozen=True)
class Conversation:
    line: int
    prompt: list[dict[str, Any]]
    reference: str | None


def read_conversations(path: Path, *, need_reference: bool) -> list[Conversation]:
    problems: list[str] = []
    found: list[Conversation] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        messages = record.get("messages") if isinstance(record, dict) else None
        if not isinstance(messages, list) or not messages or not all(_is_message(m) for m in messages):
            problems.append(f"line {number}: needs a non-empty 'messages' list of {{role, content}} objects")
            continue
        last_assistant = max((i for i, m in enumerate(messages) if m["role"] == "assistant"), default=None)
        if need_reference and last_assistant is None:
            problems.append(f"line {number}: no assistant message to use as the reference answer")
            continue
        if last_assistant is not None and last_assistant == len(messages) - 1:
            prompt, reference = messages[:last_assistant], str(messages[last_assistant]["content"])
        else:
            prompt, reference = list(messages), None
            if need_reference:
                problems.append(f"line {number}: the last message must be the assistant's reference answer")
                continue
        if not any(m["role"] == "user" for m in prompt):
            problems.append(f"line {number}: no user message before the answer")
            continue
        found.append(
            Conversation(number, [{"role": m["role"], "content": m["content"]} for m in prompt], reference)
        )
    if problems:
        more = f" (and {len(problems) - MAX_REPORTED} more)" if len(problems) > MAX_REPORTED else ""
        raise DataError(f"{path}: " + "; ".join(problems[:MAX_REPORTED]) + more)
    if not found:
        raise DataError(f"{path}: no conversations")
    return found


def _is_message(message: Any) -> bool:
    return (
        isinstance(message, dict)
        and message.get("role") in ("system", "user", "assistant")
        and isinstance(message.get("content"), str)
    )
