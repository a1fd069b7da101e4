"""Chat completions against a serverless endpoint (`POST {inferenceEndpoint.uri}/v1/chat/completions`).

A content-filter refusal (HTTP 400, error.code `content_filter`) is a result, not an error: callers
report it distinctly. 429 and 503 are retried honouring Retry-After; connection failures are retried
a few times. The cloud's CA bundle is used for TLS. Log-probabilities are asked for with the
`extra-parameters: pass-through` header, the way the serverless API forwards model-specific options.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ops.cloud import CloudSettings
from ops.errors import AuthError, AzureError, NotFoundError, UsageError

MAX_ATTEMPTS = 6
MAX_RETRY_AFTER_S = 60.0
TIMEOUT_S = 120.0
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
    attempts: int = 1  # more than one when the endpoint throttled (429/503) or the connection failed

    @property
    def filtered(self) -> bool:
        return self.blocked is not None or self.finish_reason == "content_filter"


class InferenceClient:
    def __init__(self, cloud: CloudSettings) -> None:
        self.cloud = cloud
        self._local = threading.local()  # one requests.Session per thread (sessions are not thread-safe)
        self._sessions: list[Any] = []
        self._lock = threading.Lock()
        self.sleep: Callable[[float], None] = time.sleep

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = requests.Session()
            session.verify = self.cloud.verify
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._local = threading.local()

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
        """One chat completion; raises ops.errors for failures other than content filtering."""
        import requests

        url = uri.rstrip("/") + CHAT_PATH
        payload: dict[str, Any] = {"messages": list(messages)}
        if max_tokens is not None:
            payload["max_tokens"] = max_tokens
        if temperature is not None:
            payload["temperature"] = temperature
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if logprobs:
            payload["logprobs"] = True
            headers["extra-parameters"] = "pass-through"
        started = time.monotonic()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                response = self._session().post(
                    url, json=payload, headers=headers, timeout=TIMEOUT_S, verify=self.cloud.verify
                )  # per request: requests lets REQUESTS_CA_BUNDLE override a session-level bundle
            except requests.exceptions.SSLError as exc:
                raise AzureError(
                    f"TLS failed talking to {uri} ({_short(exc)})", hint="check FOUNDRY_CA_BUNDLE"
                ) from None
            except requests.exceptions.RequestException as exc:
                if attempt < MAX_ATTEMPTS:
                    self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0))
                    continue
                raise AzureError(f"cannot reach endpoint {uri} ({_short(exc)})") from None
            if response.status_code in (429, 503) and attempt < MAX_ATTEMPTS:
                self.sleep(_retry_after(response.headers.get("Retry-After"), attempt))
                continue
            return _result(response, uri, time.monotonic() - started, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def chat_many(
        self,
        uri: str,
        key: str,
        conversations: Iterable[Sequence[dict[str, Any]]],
        *,
        concurrency: int = 4,
        **options: Any,
    ) -> list[ChatResult]:
        """Run many chats with at most `concurrency` in flight; results keep the input order.

        Every request runs to its end even when another fails; then the failures are raised as one
        error (a lone one as it was, several counted with the first quoted).
        """
        from ops.concurrency import batch_error, run_bounded

        if concurrency < 1:
            raise UsageError("--concurrency must be at least 1")
        items = list(conversations)
        outcomes = run_bounded(items, lambda m: self.chat(uri, key, m, **options), concurrency=concurrency)
        failed = [o for o in outcomes if not o.ok]
        if failed:
            raise batch_error("requests", failed, len(items))
        return [o.unwrap() for o in outcomes]


def _result(response: Any, uri: str, latency: float, attempts: int) -> ChatResult:
    status = response.status_code
    try:
        body = response.json()
    except ValueError:
        body = {}
    error = body.get("error") if isinstance(body, dict) else None
    if status == 200:
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
    error = error if isinstance(error, dict) else {}
    code = str(error.get("code") or "")
    message = " ".join(str(error.get("message") or f"HTTP {status}").split())
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
    raise AzureError(f"endpoint {uri} answered {status}: {code + ': ' if code else ''}{message}")


def _logprobs(raw: Any) -> tuple[float, ...] | None:
    if not isinstance(raw, dict):
        return None
    content = raw.get("content")
    if not isinstance(content, list) or not content:
        return None
    values = [item.get("logprob") for item in content if isinstance(item, dict)]
    return tuple(float(v) for v in values if isinstance(v, int | float))


def _retry_after(value: str | None, attempt: int) -> float:
    try:
        return (
            min(max(0.0, float(value)), MAX_RETRY_AFTER_S) if value is not None else min(2.0**attempt, 16.0)
        )
    except ValueError:
        return min(2.0**attempt, 16.0)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()
    return text[0][:160] if text else type(exc).__name__
