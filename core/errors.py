"""Domain errors. Every layer raises these; the CLI edge turns them into one-line messages and exit codes.

EXIT_CODES is the one table of exit codes: `--help` and the README's table are generated from it.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_JOB_FAILED = 3
EXIT_NOT_FOUND = 4
EXIT_AUTH = 5
EXIT_TIMEOUT = 6
EXIT_INTERRUPTED = 130

EXIT_CODES: dict[int, str] = {
    0: "ok",
    1: "failure (the service refused, a check or gate failed, data has errors)",
    2: "usage or bad input (options, files, run files, conflicts with what exists); nothing was changed",
    3: "a fine-tuning job or deployment ended in failure",
    4: "not found (job, endpoint, model, data asset)",
    5: "no working Azure credentials",
    6: "timed out waiting; the operation goes on in Azure and the same command resumes it",
    130: "interrupted (Ctrl-C); what was started goes on in Azure, the same command resumes it",
}


class ToolkitError(Exception):
    """Base for every error the toolkit reports to a user in one line."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, *, hint: str | None = None, details: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.hint = hint
        self.details = details  # further lines (e.g. every problem of a run file), shown under the error

    def one_line(self) -> str:
        text = " ".join(str(self).split())
        return f"{text} (hint: {self.hint})" if self.hint else text


class UsageError(ToolkitError):
    """Bad input from the user: arguments, files, configuration."""

    exit_code = EXIT_USAGE


class DataError(ToolkitError):
    """Training data the service would reject, or that must not be uploaded (errors, credentials)."""


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


class ConflictError(AzureError):
    """The service refused because of what exists (HTTP 409)."""


class WaitTimeoutError(ToolkitError):
    """A wait ran out of time while the operation goes on in Azure."""

    exit_code = EXIT_TIMEOUT


class Interrupted(ToolkitError):
    """Ctrl-C during a wait: the message says what goes on in Azure, the hint how to pick it up again."""

    exit_code = EXIT_INTERRUPTED
