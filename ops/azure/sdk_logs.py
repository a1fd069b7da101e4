"""Azure SDK log records stay off the CLI's stderr unless the user configures logging.

The SDKs log through `logging` with no handler of their own, so Python prints their WARNINGs with its
last-resort handler: azure-ai-ml's cloud-metadata complaint three times, azure-identity's chain report,
all around the one-line error the toolkit prints itself. A NullHandler on the `azure` logger retires the
last resort; records still propagate to any handler a user configures on the root logger.
"""

from __future__ import annotations

import logging

_NULL = logging.NullHandler()


def keep_sdk_logs_off_stderr() -> None:
    """Call before importing an Azure SDK (idempotent)."""
    azure = logging.getLogger("azure")
    if _NULL not in azure.handlers:
        azure.addHandler(_NULL)
