"""The one HTTP stack every Azure call goes through: TLS trust, retries, long-running operations, --debug.

Retries are azure-core's RetryPolicy, configured once here (RETRY): throttling (429, or any answer with
Retry-After) and transient faults (408, 500, 502, 503, 504, dropped connections) are retried with the
service's Retry-After (capped) or exponential backoff. No adapter writes its own loop on top. A POST or
PATCH is retried as azure-core decides for any method it does not know to be idempotent (on an answer
with Retry-After, and on 500, 503 and 504). A POST is retried on everything else above too only when the
caller marks it `safe_post` (every POST this toolkit makes only reads or is safe to repeat: listKeys,
listSecrets, job cancel, provider register, MLflow search, a chat); a PATCH never is.

Two pipeline clients serve the whole process: one signs with the ARM token (ARM itself, and the regional
services that take the same token: run history, registries, MLflow; they are called by absolute URL), one
signs nothing (an inference endpoint, authorised per request by its key).

Long-running ARM operations use azure-mgmt-core's ARMPolling; only the wait between polls is ours: the
schedule of ops/polling.py, shared with `finetune wait`, so every wait has one budget.

Sleeping goes through the transport, and the transport sleeps on the App's clock: tests move a fake
clock instead of waiting, product code has no test switch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.cloud import CloudSettings
from core.errors import ToolkitError
from core.sdk_logs import keep_sdk_logs_off_stderr
from ops.azure.errors import TRANSIENT, service_error, unreachable
from ops.polling import Clock, PollPolicy

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.core.pipeline import PipelineRequest, PipelineResponse
    from azure.core.rest import HttpResponse

Sink = Callable[[str], None]


@dataclass(frozen=True)
class RetryBudget:
    """What one logical call may cost. docs/operations-ml.md's "Retry budget" table states these figures
    and tests/core/test_docs_truth.py checks it against them."""

    attempts: int = 6  # the first try included
    backoff_factor: float = 0.8  # waits 0, 1.6, 3.2, 6.4, 12.8 s between attempts without Retry-After
    max_backoff: float = 20.0
    # A Retry-After up to this is waited out inside the call; a longer one is never cut short: the call
    # ends with the answer, and the caller's wait (a job or endpoint poll) waits the full Retry-After.
    max_retry_after: float = 120.0
    total_seconds: float = 900.0  # azure-core's absolute timeout over all attempts and waits (a safety net)

    def waits(self, retry_after: float | None = None) -> list[float]:
        """The waits between attempts, as azure-core's RetryPolicy computes them."""
        if retry_after is not None:
            return [retry_after] * (self.attempts - 1) if retry_after <= self.max_retry_after else []
        out = []
        for history in range(1, self.attempts):
            out.append(
                0.0 if history <= 1 else min(self.max_backoff, self.backoff_factor * 2 ** (history - 1))
            )
        return out

    @property
    def longest_wait(self) -> float:
        """The most time one logical call spends waiting between its attempts (Retry-After at its cap)."""
        return min(sum(self.waits(self.max_retry_after)), self.total_seconds)


RETRY = RetryBudget()


def _retry_policy(budget: RetryBudget) -> Any:
    from azure.core.pipeline.policies import RetryPolicy

    class CappedRetryPolicy(RetryPolicy):  # type: ignore[misc]
        """azure-core's policy, except that an answer asking for more than the budget's longest
        Retry-After is not retried inside the call (nor early): it goes back to the caller."""

        def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
            wanted = super().get_retry_after(response)
            if wanted is not None and wanted > budget.max_retry_after:
                return False
            return bool(super().is_retry(settings, response))

    return CappedRetryPolicy(
        retry_total=budget.attempts - 1,
        retry_connect=budget.attempts - 1,
        retry_read=budget.attempts - 1,
        retry_status=budget.attempts - 1,
        retry_backoff_factor=budget.backoff_factor,
        retry_backoff_max=budget.max_backoff,
        timeout=budget.total_seconds,
    )


def _attempts_policy() -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class AttemptsPolicy(SansIOHTTPPolicy):  # type: ignore[misc]
        """Counts the HTTP attempts of one logical call (the context lives across retries)."""

        def on_request(self, request: PipelineRequest[Any]) -> None:
            request.context["attempts"] = int(request.context.get("attempts", 0) or 0) + 1

    return AttemptsPolicy()


def attempts(response: PipelineResponse[Any, Any]) -> int:
    """How many HTTP attempts a call took (1 = no retry)."""
    return int(response.context.get("attempts", 1) or 1)


