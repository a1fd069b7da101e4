"""Fault injection: rules scoped by method + path pattern + count, consumed as requests match.

Kinds (the `kind` field):
- "status": answer `status` (429, 500, 503, ...) with an ARM error body; `retry_after` adds Retry-After.
- "reset": close the connection before the request is processed (nothing changes server-side).
- "reset_after": process the request, then close the connection without answering (tests that a
  client retrying a create does not create twice).
- "delay": sleep `seconds` before processing.
- "lro_fail": the next long-running operation started by a matching request ends Failed with `message`.
- "job_fail": a job created by a matching request ends Failed with `message` instead of Completed.
- "replay": answer `status` with `body` and `headers` verbatim (a recorded real answer: tests/contract).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

KINDS = ("status", "reset", "reset_after", "delay", "lro_fail", "job_fail", "replay")


@dataclass
class Fault:
    kind: str
    method: str = "*"
    path: str = ".*"  # regex searched in the request path (case-insensitive)
    count: int = 1  # how many matching requests it applies to; -1 = forever
    skip: int = 0  # let this many matching requests through first
    status: int = 503
    retry_after: float | None = None
    seconds: float = 0.0
    code: str | None = None
    message: str = "injected fault"
    body: Any = None  # replay: the answer's JSON body
    headers: dict[str, str] = field(default_factory=dict)  # replay: the answer's headers
    fired: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {', '.join(KINDS)}")
        self._pattern = re.compile(self.path, re.IGNORECASE)

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and self._pattern.search(path) is not None

    @property
    def exhausted(self) -> bool:
        return self.count != -1 and self.fired >= self.count

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "fired": self.fired,
        }


class Faults:
    """The in-process handle tests use: `emulator.faults.add("status", method="PUT", path="/jobs/", status=429)`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._skips: dict[int, int] = {}

    def add(self, kind: str, **options: Any) -> Fault:
        fault = Fault(kind=kind, **options)
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, method: str, path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first live rule of one of `kinds` matching this request; counts it as fired."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._rules:
                if fault.kind not in kinds or fault.exhausted or not fault.matches(method, path):
                    continue
                seen = self._skips.get(id(fault), 0)
                if seen < fault.skip:
                    self._skips[id(fault)] = seen + 1  # every matching request counts towards `skip`
                    continue
                if chosen is None:
                    chosen = fault  # at most one fault per request: the first one added wins
            if chosen is not None:
                chosen.fired += 1
        return chosen

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.as_dict() for f in self._rules]
