"""Azure SDK log records stay off the CLI's stderr, unless --debug asks for the sign-in's.

The SDKs log through `logging` with no handler of their own, so Python would print their WARNINGs with its
last-resort handler (azure-identity's multi-paragraph chain report, around the one-line error the toolkit
prints itself). A NullHandler on the `azure` logger retires the last resort; records still propagate to
any handler a user configures on the root logger. With --debug, azure-identity's INFO records (which
credential was tried and which one gave a token; never a token) go to stderr beside the HTTP lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

_NULL = logging.NullHandler()


def keep_sdk_logs_off_stderr() -> None:
    """Call before using an Azure SDK (idempotent)."""
    azure = logging.getLogger("azure")
    if _NULL not in azure.handlers:
        azure.addHandler(_NULL)


class _Sink(logging.Handler):
    def __init__(self, sink: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        message = " ".join(record.getMessage().split())
        self.sink(f"debug: {record.name}: {message}")


def show_sign_in(sink: Callable[[str], None]) -> Callable[[], None]:
    """--debug: azure-identity's records (which credential answered) as debug lines; returns the undo."""
    identity = logging.getLogger("azure.identity")
    handler, level = _Sink(sink), identity.level
    identity.addHandler(handler)
    identity.setLevel(logging.INFO)

    def undo() -> None:
        identity.removeHandler(handler)
        identity.setLevel(level)

    return undo
