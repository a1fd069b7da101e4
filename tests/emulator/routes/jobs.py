"""Jobs: FineTuning jobs (preview api-versions only), status progression, output model, cancel."""

from __future__ import annotations

import copy
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.assets import add_model_version
from tests.emulator.routes.common import (
    NAME,
    WS,
    Context,
    arm_call,
    check_body,
    not_found,
    system_data,
    workspace,
)
from tests.emulator.state import poll_headers
from tests.emulator.timeline import status_at

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
FAILURE_KEY = "azureml.failureReason"  # where the emulator puts the service's error text for a failed job


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def key(request: Request) -> tuple[str, str]:
        workspace(ctx, request)
        return (request.params["ws"].lower(), request.params["name"])

    def view(job: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(job["view"])

    def put_job(request: Request) -> Response:
        version = arm_call(ctx, request)
        body = request.json()
        check_body(body, "JobBase")
        props = body["properties"]
        if str(props.get("jobType")).lower() == "finetuning" and not (
            version.endswith("-preview") and version >= "2024-01-01"
        ):
            raise ApiError(
                400,
                "UserError",
                f"Job type FineTuning is not supported at api-version {version}; "
                "use a preview api-version such as 2024-10-01-preview.",
            )
        fail = ctx.faults.take(request.method, request.path, ("job_fail",))
        with world.lock:
            ws = workspace(ctx, request)
            k = key(request)
            existing = world.jobs.get(k)
            if existing is not None:
                if _comparable(existing["submitted"]) != _comparable(props):
                    raise ApiError(
                        409,
                        "UserError",
                        f"A job named {k[1]} already exists with different "
                        "settings; job names are unique in a workspace.",
                    )
                return Response(200, view(existing))
            stored = copy.deepcopy(props)
            timed = world.settings.clock is not None and world.settings.job_timeline
            stored["status"] = world.settings.job_timeline[0][1] if timed else world.settings.job_steps[0]
            stored.setdefault("properties", {})
            stored.setdefault("tags", {})
            stored["services"] = {
                "Studio": {"jobServiceType": "Studio", "endpoint": f"https://ai.azure.com/build/jobs/{k[1]}"}
            }
            job = {
                "submitted": copy.deepcopy(props),
                "step": 0,
                "polls": 0,
                "created_at": world.settings.clock() if world.settings.clock else None,
                "fail_message": fail.message if fail else None,
                "fail_code": fail.code if fail else None,
                "view": {
                    "id": f"{ws['id']}/jobs/{k[1]}",
                    "name": k[1],
                    "type": "Microsoft.MachineLearningServices/workspaces/jobs",
                    "properties": stored,
                    "systemData": system_data(),
                },
            }
            world.jobs[k] = job
            world.created["jobs"] += 1
        return Response(201, view(job))

    def get_job(request: Request) -> Response:
        arm_call(ctx, request)
        with world.lock:
            job = world.jobs.get(key(request))
            if job is None:
                raise not_found("Job", request.params["name"])
            _advance(ctx, request.params["ws"], job)
            return Response(200, view(job))

    def list_jobs(request: Request) -> Response:
        arm_call(ctx, request)
        ws_name = request.params["ws"].lower()
        workspace(ctx, request)
        with world.lock:
            jobs = [view(j) for (w, _), j in list(world.jobs.items()) if w == ws_name]
        job_type = request.query.get("jobType")
        if job_type:
            jobs = [j for j in jobs if j["properties"].get("jobType", "").lower() == job_type.lower()]
        return Response(200, {"value": list(reversed(jobs))})

    def cancel_job(request: Request) -> Response:
        arm_call(ctx, request)
        with world.lock:
            job = world.jobs.get(key(request))
            if job is None:
                raise not_found("Job", request.params["name"])
            status = job["view"]["properties"]["status"]
            if status in TERMINAL:
                raise ApiError(
                    400, "UserError", f"Job {request.params['name']} is {status}; it cannot be canceled."
                )
            job["view"]["properties"]["status"] = "CancelRequested"
            job["cancel"] = True
        return Response(
            202,
            None,
            {
                "Location": ctx.base_url
                + request.path.rsplit("/cancel", 1)[0]
                + f"?api-version={request.api_version}",
                **poll_headers(world.settings),
            },
        )

    router.add("GET", WS + "/jobs", list_jobs)
    router.add("PUT", f"{WS}/jobs/{NAME}", put_job)
    router.add("GET", f"{WS}/jobs/{NAME}", get_job)
    router.add("POST", f"{WS}/jobs/{NAME}/cancel", cancel_job)


def _advance(ctx: Context, ws_name: str, job: dict[str, Any]) -> None:
    """One GET = one poll; every `polls_per_step` polls the job moves one status forward (or, on a
    simulated clock with `settings.job_timeline`, it is in whatever status the timeline says)."""
    props = job["view"]["properties"]
    if props["status"] in TERMINAL:
        return
    if job.get("cancel"):
        props["status"] = "Canceled"
        return
    settings = ctx.world.settings
    if settings.job_timeline and settings.clock is not None and job.get("created_at") is not None:
        status = status_at(settings.job_timeline, settings.clock() - job["created_at"])
        if status == props["status"]:
            return
    else:
        job["polls"] += 1
        if job["polls"] < settings.polls_per_step:
            return
        job["polls"] = 0
        steps = settings.job_steps
        job["step"] = min(job["step"] + 1, len(steps) - 1)
        status = steps[job["step"]]
    if status == "Completed" and job["fail_message"]:
        props["status"] = "Failed"
        props.setdefault("properties", {})[FAILURE_KEY] = job["fail_message"]
        return
    props["status"] = status
    if status == "Completed":
        _register_output_model(ctx, ws_name, job)


def _register_output_model(ctx: Context, ws_name: str, job: dict[str, Any]) -> None:
    props = job["view"]["properties"]
    outputs = props.get("outputs") or {}
    sc = ctx.scenario
    for output_name, output in outputs.items():
        if str(output.get("jobOutputType")).lower() not in ("mlflow_model", "custom_model"):
            continue
        base = _base_model_name(props)
        name = output.get("assetName") or f"{base}-ft-{job['view']['name']}"[:255]
        version = add_model_version(
            ctx,
            ws_name,
            name,
            {
                "modelType": output.get("jobOutputType"),
                "modelUri": f"azureml://jobs/{job['view']['name']}/outputs/{output_name}",
                "jobName": job["view"]["name"],
                "description": f"fine-tuned from {base}",
                "tags": {"baseModel": base},
                "flavors": {"mlflow": {"data": {}}},
            },
        )
        output["assetName"] = name
        output["assetVersion"] = version
        output["uri"] = (
            f"azureml://locations/{sc.location}/workspaces/{sc.workspace_guid(ws_name)}"
            f"/models/{name}/versions/{version}"
        )


def _base_model_name(props: dict[str, Any]) -> str:
    uri = str(props.get("fineTuningDetails", {}).get("model", {}).get("uri", ""))
    parts = uri.split("/")
    if "models" in parts:
        return parts[parts.index("models") + 1]
    return "model"


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in ("status", "services")}
