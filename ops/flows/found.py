"""Jobs and endpoints the user names, looked up one way everywhere: a missing one is said in the same words
by every command, with the nearest name the project has."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import NotFoundError
from ops.text import did_you_mean

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.records import EndpointInfo, JobInfo


def endpoint(app: App, name: str) -> EndpointInfo:
    found = app.endpoints.find(name)
    if found is None:
        listed = [e.name for e in app.endpoints.list()]
        raise NotFoundError(f"endpoint {name} not found in the project{did_you_mean(name, listed)}")
    return found


def job(app: App, name: str) -> JobInfo:
    try:
        return app.jobs.get(name)
    except NotFoundError as exc:
        raise job_not_found(app, name) from exc


def job_not_found(app: App, name: str) -> NotFoundError:
    listed = [j.name for j in app.jobs.list()]
    return NotFoundError(f"job {name} not found in the project{did_you_mean(name, listed)}")
