"""Offline checks of chat JSONL training data: validate, count tokens, estimate, fix, split, overlap.

Pure functions over local files: no Azure SDK, no network. `validate_file` is the entry point other
commands use to refuse bad data (e.g. before an upload).
"""

from ops.data.report import Issue, TokenStats, ValidationReport
from ops.data.validate import validate_file

__all__ = ["Issue", "TokenStats", "ValidationReport", "validate_file"]
