"""Chat completions against a serverless endpoint (`POST {inferenceEndpoint.uri}/v1/chat/completions`).

The request goes through the shared pipeline (transport.py): throttling (429 with Retry-After), 503 and
dropped connections are retried there, within the same budget as every other call; a chat is safe to
repeat. A content-filter refusal (HTTP 400, error.code `content_filter`) is a result, not an error.
Log-probabilities are asked for with the `extra-parameters: pass-through` header, the way the
serverless API forwards model-specific options.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.errors import AuthError, AzureError, NotFoundError
from ops.azure.errors import TRANSIENT, TransientError, error_body, one_line
from ops.azure.transport import attempts

if TYPE_CHECKING:
    from ops.azure.transport import Transport

CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class ContentFilterBlock:
    """The service refused a prompt or an answer; which categories tripped."""

    categories: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class ChatResult:
    text: str | None
    finish_reason: str | None = None
    blocked: ContentFilterBlock | None = None
    logprobs: tuple[float, ...] | None = None  # per generated token, when the endpoint returns them
    usage: dict[str, int] = field(default_factory=dict)
    latency_s: float = 0.0  # from the first attempt to the answer, retries and their waits included
    attempts: int = 1  # more than one when the endpoint throttled or the connection failed

    @property
    def filtered(self) -> bool:
        return self.blocked is not None or self.finish_reason == "content_filter"


class Inference:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def chat(
        self,
        uri: str,
        key: str,
        messages: Sequence[dict[str, Any]],
        *,
        max_tokens: int | None = None,
        temperature: float | None = 0.0,
        logprobs: bool = False,
    ) -> ChatResult:
        """One chat completion; raises core.errors for failures other than content filtering."""
        payload: dict[str, Any] = {"messages": list(messages)}
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if temperature is not None:
            payload["temperature"] = temperature
        headers = {"Authorization": f"Bearer {key}"}
        if logprobs:
            payload["logprobs"] = True
            headers["extra-parameters"] = "pass-through"
        base = uri.rstrip("/")
        started = time.monotonic()
        pipeline = self.transport.anonymous()
        response = self.transport.send_any(
            pipeline, "POST", base + CHAT_PATH, what=f"chat with {base}", json=payload, headers=headers
        )
        return _result(response.http_response, base, time.monotonic() - started, attempts(response))


def _result(response: Any, uri: str, latency: float, attempts: int) -> ChatResult:
    status = response.status_code
    try:
        body = response.json() if response.content else {}
    except ValueError:
        body = {}
    if status == 200 and isinstance(body, dict):
        choice = (body.get("choices") or [{}])[0]
        message = choice.get("message") or {}
        return ChatResult(
            text=message.get("content"),
            finish_reason=choice.get("finish_reason"),
            logprobs=_logprobs(choice.get("logprobs")),
            usage={k: int(v) for k, v in (body.get("usage") or {}).items() if isinstance(v, int)},
            latency_s=latency,
            attempts=attempts,
        )
    error = error_body(response)
    code = str(error.get("code") or "")
    message = one_line(error.get("message") or f"HTTP {status}")
    if status == 400 and code == "content_filter":
        inner = error.get("innererror") or {}
        results = inner.get("content_filter_result") or {}
        tripped = tuple(sorted(k for k, v in results.items() if isinstance(v, dict) and v.get("filtered")))
        return ChatResult(
            text=None, blocked=ContentFilterBlock(tripped, message), latency_s=latency, attempts=attempts
        )
    if status in (401, 403):
        raise AuthError(f"endpoint {uri} refused the key ({message})", hint="regenerate or re-read the keys")
    if status == 404:
        raise NotFoundError(f"endpoint {uri} not found or not ready ({message})")
    text = f"endpoint {uri} answered {status}: {code + ': ' if code else ''}{message}"
    if status in TRANSIENT:
        raise TransientError(f"{text} (after {attempts} attempts)")
    raise AzureError(text)


def _logprobs(raw: Any) -> tuple[float, ...] | None:
    if not isinstance(raw, dict):
        return None
    content = raw.get("content")
    if not isinstance(content, list) or not content:
        return None
    values = [item.get("logprob") for item in content if isinstance(item, dict)]
    return tuple(float(v) for v in values if isinstance(v, int | float))
