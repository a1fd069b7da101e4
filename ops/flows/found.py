"""Jobs and endpoints the user names, looked up one way everywhere: a missing one is said in the same words
by every command, with the nearest name the project has."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from core.errors import NotFoundError, ToolkitError
from ops.text import did_you_mean

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.records import EndpointInfo, JobInfo


def endpoint(app: App, name: str) -> EndpointInfo:
    found = app.endpoints.find(name)
    if found is None:
        listed = _names(lambda: [e.name for e in app.endpoints.list()])
        raise NotFoundError(f"endpoint {name} not found in the project{did_you_mean(name, listed)}")
    return found


def job(app: App, name: str) -> JobInfo:
    try:
        return app.jobs.get(name)
    except NotFoundError as exc:
        raise job_not_found(app, name) from exc


def job_not_found(app: App, name: str) -> NotFoundError:
    listed = _names(lambda: [j.name for j in app.jobs.list()])
    return NotFoundError(f"job {name} not found in the project{did_you_mean(name, listed)}")


def _names(listing: Callable[[], list[str]]) -> list[str]:
    """The names to suggest from; none when listing them fails (the not-found is what to say)."""
    try:
        return listing()
    except ToolkitError:
        return []
