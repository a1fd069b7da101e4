"""Plain records the adapters return, read off the service's JSON.

The layers above see only these dataclasses, never SDK types or raw JSON. The readers take the REST
bodies as Azure sends them (camelCase, see tests/contract/ for the recorded real answers they are
tested on) and import no Azure SDK.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TOOL_TAG = "foundry-ops"

JOB_TERMINAL = frozenset({"Completed", "Failed", "Canceled", "NotResponding", "Paused"})
JOB_FAILED = frozenset({"Failed", "Canceled", "NotResponding"})
_DATA_ARM_ID = re.compile(r"/workspaces/[^/]+/data/(?P<name>[^/]+)/versions/(?P<version>[^/]+)$", re.I)


@dataclass(frozen=True)
class WorkspaceInfo:
    name: str
    location: str
    workspace_id: str  # the GUID model ids are built from (properties.workspaceId)
    kind: str
    hub_id: str | None
    discovery_url: str | None
    tracking_uri: str | None = None  # properties.mlFlowTrackingUri: azureml://<host>/mlflow/v1.0/<ARM id>


@dataclass(frozen=True)
class DatastoreInfo:
    name: str
    account_name: str
    container_name: str
    endpoint: str  # storage suffix, e.g. core.windows.net
    protocol: str
    credential_kind: str  # None (identity), AccountKey, Sas, ...


@dataclass(frozen=True)
class DataAssetInfo:
    name: str
    version: str
    uri: str  # properties.dataUri as the service returns it (any azureml:// form)
    tags: dict[str, str] = field(default_factory=dict)
    created: str | None = None

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
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        return self.status in JOB_TERMINAL

    @property
    def failed(self) -> bool:
        return self.status in JOB_FAILED


@dataclass(frozen=True)
class ModelVersionInfo:
    name: str
    version: str
    tags: dict[str, str]
    job_name: str | None
    created: str | None = None


@dataclass(frozen=True)
class EndpointInfo:
    name: str
    model_id: str | None
    provisioning_state: str | None
    endpoint_state: str | None
    uri: str | None
    content_safety: str  # "Enabled" or "Disabled"; the service enables it when nothing says otherwise
    auth_mode: str | None
    tags: dict[str, str]
    location: str | None = None
    created: str | None = None

    @property
    def provisioned(self) -> bool:
        return (self.provisioning_state or "").lower() == "succeeded"

    @property
    def failed(self) -> bool:
        return (self.provisioning_state or "").lower() in ("failed", "canceled")


@dataclass(frozen=True)
class RegistryModel:
    """A model version in a registry (e.g. azureml), with the tags that say where it can be tuned."""

    registry: str
    name: str
    version: str
    tags: dict[str, str]
    created: str | None = None

    @property
    def uri(self) -> str:
        return f"azureml://registries/{self.registry}/models/{self.name}/versions/{self.version}"


@dataclass(frozen=True)
class FineTuneSpec:
    """Everything a fine-tuning job is made of; the flows derive its name from these."""

    name: str
    display_name: str
    model_uri: str
    training_data: str
    validation_data: str | None
    output_model_name: str
    hyperparameters: dict[str, str]
    tags: dict[str, str]
    compute: str | None = None  # ARM id of a cluster for managed compute; None = serverless
    instance_type: str | None = None


def _tags(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()} if isinstance(value, dict) else {}


def _props(body: dict[str, Any]) -> dict[str, Any]:
    props = body.get("properties")
    return props if isinstance(props, dict) else {}


def _created(body: dict[str, Any]) -> str | None:
    stamp = (body.get("systemData") or {}).get("createdAt")
    return str(stamp) if stamp else None


def version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (10**9, version)


def workspace_info(body: dict[str, Any]) -> WorkspaceInfo:
    props = _props(body)
    return WorkspaceInfo(
        name=str(body.get("name") or ""),
        location=str(body.get("location") or ""),
        workspace_id=str(props.get("workspaceId") or ""),
        kind=str(body.get("kind") or ""),
        hub_id=props.get("hubResourceId"),
        discovery_url=props.get("discoveryUrl"),
        tracking_uri=props.get("mlFlowTrackingUri"),
    )


def datastore_info(body: dict[str, Any]) -> DatastoreInfo:
    props = _props(body)
    creds = props.get("credentials") or {}
    return DatastoreInfo(
        name=str(body.get("name") or ""),
        account_name=str(props.get("accountName") or ""),
        container_name=str(props.get("containerName") or ""),
        endpoint=str(props.get("endpoint") or "core.windows.net"),
        protocol=str(props.get("protocol") or "https"),
        credential_kind=str(creds.get("credentialsType") or "None"),
    )


def data_info(body: dict[str, Any]) -> DataAssetInfo:
    name, version = _name_version(body)
    props = _props(body)
    return DataAssetInfo(
        name=name,
        version=version,
        uri=str(props.get("dataUri") or ""),
        tags=_tags(props.get("tags")),
        created=_created(body),
    )


def model_info(body: dict[str, Any]) -> ModelVersionInfo:
    name, version = _name_version(body)
    props = _props(body)
    return ModelVersionInfo(
        name=name,
        version=version,
        tags=_tags(props.get("tags")),
        job_name=props.get("jobName"),
        created=_created(body),
    )


def registry_model(registry: str, body: dict[str, Any]) -> RegistryModel:
    name, version = _name_version(body)
    return RegistryModel(
        registry=registry,
        name=name,
        version=version,
        tags=_tags(_props(body).get("tags")),
        created=_created(body),
    )


def _name_version(body: dict[str, Any]) -> tuple[str, str]:
    """A version resource's id ends in .../<container>/versions/<version>; `name` is the version."""
    rid = str(body.get("id") or "")
    parts = rid.rstrip("/").split("/")
    if len(parts) >= 3 and parts[-2].lower() == "versions":
        return parts[-3], parts[-1]
    return str(body.get("name") or ""), str(body.get("name") or "")


