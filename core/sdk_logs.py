"""Azure SDK log records stay off the CLI's stderr unless the user configures logging.

The SDKs log through `logging` with no handler of their own, so Python prints their WARNINGs with its
last-resort handler: azure-ai-ml's cloud-metadata complaint three times, azure-identity's chain report,
all around the one-line error the toolkit prints itself. A NullHandler on the `azure` logger retires the
last resort (before the import: azure-ai-ml logs while being imported); records still propagate to any
handler a user configures on the root logger. azure-ai-ml also hangs its own stream handler for its
experimental-feature notes and sets itself to INFO on import, so after importing it the loggers that
talk are raised to ERROR as well.
"""

from __future__ import annotations

import logging

_NULL = logging.NullHandler()


QUIET_AFTER_IMPORT = ("azure.ai.ml", "azure.core.pipeline.policies.http_logging_policy", "azure.identity")


def keep_sdk_logs_off_stderr() -> None:
    """Call before importing an Azure SDK (idempotent)."""
    azure = logging.getLogger("azure")
    if _NULL not in azure.handlers:
        azure.addHandler(_NULL)


def quiet_sdk_loggers() -> None:
    """Call after importing azure.ai.ml (which resets its own level when imported)."""
    for name in QUIET_AFTER_IMPORT:
        logging.getLogger(name).setLevel(logging.ERROR)
