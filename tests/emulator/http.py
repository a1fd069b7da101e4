"""Request/response values and a tiny regex router, independent of the socket server."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(urlsplit(self.target).query).items()}

    @property
    def api_version(self) -> str | None:
        return self.query.get("api-version")

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def json(self) -> Any:
        if not self.body:
            raise ApiError(400, "InvalidRequestContent", "The request content was empty.")
        try:
            return json.loads(self.body)
        except ValueError:
            raise ApiError(400, "InvalidRequestContent", "The request content was not valid JSON.") from None


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


class ApiError(Exception):
    """An Azure error answer.

    Plain (`{"error": {"code", "message"}}`) is what ARM itself answers (gateway 404s, auth, api-version).
    With `rp=True` it is shaped as the Machine Learning resource provider answers (recorded in
    tests/contract/fixtures/recordings/*-400*.json, *-404*.json): `details[]` (one `{code, message,
    details: [], additionalInfo: []}` per item of `details`), `additionalInfo[]` (ComponentName,
    Correlation, Environment, Location, Time, then InnerError when `inner` is set, then MessageFormat when
    `message_format` is set) and the header `x-ms-response-type: error`.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        *,
        rp: bool = False,
        details: list[tuple[str, str]] | None = None,
        inner: str | None = None,
        message_format: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.rp = rp
        self.details = details or []
        self.inner = inner
        self.message_format = message_format

    def response(self, location: str = "eastus2") -> Response:
        if not self.rp:
            return Response(
                self.status, {"error": {"code": self.code, "message": self.message}}, self.headers
            )
        info: list[dict[str, Any]] = [
            {"type": "ComponentName", "info": {"value": "managementfrontend"}},
            {
                "type": "Correlation",
                "info": {"value": {"operation": uuid.uuid4().hex, "request": uuid.uuid4().hex[:16]}},
            },
            {"type": "Environment", "info": {"value": location}},
            {"type": "Location", "info": {"value": location}},
            {"type": "Time", "info": {"value": _now()}},
        ]
        if self.inner:
            info.append({"type": "InnerError", "info": {"value": {"code": self.inner, "innerError": None}}})
        if self.message_format:
            info.append({"type": "MessageFormat", "info": {"value": self.message_format}})
        body = {
            "error": {
                "code": self.code,
                "message": self.message,
                "details": [
                    {"code": code, "message": message, "details": [], "additionalInfo": []}
                    for code, message in self.details
                ],
                "additionalInfo": info,
            }
        }
        return Response(self.status, body, {"x-ms-response-type": "error", **self.headers})


def _now() -> str:
    stamp = dt.datetime.now(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0+00:00"


Handler = Callable[[Request], Response]


class Router:
    """Routes are (method, path regex with named groups) -> handler; first match wins."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        self._routes.append((method.upper(), re.compile(f"^{pattern}$", re.IGNORECASE), handler))

    def dispatch(self, request: Request) -> Response:
        allowed = False
        for method, pattern, handler in self._routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed = True
                continue
            request.params = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
            return handler(request)
        if allowed:
            raise ApiError(405, "MethodNotAllowed", f"{request.method} is not allowed on {request.path}")
        raise ApiError(
            404, "NoRouteFound", f"the emulator serves no route for {request.method} {request.path}"
        )

    def describe(self) -> list[tuple[str, str]]:
        return [(m, p.pattern.strip("^$")) for m, p, _ in self._routes]
