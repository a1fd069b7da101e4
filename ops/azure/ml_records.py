"""Plain records the ML adapter returns, and how they are read off azure-ai-ml entities.

Commands see only these dataclasses, never SDK types. The readers are duck-typed (getattr on the
SDK's entities and generated REST models), so this module imports no Azure SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ops.errors import AzureError

TOOL_TAG = "foundry-ops"

_ASSET_ARM_ID = re.compile(r"/workspaces/[^/]+/data/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.I)
JOB_TERMINAL = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})
JOB_FAILED = frozenset({"Failed", "Canceled", "NotResponding"})


class ThrottledError(AzureError):
    """A transient answer (429/5xx) that outlasted the retries; says when the service wants us back."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class WorkspaceInfo:
    name: str
    location: str
    workspace_id: str  # the GUID model ids are built from


@dataclass(frozen=True)
class DataAssetInfo:
    name: str
    version: str
    path: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"azureml:{self.name}:{self.version}"


@dataclass(frozen=True)
class JobInfo:
    name: str
    status: str
    display_name: str | None
    model: str | None
    training_data: str | None
    validation_data: str | None
    output_model_name: str | None
    compute: str | None
    hyperparameters: dict[str, str]
    tags: dict[str, str]
    created: str | None

    @property
    def terminal(self) -> bool:
        return self.status in JOB_TERMINAL


@dataclass(frozen=True)
class ModelVersionInfo:
    name: str
    version: str
    tags: dict[str, str]
    job_name: str | None


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    model_id: str | None
    provisioning_state: str | None
    endpoint_state: str | None
    uri: str | None
    content_safety: str | None
    auth_mode: str | None
    tags: dict[str, str]


@dataclass(frozen=True)
class FineTuneSpec:
    """Everything a fine-tuning job is made of; the commands derive its name from these."""

    name: str
    display_name: str
    model_uri: str
    training_data: str
    validation_data: str
    output_model_name: str
    hyperparameters: dict[str, str]
    tags: dict[str, str]
    compute: str | None = None  # ARM id of a cluster for managed compute; None = serverless


def version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (10**9, version)


def data_info(data: Any) -> DataAssetInfo:
    return DataAssetInfo(
        name=str(data.name),
        version=str(data.version),
        path=str(getattr(data, "path", "") or ""),
        tags={str(k): str(v) for k, v in (getattr(data, "tags", None) or {}).items()},
    )


def input_uri(value: Any) -> str | None:
    """Job inputs as users wrote them: ARM ids of data assets shown as azureml:NAME:VERSION."""
    if value is None:
        return None
    path = getattr(value, "path", None) or getattr(value, "uri", None)
    text = str(path) if path else str(value)
    match = _ASSET_ARM_ID.search(text)
    if match:
        return f"azureml:{match['name']}:{match['version']}"
    return text


def job_info(job: Any) -> JobInfo:
    outputs = getattr(job, "outputs", None) or {}
    registered = outputs.get("registered_model") if hasattr(outputs, "get") else None
    creation = getattr(job, "creation_context", None)
    created = getattr(creation, "created_at", None)
    return JobInfo(
        name=str(job.name),
        status=str_or_none(getattr(job, "status", None)) or "Unknown",
        display_name=getattr(job, "display_name", None),
        model=input_uri(getattr(job, "model", None)),
        training_data=input_uri(getattr(job, "training_data", None)),
        validation_data=input_uri(getattr(job, "validation_data", None)),
        output_model_name=getattr(registered, "name", None),
        compute=getattr(job, "compute", None),
        hyperparameters={str(k): str(v) for k, v in (getattr(job, "hyperparameters", None) or {}).items()},
        tags={str(k): str(v) for k, v in (getattr(job, "tags", None) or {}).items()},
        created=str(created) if created else None,
    )


def job_info_rest(job: Any) -> JobInfo:
    """A job as the generated REST client returns it (JobBase with FineTuningJob properties)."""
    props = job.properties
    details = getattr(props, "fine_tuning_details", None)
    outputs = getattr(props, "outputs", None) or {}
    registered = outputs.get("registered_model") if hasattr(outputs, "get") else None
    created = getattr(getattr(job, "system_data", None), "created_at", None)
    return JobInfo(
        name=str(job.name),
        status=str_or_none(getattr(props, "status", None)) or "Unknown",
        display_name=getattr(props, "display_name", None),
        model=input_uri(getattr(details, "model", None)),
        training_data=input_uri(getattr(details, "training_data", None)),
        validation_data=input_uri(getattr(details, "validation_data", None)),
        output_model_name=getattr(registered, "asset_name", None),
        compute=getattr(props, "compute_id", None),
        hyperparameters={
            str(k): str(v) for k, v in (getattr(details, "hyper_parameters", None) or {}).items()
        },
        tags={str(k): str(v) for k, v in (getattr(props, "tags", None) or {}).items()},
        created=str(created) if created else None,
    )


def model_info(model: Any) -> ModelVersionInfo:
    tags = {str(k): str(v) for k, v in (getattr(model, "tags", None) or {}).items()}
    return ModelVersionInfo(
        name=str(model.name),
        version=str(model.version),
        tags=tags,
        job_name=getattr(model, "job_name", None),
    )


def endpoint_info(ep: Any) -> EndpointInfo:
    props = getattr(ep, "properties", None)
    settings = getattr(props, "model_settings", None)
    inference = getattr(props, "inference_endpoint", None)
    safety = getattr(props, "content_safety", None)
    return EndpointInfo(
        name=str(ep.name),
        model_id=getattr(settings, "model_id", None),
        provisioning_state=str_or_none(getattr(props, "provisioning_state", None)),
        endpoint_state=str_or_none(getattr(props, "endpoint_state", None)),
        uri=getattr(inference, "uri", None),
        content_safety=str_or_none(getattr(safety, "content_safety_status", None)),
        auth_mode=str_or_none(getattr(props, "auth_mode", None)),
        tags={str(k): str(v) for k, v in (getattr(ep, "tags", None) or {}).items()},
    )


def str_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return str(getattr(value, "value", value))
