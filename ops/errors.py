"""Domain errors. Commands raise these; the CLI edge turns them into one-line messages and exit codes.

Exit codes (documented in the README): 0 ok, 1 failure, 2 usage or bad input, 3 job or deployment ended
in failure, 4 not found, 5 credentials, 130 interrupted.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_JOB_FAILED = 3
EXIT_NOT_FOUND = 4
EXIT_AUTH = 5
EXIT_INTERRUPTED = 130


class ToolkitError(Exception):
    """Base for every error the toolkit reports to a user in one line."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        text = " ".join(str(self).split())
        return f"{text} (hint: {self.hint})" if self.hint else text


class UsageError(ToolkitError):
    """Bad input from the user: arguments, files, configuration."""

    exit_code = EXIT_USAGE


class OutputsError(UsageError):
    """Stack outputs missing, unreadable or of the wrong schema."""


class NotFoundError(ToolkitError):
    exit_code = EXIT_NOT_FOUND


class AuthError(ToolkitError):
    exit_code = EXIT_AUTH


class JobFailedError(ToolkitError):
    """A fine-tuning job or deployment reached a failed terminal state."""

    exit_code = EXIT_JOB_FAILED


class AzureError(ToolkitError):
    """The service refused or failed a request after retries."""
