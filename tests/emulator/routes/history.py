"""Workspace data-plane bits azure-ai-ml reaches through the workspace's discoveryUrl: the discovery
document and run history's run details, where the service reports why a job failed
(`error.error.code/message`)."""

from __future__ import annotations

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import WS, Context, check_scope, require_token, workspace

SERVICES = (
    "api",
    "catalog",
    "experimentation",
    "gallery",
    "history",
    "hyperdrive",
    "labeling",
    "modelmanagement",
    "pipelines",
    "studiometadata",
)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def discovery(request: Request) -> Response:
        return Response(200, {service: ctx.base_url for service in SERVICES})

    def run_details(request: Request) -> Response:
        require_token(ctx, request)
        check_scope(ctx, request)
        workspace(ctx, request)
        job = world.jobs.get((request.params["ws"].lower(), request.params["run"]))
        if job is None:
            raise ApiError(404, "UserError", f"Run {request.params['run']} was not found")
        props = job["view"]["properties"]
        details = {
            "runId": request.params["run"],
            "status": props["status"],
            "target": props.get("computeId") or "serverless",
            "properties": dict(props.get("properties") or {}),
        }
        if props["status"] == "Failed" and job.get("fail_message"):
            error = {"message": job["fail_message"], "messageFormat": job["fail_message"]}
            if job.get("fail_code"):  # the fault's `code=` (e.g. "UserError"); omitted when not given
                error["code"] = job["fail_code"]
            details["error"] = {"error": error}
        return Response(200, details)

    router.add("GET", "/discovery", discovery)
    router.add("GET", "/history/v1\\.0" + WS + r"/runs/(?P<run>[^/]+)/details", run_details)