def _debug_policy(sink: Sink) -> Any:
    from azure.core.pipeline.policies import HTTPPolicy

    from ops.azure.redact import redact_url

    class DebugPolicy(HTTPPolicy):  # type: ignore[misc]
        """One line per HTTP attempt: method, URL (secrets redacted), status, time, retry number."""

        def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
            http = request.http_request
            attempt = int(request.context.get("retry_count", 0) or 0)
            tag = f" (retry {attempt})" if attempt else ""
            started = time.monotonic()
            try:
                response = self.next.send(request)
            except Exception as exc:
                ms = (time.monotonic() - started) * 1000
                sink(f"debug: {http.method} {redact_url(http.url)} -> {type(exc).__name__} {ms:.0f} ms{tag}")
                raise
            ms = (time.monotonic() - started) * 1000
            status = response.http_response.status_code
            sink(f"debug: {http.method} {redact_url(http.url)} -> {status} {ms:.0f} ms{tag}")
            return response

    return DebugPolicy()


def _transport(verify: str | bool, clock: Clock) -> Any:
    from azure.core.pipeline.transport import RequestsTransport

    class ClockedTransport(RequestsTransport):  # type: ignore[misc]
        """requests, with retry and polling waits on the App's clock."""

        def sleep(self, duration: float) -> None:
            clock.sleep(duration)

    return ClockedTransport(connection_verify=verify)


class Transport:
    """Builds the two pipeline clients of this process (see the module doc), both with the same policies."""

    def __init__(
        self,
        cloud: CloudSettings,
        credential: TokenCredential | None,
        clock: Clock,
        *,
        debug: Sink | None = None,
    ) -> None:
        self.cloud = cloud
        self.credential = credential
        self.clock = clock
        self.debug = debug
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()  # concurrent calls (a batch of chats) build each client once

    def policies(self, auth: Any | None) -> list[Any]:
        """azure-core's standard order: ids and headers, retry, then per attempt auth and --debug."""
        keep_sdk_logs_off_stderr()
        from azure.core.pipeline.policies import (
            ContentDecodePolicy,
            HeadersPolicy,
            ProxyPolicy,
            RequestIdPolicy,
            UserAgentPolicy,
        )

        from ops import __version__

        policies: list[Any] = [
            RequestIdPolicy(),
            HeadersPolicy(),
            UserAgentPolicy(sdk_moniker=f"foundry-ops/{__version__}"),
            ProxyPolicy(),
            ContentDecodePolicy(),
            _retry_policy(RETRY),
        ]
        if auth is not None:
            policies.append(auth)
        policies.append(_attempts_policy())
        if self.debug is not None:
            policies.append(_debug_policy(self.debug))
        return policies

    def arm(self) -> Any:
        """The client that signs with a token for the cloud's management scope: ARM (a path is taken under
        the ARM endpoint), and every other service that takes the ARM token (an absolute URL)."""
        return self._client("arm")

    def anonymous(self) -> Any:
        """The client that signs nothing, for endpoints authorised per request (an inference key); it is
        given absolute URLs only."""
        return self._client("anonymous")

    def _client(self, kind: str) -> Any:
        with self._lock:
            client = self._clients.get(kind)
            if client is None:
                from azure.mgmt.core import ARMPipelineClient

                auth = None
                if kind == "arm":
                    from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy

                    if self.credential is None:
                        raise ValueError("this transport has no credential")
                    auth = ARMChallengeAuthenticationPolicy(self.credential, self.cloud.arm_scope)
                client = ARMPipelineClient(
                    self.cloud.arm_endpoint.rstrip("/"),
                    policies=self.policies(auth),
                    transport=_transport(self.cloud.verify, self.clock),
                )
                self._clients[kind] = client
            return client

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()

    # --- sending --------------------------------------------------------------------------------
    def send(
        self,
        client: Any,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        safe_post: bool = False,
        headers: dict[str, str] | None = None,
    ) -> HttpResponse:
        """One logical call: azure-core retries it within the budget; failures leave as core.errors."""
        return self._run(client, method, url, what, json, ok, safe_post, headers).http_response

    def send_any(
        self,
        client: Any,
        method: str,
        url: str,
        *,
        what: str,
        json: Any = None,
        headers: dict[str, str] | None = None,
    ) -> PipelineResponse[Any, Any]:
        """A safe-to-repeat call whose every answer the caller reads itself (retries still apply)."""
        return self._run(client, method, url, what, json, None, True, headers)

    def begin(
        self,
        client: Any,
        method: str,
        url: str,
        policy: PollPolicy,
        *,
        what: str,
        json: Any = None,
        ok: tuple[int, ...] = (200, 201, 202, 204),
        failure: type[ToolkitError] | None = None,
    ) -> Operation:
        """Start a long-running ARM operation and follow it on the shared polling policy.

        The poller's result is the final HTTP response (or None when the operation has no body).
        """
        first = self._run(client, method, url, what, json, ok, False, None)
        return Operation(client, first, policy, what, failure)

    def _run(
        self,
        client: Any,
        method: str,
        url: str,
        what: str,
        json: Any,
        ok: tuple[int, ...] | None,
        safe_post: bool,
        headers: dict[str, str] | None,
    ) -> PipelineResponse[Any, Any]:
        from azure.core.exceptions import AzureError as SdkError
        from azure.core.rest import HttpRequest

        if "://" not in url:
            url = client.format_url(url)  # a path under the client's base URL
        request = HttpRequest(method, url, json=json, headers=headers)
        options: dict[str, Any] = {"_return_pipeline_response": True}  # what generated SDK clients pass
        if safe_post and method == "POST":
            options["retry_on_methods"] = frozenset({"GET", "HEAD", "PUT", "DELETE", "POST"})
        try:
            response: PipelineResponse[Any, Any] = client.send_request(request, **options)
        except ToolkitError:
            raise  # the credential reports its own failures
        except SdkError as exc:
            raise unreachable(what, exc, url) from None
        response.http_response.read()
        if ok is None or response.http_response.status_code in ok:
            return response
        raise service_error(response.http_response, what)


