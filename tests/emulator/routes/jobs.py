"""Jobs: FineTuning jobs (preview api-versions only), status progression, output model, cancel.

The job body follows the recorded PUT/GET answers (tests/contract/fixtures/recordings/finetuning-*.json):
201 + Location, `services: null`, inputs gain `description: null, mode: "ReadOnlyMount"`, outputs
`description: null, uri: null, mode: "ReadWriteMount"` until the model is registered, `taskType` in the
enum's casing, system keys in `properties` (PipelineType, azureml.trainingData.assetId, _fineTuningJobType,
StartTimeUtc once running, ...), systemData {createdAt, createdBy, createdByType: "User"}. A GET at an
api-version before 2024-10-01 answers the older shape (pathOnCompute/assetVersion/autoDeleteSetting/
secretsConfiguration nulls, no resources/queueSettings, computeId null), as recorded.

Unlike the recordings (status "Running" straight away), a job starts at `settings.job_steps[0]`
("Queued" by default) so tests can watch it progress; set `job_steps` to start at Running if needed.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import json
import re
import time
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.assets import (
    DEFAULT_DATASTORE,
    OTHER_DATASTORES,
    add_model_version,
    latest_version,
)
from tests.emulator.routes.common import (
    NAME,
    WS,
    Context,
    arm_call,
    check_body,
    location_of,
    not_found,
    page,
    system_data,
    user_error,
    workspace,
)
from tests.emulator.timeline import status_at

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
RUNNING = ("Running", "Finalizing")
FAILURE_KEY = "azureml.failureReason"  # where the emulator puts the service's error text for a failed job
REGIONS_TAG = "maas-finetuning-deploy-regions"
# A PUT of an existing job that changes more than description, tags, displayName, properties or
# isArchived: the service's words as quoted in MicrosoftDocs/azure-docs issue 122250 (2024); the inner
# error code Immutable (JobPropertyImmutable) from azure-sdk-for-python PR 47389. A repeated PUT with an
# identical body answers 200 here; what the real service answers to it is not on record.
JOB_EXISTS = (
    "A job with this name already exists. If you are trying to create a new job, use a different name. If "
    "you are trying to update an existing job, the existing job's Settings,  Inputs,  Outputs,  Jobs,  "
    "InputBindings,  OutputBindings cannot be changed. Only description, tags, displayName, properties, "
    "and isArchived can be updated."
)
NEW_SHAPE_SINCE = "2024-10-01"  # GETs at older api-versions answer the 2024-01-01-preview shape (recorded)

_DATA_ARM_ID = re.compile(
    r"^(?:azureml:)?/*subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)"
    r"(?:/providers/Microsoft\.MachineLearningServices)?/workspaces/(?P<ws>[^/]+)"
    r"/data/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$",
    re.IGNORECASE,
)
_DATA_SHORT = re.compile(r"^azureml:(?P<name>[^:/@]+)(?::(?P<version>[^:/]+)|@(?P<label>[^:/]+))$")
_DATASTORE_PATH = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resourcegroups/[^/]+/workspaces/[^/]+/)?datastores/(?P<ds>[^/]+)/paths/.+$",
    re.IGNORECASE,
)
_REGISTRY_MODEL = re.compile(
    r"^azureml://registries/(?P<reg>[^/]+)/models/(?P<name>[^/]+)(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?$"
)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def key(request: Request) -> tuple[str, str]:
        workspace(ctx, request)
        return (request.params["ws"].lower(), request.params["name"])

    def put_job(request: Request) -> Response:
        version = arm_call(ctx, request)
        body = request.json()
        check_body(body, "JobBase")
        props = body["properties"]
        finetuning = str(props.get("jobType")).lower() == "finetuning"
        if finetuning and not (version.endswith("-preview") and version >= "2024-01-01"):
            raise user_error(
                400,
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
                    raise ApiError(400, "UserError", JOB_EXISTS, rp=True, inner="Immutable")
                return Response(200, job_view(existing, version))
            if finetuning:
                _check_region(ctx, props)
                if world.settings.require_job_data:
                    _check_data(ctx, ws["name"], props)
            timed = world.settings.clock is not None and world.settings.job_timeline
            status = world.settings.job_timeline[0][1] if timed else world.settings.job_steps[0]
            job = {
                "submitted": copy.deepcopy(props),
                "step": 0,
                "polls": 0,
                "ticks": 0,  # job polls seen while running: how far the training metrics have got
                "created_at": world.settings.clock() if world.settings.clock else None,
                "created_wall": time.time(),
                "fail_message": fail.message if fail else None,
                "fail_code": fail.code if fail else None,
                "view": {
                    "id": f"{ws['id']}/jobs/{k[1]}",
                    "name": k[1],
                    "type": "Microsoft.MachineLearningServices/workspaces/jobs",
                    "properties": _new_properties(props, status),
                    "systemData": system_data(ctx, modified=False),
                },
            }
            if status in RUNNING:
                _started(job)
            world.jobs[k] = job
            world.created["jobs"] += 1
        return Response(201, job_view(job, version), {"Location": location_of(ctx, request)})

    def get_job(request: Request) -> Response:
        version = arm_call(ctx, request)
        with world.lock:
            job = world.jobs.get(key(request))
            if job is None:
                raise not_found("Job", request.params["name"])
            _advance(ctx, request.params["ws"], job)
            return Response(200, job_view(job, version))

    def list_jobs(request: Request) -> Response:
        version = arm_call(ctx, request)
        ws_name = request.params["ws"].lower()
        workspace(ctx, request)
        with world.lock:
            jobs = [job_view(j, version) for (w, _), j in list(world.jobs.items()) if w == ws_name]
        job_type = request.query.get("jobType")
        if job_type:
            jobs = [j for j in jobs if j["properties"].get("jobType", "").lower() == job_type.lower()]
        return Response(200, page(ctx, request, list(reversed(jobs))))

    def cancel_job(request: Request) -> Response:
        """202 with only a `location` header pointing at the job (rest-examples/job-cancel.json)."""
        arm_call(ctx, request)
        with world.lock:
            job = world.jobs.get(key(request))
            if job is None:
                raise not_found("Job", request.params["name"])
            status = job["view"]["properties"]["status"]
            if status in TERMINAL:
                raise user_error(400, f"Job {request.params['name']} is {status}; it cannot be canceled.")
            job["view"]["properties"]["status"] = "CancelRequested"
            job["cancel"] = True
        job_url = ctx.base_url + request.path.rsplit("/cancel", 1)[0] + f"?api-version={request.api_version}"
        return Response(202, None, {"Location": job_url})

    router.add("GET", WS + "/jobs", list_jobs)
    router.add("PUT", f"{WS}/jobs/{NAME}", put_job)
    router.add("GET", f"{WS}/jobs/{NAME}", get_job)
    router.add("POST", f"{WS}/jobs/{NAME}/cancel", cancel_job)


def job_view(job: dict[str, Any], api_version: str | None) -> dict[str, Any]:
    """The job as the service answers it at `api_version` (the 2024-01-01-preview shape before 2024-10-01)."""
    view = copy.deepcopy(job["view"])
    if (api_version or NEW_SHAPE_SINCE)[:10] >= NEW_SHAPE_SINCE:
        for output in (view["properties"].get("outputs") or {}).values():
            output.pop("assetVersion", None)  # not a member of the job outputs at 2024-10-01-preview
        return view
    old: dict[str, Any] = {}
    for name, value in view["properties"].items():
        if name in ("resources", "queueSettings"):
            continue
        old[name] = None if name == "computeId" else value  # computeId came back null (recorded)
        if name == "notificationSetting":
            old["secretsConfiguration"] = None
    details = old.get("fineTuningDetails") or {}
    for field in ("trainingData", "validationData", "model"):
        if isinstance(details.get(field), dict):
            details[field] = _insert_before(details[field], "jobInputType", {"pathOnCompute": None})
    for out_name, output in list((old.get("outputs") or {}).items()):
        extra = {"assetVersion": output.pop("assetVersion", None)}
        output = _insert_after(output, "assetName", extra)
        output = _insert_before(output, "jobOutputType", {"pathOnCompute": None, "autoDeleteSetting": None})
        old["outputs"][out_name] = output
    view["properties"] = old
    return view


def _insert_before(item: dict[str, Any], anchor: str, extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in item.items():
        if name == anchor:
            out.update(extra)
        out[name] = value
    return {**out, **{k: v for k, v in extra.items() if k not in out}}


def _insert_after(item: dict[str, Any], anchor: str, extra: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in item.items():
        out[name] = value
        if name == anchor:
            out.update(extra)
    return {**out, **{k: v for k, v in extra.items() if k not in out}}


def _new_properties(props: dict[str, Any], status: str) -> dict[str, Any]:
    """The job's properties as the PUT answer shows them (recordings/finetuning-maap-put-*.json)."""
    submitted = copy.deepcopy(props)
    system = dict(submitted.get("properties") or {})
    view: dict[str, Any] = {
        "description": submitted.get("description"),
        "tags": submitted.get("tags") or {},
        "properties": system,
        "displayName": submitted.get("displayName"),
        "status": status,
        "experimentName": submitted.get("experimentName") or "Default",
        "services": None,
        "computeId": submitted.get("computeId"),
        "isArchived": bool(submitted.get("isArchived", False)),
        "identity": submitted.get("identity"),
        "componentId": submitted.get("componentId"),
        "notificationSetting": submitted.get("notificationSetting"),
        "jobType": submitted.get("jobType"),
    }
    details = submitted.get("fineTuningDetails")
    if isinstance(details, dict):
        shown: dict[str, Any] = {"taskType": _task_type(details.get("taskType"))}
        for field in ("trainingData", "validationData", "model"):
            if isinstance(details.get(field), dict):
                shown[field] = _input_view(details[field])
        for name, value in details.items():
            if name not in shown:
                shown[name] = value
        view["fineTuningDetails"] = shown
        view["resources"] = submitted.get("resources") or {"instanceTypes": []}
        view["queueSettings"] = submitted.get("queueSettings")
        system.update(_system_properties(submitted))
    for name, value in submitted.items():
        if name not in view and name not in ("outputs", "inputs"):
            view[name] = value
    if isinstance(submitted.get("inputs"), dict):
        view["inputs"] = {n: _input_view(v) for n, v in submitted["inputs"].items() if isinstance(v, dict)}
    view["outputs"] = {
        n: _output_view(v) for n, v in (submitted.get("outputs") or {}).items() if isinstance(v, dict)
    }
    return view


