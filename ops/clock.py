"""Time as the App sees it. Tests give the App a fake clock; nothing patches time behind its back."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import datetime as dt


class Timer(Protocol):
    """What a wait needs of time: a monotonic now, and sleep."""

    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class Clock(Timer, Protocol):
    """A Timer that also knows the date (expiries, retirement dates)."""

    def utcnow(self) -> dt.datetime: ...
    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def utcnow(self) -> dt.datetime:
        import datetime as dt

        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.utcnow().date()