class Operation:
    """A long-running operation whose outcome leaves as core.errors: an operation that ended Failed or
    Canceled is a JobFailedError (exit 3) with the service's error; a poll that could not be made after
    its retries is a TransientError (the operation may still be going on).

    The polling runs in the calling thread (azure-core's polling method, driven directly rather than
    through LROPoller's background thread): every wait is on the App's clock, and Ctrl-C stops it at once."""

    def __init__(
        self,
        client: Any,
        first: PipelineResponse[Any, Any],
        policy: PollPolicy,
        what: str,
        failure: type[ToolkitError] | None = None,
    ) -> None:
        self.client = client
        self.first = first  # the answer that started it; nothing is polled until result() is asked for
        self.policy = policy
        self.what = what
        self.failure = failure  # the error an operation that ended Failed is (default JobFailedError)

    def result(self) -> HttpResponse | None:
        from azure.core.exceptions import AzureError as SdkError
        from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

        from core.errors import JobFailedError
        from ops.azure.errors import error_body, error_text

        polling = _policy_polling(self.policy)
        try:
            polling.initialize(self.client, self.first, lambda final: final.http_response)
            polling.run()
            result: HttpResponse | None = polling.resource()
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise unreachable(self.what, exc, "") from None
        except HttpResponseError as exc:
            response = exc.response
            status = str(polling.status() or "")
            if response is not None and int(response.status_code or 0) in TRANSIENT:
                # a poll that was throttled or failed past the retries: the operation is not known to fail
                raise service_error(response, self.what) from None
            if status.lower() in ("failed", "canceled", "cancelled"):
                text = error_text(error_body(response)) if response is not None else ""
                raise (self.failure or JobFailedError)(f"{self.what} failed: {text or status}") from None
            if response is not None:
                raise service_error(response, self.what) from None
            raise unreachable(self.what, exc, "") from None
        except SdkError as exc:
            raise unreachable(self.what, exc, "") from None
        return result


def _policy_polling(policy: PollPolicy) -> Any:
    """ARMPolling whose wait between polls follows `policy`: back off while the operation's status
    stays, start over when it moves; a longer Retry-After from the service wins."""
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    class PolicyPolling(ARMPolling):  # type: ignore[misc]
        def __init__(self) -> None:
            # timeout=0: _extract_delay then gives only the service's Retry-After (0 when absent)
            super().__init__(timeout=0)
            self.backoff = policy.backoff()

        def _delay(self) -> None:  # the one azure-core hook this module overrides (tested in test_transport)
            self.backoff.observe(self.status())
            self._sleep(self.backoff.next(retry_after=self._extract_delay()))

    return PolicyPolling()


def storage_kwargs(transport: Transport) -> dict[str, Any]:
    """azure-storage-blob keeps its own retry type (it knows secondary hosts): the same number of
    attempts and the same clocked transport; --debug lines through its response hook."""
    kwargs: dict[str, Any] = {
        "retry_total": RETRY.attempts - 1,
        "transport": _transport(transport.cloud.verify, transport.clock),
        "connection_verify": transport.cloud.verify,
    }
    sink = transport.debug
    if sink is not None:
        from ops.azure.redact import redact_url

        def hook(response: Any) -> None:
            http = response.http_request
            sink(f"debug: {http.method} {redact_url(http.url)} -> {response.http_response.status_code}")

        kwargs["raw_response_hook"] = hook
    return kwargs
