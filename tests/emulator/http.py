"""Request/response values and a tiny regex router, independent of the socket server."""

from __future__ import annotations

import json
import re
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
    """An ARM-style error answer: {"error": {"code", "message"}}."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(self.status, {"error": {"code": self.code, "message": self.message}}, self.headers)


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