def _input_view(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": item.get("description"), "uri": item.get("uri")}
    if item.get("jobInputType") not in ("literal",):
        out["mode"] = item.get("mode") or "ReadOnlyMount"
    out.update({k: v for k, v in item.items() if k not in out and k != "jobInputType"})
    out["jobInputType"] = item.get("jobInputType")
    return out


def _output_view(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"description": item.get("description"), "uri": item.get("uri")}
    if "assetName" in item:
        out["assetName"] = item["assetName"]
    out["mode"] = item.get("mode") or "ReadWriteMount"
    out.update({k: v for k, v in item.items() if k not in out and k != "jobOutputType"})
    out["jobOutputType"] = item.get("jobOutputType")
    return out


def _task_type(value: Any) -> Any:
    """The enum's own casing (`textCompletion` is answered `TextCompletion`, recorded)."""
    from tests.emulator.contract import _package

    for member in _package().FineTuningTaskType:
        if str(value).lower() == str(member.value).lower():
            return member.value
    return value


def _system_properties(props: dict[str, Any]) -> dict[str, str]:
    details = props.get("fineTuningDetails") or {}
    model_uri = str((details.get("model") or {}).get("uri") or "")
    found: dict[str, str] = {
        "PipelineType": "FineTuning",
        "original_model_id": model_uri,
        "azureml.ModelName": _base_model_name(props),
        "azureml.PipelineType": "FineTuning",
        "azureml.original_model_id": model_uri,
    }
    for field, name in (("trainingData", "trainingData"), ("validationData", "validationData")):
        uri = (details.get(field) or {}).get("uri")
        if uri:
            found[f"azureml.{name}.assetId"] = str(uri)
    # "MaaP" on managed compute (recorded); "MaaS" for serverless is the emulator's guess
    found["_fineTuningJobType"] = "MaaP" if _managed(props) else "MaaS"
    registered = (props.get("outputs") or {}).get("registered_model") or {}
    if registered.get("assetName"):
        found["_outputModelName"] = str(registered["assetName"])
    return found


def _managed(props: dict[str, Any]) -> bool:
    return bool(props.get("computeId") or (props.get("resources") or {}).get("instanceTypes"))


def _started(job: dict[str, Any]) -> None:
    props = job["view"]["properties"]
    if props.get("jobType") == "FineTuning" or "fineTuningDetails" in props:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        props["properties"].setdefault("StartTimeUtc", stamp)


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
        if props["status"] in RUNNING:
            job["ticks"] += 1  # training metrics move on with every poll of a running job
        job["polls"] += 1
        if job["polls"] < settings.polls_per_step:
            return
        job["polls"] = 0
        steps = settings.job_steps
        job["step"] = min(job["step"] + 1, len(steps) - 1)
        status = steps[job["step"]]
    if status in RUNNING:
        _started(job)
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
        output["assetVersion"] = version  # shown only at api-versions before 2024-10-01
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


def _check_region(ctx: Context, props: dict[str, Any]) -> None:
    """A serverless job (no compute, no instance types) of a registry model whose
    `maas-finetuning-deploy-regions` tag leaves out the workspace's region is refused as recorded
    (finetuning-serverless-put-400.json: "<Model> : Serverless FineTuning not supported in <region>.")."""
    if _managed(props):
        return
    uri = str(((props.get("fineTuningDetails") or {}).get("model") or {}).get("uri") or "")
    match = _REGISTRY_MODEL.match(uri)
    if match is None:
        return
    versions = ctx.world.registry_models.get((match["reg"], match["name"]))
    if not versions:
        return
    version = match["version"] or max(versions, key=lambda v: versions[v].created)
    model = versions.get(version)
    if model is None or REGIONS_TAG not in model.tags:
        return
    location = ctx.scenario.location
    if location.lower() not in parse_regions(model.tags[REGIONS_TAG]):
        raise ApiError(
            400,
            "UserError",
            f"{match['name']} : Serverless FineTuning not supported in {location}.",
            rp=True,
            inner="ModelNotSupportedByMaaS",
        )


def parse_regions(value: str) -> set[str]:
    """The tag's regions, read leniently (no public source shows its format): "a,b", "a, b", or a
    Python/JSON list string."""
    text = value.strip()
    if text.startswith("["):
        try:
            items = json.loads(text)
        except ValueError:
            try:
                items = ast.literal_eval(text)
            except (ValueError, SyntaxError):
                items = text.strip("[]").split(",")
    else:
        items = text.split(",")
    return {str(item).strip().strip("'\"").lower() for item in items if str(item).strip()}


def _check_data(ctx: Context, ws_name: str, props: dict[str, Any]) -> None:
    """Training/validation data must name something that exists: a data version (ARM id or
    `azureml:<name>:<version>`) or a datastore (`azureml://datastores/<ds>/paths/...`). What the real
    service answers for a missing one is unverified; the emulator answers 400 UserError."""
    details = props.get("fineTuningDetails") or {}
    for field in ("trainingData", "validationData"):
        item = details.get(field)
        uri = str((item or {}).get("uri") or "")
        if not uri:
            continue
        problem = _data_problem(ctx, ws_name, uri)
        if problem:
            raise user_error(400, f"fineTuningDetails.{field}: {problem}")


def _data_problem(ctx: Context, ws_name: str, uri: str) -> str | None:
    world = ctx.world
    match = _DATA_ARM_ID.match(uri)
    if match:
        if (
            match["sub"].lower() != ctx.scenario.subscription_id.lower()
            or match["rg"].lower() != ctx.scenario.resource_group.lower()
            or match["ws"].lower() != ws_name.lower()
        ):
            return f"Could not find asset with ID: {uri} (not a data asset of workspace {ws_name})."
        name, version = match["name"], match["version"]
    else:
        short = _DATA_SHORT.match(uri)
        if short is None:
            store = _DATASTORE_PATH.match(uri)
            if store and store["ds"].lower() not in (DEFAULT_DATASTORE, *OTHER_DATASTORES):
                return f"Datastore {store['ds']} was not found in workspace {ws_name} ({uri})."
            return None
        name, version = short["name"], short["version"]
        if short["label"]:
            container = world.data.get((ws_name.lower(), name))
            version = latest_version(container) if container else None
            if version is None:
                return f"Could not find asset with ID: {uri}."
    container = world.data.get((ws_name.lower(), name))
    if container is None or version not in container["versions"]:
        return f"Could not find asset with ID: {uri}."
    return None


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in ("status", "services")}
