"""HTTP failures as core.errors, in one place: every adapter's error passes through here once.

An ARM error body is `{"error": {"code", "message", "details"}}`; the line users see is
`<what>: <code>: <message>`. Throttling and transient faults that outlasted the retry budget say so,
with the service's Retry-After, so that a wait loop can decide to go on.
"""

from __future__ import annotations

from typing import Any

from core.credential import tls_failure
from core.errors import AuthError, AzureError, ConflictError, NotFoundError, ToolkitError
from ops.text import cut

ROLE_HINT = (
    "the workflow needs Azure AI Developer on the stack's resource group (uploads also Storage Blob Data "
    "Contributor on its storage account); `foundry-ops preflight` checks both"
)
TRANSIENT = frozenset({408, 429, 500, 502, 503, 504})


class Refused(AzureError):
    """The service answered and refused the request itself (a 4xx other than 401, 403, 404 and 409)."""


class TransientError(AzureError):
    """A throttled or transient answer (429/5xx) that outlasted the retries; when to come back."""

    def __init__(self, message: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def one_line(text: Any, limit: int = 300) -> str:
    return cut(" ".join(str(text).split()), limit)


def error_body(response: Any) -> dict[str, Any]:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def error_text(error: dict[str, Any]) -> str:
    code = error.get("code")
    message = one_line(error.get("message") or "")
    if code and message:
        return f"{code}: {message}"
    return str(code or message or "")


def service_error(response: Any, what: str) -> ToolkitError:
    """The error an HTTP answer outside the expected statuses stands for."""
    status = int(response.status_code)
    text = error_text(error_body(response)) or f"HTTP {status}"
    message = f"{what}: {text}"
    if status == 404:
        return NotFoundError(message)
    if status == 401:
        return AuthError(message, hint="your credentials were refused; sign in again (az login)")
    if status == 403:
        return AzureError(f"{what}: access denied ({text})", hint=ROLE_HINT)
    if status == 409:
        return ConflictError(message)
    if status in TRANSIENT:
        return TransientError(message, _retry_after(response))
    if 400 <= status < 500:
        return Refused(message)
    return AzureError(message)


def unreachable(what: str, exc: BaseException, url: str) -> ToolkitError:
    """No answer at all: TLS, DNS, refused or reset connections, timeouts — after the retries."""
    host = url.split("/")[2] if "://" in url else url
    tls = tls_failure(f"{exc} {getattr(exc, 'inner_exception', '') or ''}")
    if tls:
        return AzureError(
            f"{what}: TLS failed talking to {host} ({tls})",
            hint="check FOUNDRY_CA_BUNDLE: it must hold the CA that signed the endpoint's certificate",
        )
    return TransientError(
        f"{what}: cannot reach {host} ({_first_line(exc)})",
        0.0,
    )


def _retry_after(response: Any) -> float:
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("Retry-After", 1.0), ("retry-after-ms", 0.001), ("x-ms-retry-after-ms", 0.001)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(0.0, float(value) * scale)
            except ValueError:
                return 0.0
    return 0.0


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return one_line(lines[0], 200) if lines else type(exc).__name__