def input_ref(value: Any) -> str | None:
    """A job input as users write it: a data asset's ARM id is shown as azureml:NAME:VERSION."""
    if not isinstance(value, dict):
        return None
    uri = str(value.get("uri") or "")
    if not uri:
        return None
    match = _DATA_ARM_ID.search(uri)
    return f"azureml:{match['name']}:{match['version']}" if match else uri


def job_info(body: dict[str, Any]) -> JobInfo:
    """A FineTuning job (JobBase with FineTuningJob properties)."""
    props = _props(body)
    details = props.get("fineTuningDetails") or {}
    outputs = props.get("outputs") or {}
    registered = outputs.get("registered_model") if isinstance(outputs, dict) else None
    model: dict[str, Any] = details["model"] if isinstance(details.get("model"), dict) else {}
    return JobInfo(
        name=str(body.get("name") or ""),
        status=str(props.get("status") or "Unknown"),
        display_name=props.get("displayName"),
        model=str(model.get("uri")) if model.get("uri") else None,
        training_data=input_ref(details.get("trainingData")),
        validation_data=input_ref(details.get("validationData")),
        output_model_name=registered.get("assetName") if isinstance(registered, dict) else None,
        compute=props.get("computeId"),
        hyperparameters=_tags(details.get("hyperParameters")),
        tags=_tags(props.get("tags")),
        created=_created(body),
        properties=_tags(props.get("properties")),
    )


def endpoint_info(body: dict[str, Any]) -> EndpointInfo:
    props = _props(body)
    return EndpointInfo(
        name=str(body.get("name") or ""),
        model_id=(props.get("modelSettings") or {}).get("modelId"),
        provisioning_state=props.get("provisioningState"),
        endpoint_state=props.get("endpointState"),
        uri=(props.get("inferenceEndpoint") or {}).get("uri"),
        content_safety=(props.get("contentSafety") or {}).get("contentSafetyStatus") or "Enabled",
        auth_mode=props.get("authMode"),
        tags=_tags(body.get("tags")),
        location=body.get("location"),
        created=_created(body),
    )
