"""azure-ai-ml adapter for the stack's PROJECT workspace: data, datastore upload, jobs, models, endpoints.

The only module that touches azure-ai-ml types. Commands get plain records (ops/azure/ml_records.py)
back and domain errors (ops.errors) instead of SDK exceptions. Calls that are safe to repeat are retried on
transient faults on top of azure-core's own retry policy; everything else is made safe to repeat by
the commands (deterministic names, look-up before create).

Three SDK gaps are bridged with the SDK's own generated ARM client (azure.ai.ml._restclient):
serverless endpoints are created at an api-version that carries `contentSafety` (the SDK entity has
no such field); model/data versions are deleted for real (the SDK only archives); and jobs are read
with one GET at the preview api-version FineTuning lives in (the SDK's `jobs.get` makes two).
Submitting a job, data assets, datastores and models go through MLClient itself.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ops.azure.ml_records import (
    JOB_FAILED,
    JOB_TERMINAL,
    TOOL_TAG,
    DataAssetInfo,
    EndpointInfo,
    FineTuneSpec,
    JobInfo,
    ModelVersionInfo,
    ThrottledError,
    WorkspaceInfo,
    data_info,
    endpoint_info,
    job_info,
    job_info_rest,
    model_info,
    version_key,
)
from ops.azure.sdk_logs import keep_sdk_logs_off_stderr, quiet_sdk_loggers
from ops.cloud import CloudSettings
from ops.errors import AuthError, AzureError, JobFailedError, NotFoundError, UsageError
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from ops.outputs import StackOutputs

T = TypeVar("T")

# One api-version for the generated ARM client: the first GA version whose serverless endpoints carry
# contentSafety; it also has model/data version and container DELETE.
ARM_API_VERSION = "2024-04-01"
JOBS_API_VERSION = (
    "2024-10-01-preview"  # what azure-ai-ml submits FineTuning jobs at; absent from GA versions
)
_AZUREML_CLOUD_ENV = "AZUREML_CURRENT_CLOUD"
SLEEP: Callable[[float], None] = time.sleep  # between the adapter's own retries; tests replace it
_TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
_DATASTORE_PATH = re.compile(r"^azureml://datastores/(?P<ds>[^/]+)/paths/(?P<path>.+)$")
__all__ = [  # the records live in ops.azure.ml_records; importable from here as well
    "JOB_FAILED",
    "JOB_TERMINAL",
    "TOOL_TAG",
    "DataAssetInfo",
    "EndpointInfo",
    "FineTuneSpec",
    "JobInfo",
    "MLWorkspaceClient",
    "ModelVersionInfo",
    "ThrottledError",
    "WorkspaceInfo",
]


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _service_message(exc: Exception) -> str:
    """The service's own error code and message, without the SDK's multi-line decoration."""
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if message:
        return _one_line(f"{code}: {message}" if code else message)
    reason = getattr(exc, "reason", None)
    status = getattr(exc, "status_code", None)
    text = str(getattr(exc, "message", "") or exc).splitlines()
    first = text[0] if text else ""
    if first:
        return _one_line(first)
    return _one_line(f"HTTP {status} {reason or ''}")


class MLWorkspaceClient:
    """The project workspace seen through azure-ai-ml, with domain errors and transient retries."""

    def __init__(
        self,
        cloud: CloudSettings,
        credential: TokenCredential,
        outputs: StackOutputs,
        *,
        retries: int = 4,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.cloud = cloud
        self.credential = credential
        self.outputs = outputs
        self._retries = retries
        self._sleep = sleep or (lambda seconds: SLEEP(seconds))
        self._client: Any = None
        self._arm: Any = None
        self._jobs_api: Any = None
        self._saved_cloud_env: str | None = None
        self._cloud_env_touched = False
        self._workspace: WorkspaceInfo | None = None

    # ----------------------------------------------------------------- plumbing
    def _common_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.cloud.ca_bundle:
            kwargs["connection_verify"] = self.cloud.ca_bundle
        return kwargs

    @property
    def client(self) -> Any:
        """The MLClient for the project, built on first use (import azure.ai.ml costs ~1.4 s)."""
        if self._client is None:
            keep_sdk_logs_off_stderr()
            from azure.ai.ml import MLClient

            quiet_sdk_loggers()

            cloud_name = self.cloud.name
            kwargs: dict[str, Any] = self._common_kwargs()
            if cloud_name not in ("AzureCloud", "AzureChinaCloud", "AzureUSGovernment") or (
                self.cloud.arm_endpoint.rstrip("/") != _sdk_arm_endpoint(cloud_name)
            ):
                cloud_name = "foundry-" + hashlib.sha256(self.cloud.arm_endpoint.encode()).hexdigest()[:8]
                kwargs["cloud_metadata"] = _cloud_metadata(self.cloud)
            # MLClient records the cloud in AZUREML_CURRENT_CLOUD; put it back on close().
            self._saved_cloud_env = os.environ.get(_AZUREML_CLOUD_ENV)
            self._cloud_env_touched = True
            with _sdk_warnings():
                self._client = MLClient(
                    credential=self.credential,
                    subscription_id=self.outputs.subscription_id,
                    resource_group_name=self.outputs.resource_group_name,
                    workspace_name=self.outputs.project_name,
                    cloud=cloud_name,
                    enable_telemetry=False,
                    show_progress=False,
                    **kwargs,
                )
        return self._client

    @property
    def arm(self) -> Any:
        """The SDK's generated ARM client, for what its entities cannot express (see module doc)."""
        if self._arm is None:
            self._arm = self._generated_client(ARM_API_VERSION)
        return self._arm

    @property
    def jobs_api(self) -> Any:
        """The generated client at the preview api-version fine-tuning jobs exist in.

        Reading a job through it is one GET; azure-ai-ml's `jobs.get` makes two (a GA read, then the
        preview read for a FineTuning job), which would double the polling traffic of `finetune wait`.
        """
        if self._jobs_api is None:
            self._jobs_api = self._generated_client(JOBS_API_VERSION)
        return self._jobs_api

    def _generated_client(self, api_version: str) -> Any:
        keep_sdk_logs_off_stderr()
        from azure.ai.ml._restclient.arm_ml_service import MachineLearningServicesMgmtClient

        quiet_sdk_loggers()
        return MachineLearningServicesMgmtClient(
            credential=self.credential,
            subscription_id=self.outputs.subscription_id,
            base_url=self.cloud.arm_endpoint.rstrip("/"),
            credential_scopes=[self.cloud.arm_scope],
            api_version=api_version,
            **self._common_kwargs(),
        )

    def close(self) -> None:
        for client in (self._client, self._arm, self._jobs_api):
            closer = getattr(client, "close", None)
            if callable(closer):
                with suppress(Exception):  # closing must never mask the command's own outcome
                    closer()
        self._client = self._arm = self._jobs_api = None
        if self._cloud_env_touched:
            if self._saved_cloud_env is None:
                os.environ.pop(_AZUREML_CLOUD_ENV, None)
            else:
                os.environ[_AZUREML_CLOUD_ENV] = self._saved_cloud_env
            self._cloud_env_touched = False

    @property
    def _rg(self) -> str:
        return self.outputs.resource_group_name

    @property
    def _ws(self) -> str:
        return self.outputs.project_name

    def _call(self, what: str, fn: Callable[[], T], *, retry: bool = True) -> T:
        """Run one SDK call; retry transient faults when the call is safe to repeat; translate errors."""
        from azure.core.exceptions import (
            ClientAuthenticationError,
            HttpResponseError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        attempt = 0
        while True:
            attempt += 1
            try:
                with _sdk_warnings():
                    return fn()
            except ResourceNotFoundError as exc:
                raise NotFoundError(f"{what}: not found ({_service_message(exc)})") from None
            except ClientAuthenticationError as exc:
                raise AuthError(
                    f"{what}: no working Azure credentials ({_service_message(exc)})",
                    hint="run `az login`, or configure a managed or workload identity",
                ) from None
            except HttpResponseError as exc:
                status = getattr(exc, "status_code", None)
                if status == 404:
                    raise NotFoundError(f"{what}: not found ({_service_message(exc)})") from None
                if status == 401:
                    raise AuthError(f"{what}: not authenticated ({_service_message(exc)})") from None
                if status == 403:
                    raise AzureError(
                        f"{what}: access denied ({_service_message(exc)})",
                        hint="the workflow needs Azure AI Developer on the stack's resource group, and "
                        "uploads Storage Blob Data Contributor on its storage account; see `foundry-ops preflight`",
                    ) from None
                if retry and status in _TRANSIENT_STATUS and attempt <= self._retries:
                    self._sleep(_retry_after(exc, attempt))
                    continue
                if status in _TRANSIENT_STATUS:
                    raise ThrottledError(
                        f"{what} failed: {_service_message(exc)}", _retry_after(exc, attempt)
                    ) from None
                raise AzureError(f"{what} failed: {_service_message(exc)}") from None
            except (ServiceRequestError, ServiceResponseError) as exc:
                if retry and attempt <= self._retries:
                    self._sleep(min(2.0 ** (attempt - 1), 30.0))
                    continue
                raise AzureError(f"{what} failed: cannot reach the service ({_one_line(str(exc))})") from None
            except Exception as exc:
                _translate_sdk_exception(what, exc)
                raise

    # ---------------------------------------------------------------- workspace
    def workspace(self) -> WorkspaceInfo:
        """The project's region and GUID (ARM properties.workspaceId), read once."""
        if self._workspace is None:
            ws = self._call("reading the project workspace", lambda: self.client.workspaces.get(self._ws))
            guid = getattr(ws, "_workspace_id", None)
            if not guid:
                raise AzureError(f"workspace {self._ws!r} has no workspaceId in its ARM properties")
            self._workspace = WorkspaceInfo(name=self._ws, location=str(ws.location), workspace_id=str(guid))
        return self._workspace

    def model_id(self, name: str, version: str) -> str:
        ws = self.workspace()
        return (
            f"azureml://locations/{ws.location}/workspaces/{ws.workspace_id}/models/{name}/versions/{version}"
        )

    # --------------------------------------------------------------------- data
    def find_data(self, name: str, version: str) -> DataAssetInfo | None:
        try:
            data = self._call(
                f"reading data asset {name}:{version}", lambda: self.client.data.get(name, version)
            )
        except NotFoundError:
            return None
        return data_info(data)

    def list_data(self) -> list[DataAssetInfo]:
        """Data asset versions this tool registered (tagged), newest first per name."""

        def run() -> list[Any]:
            found: list[Any] = []
            for container in self.client.data.list():
                for version in self.client.data.list(name=container.name):
                    if (version.tags or {}).get(TOOL_TAG):
                        found.append(version)
            return found

        return [data_info(d) for d in self._call("listing data assets", run)]

    def upload_data(
        self, local: Path, *, name: str, version: str, sha256: str, tags: dict[str, str]
    ) -> DataAssetInfo:
        """Upload `local` to the default datastore under its hash, then register name:version.

        The blob path is content-addressed, so an interrupted upload is repeated in place and the same
        bytes are never stored twice.
        """
        ds = self._call("reading the default datastore", lambda: self.client.datastores.get_default())
        blob_path = f"{TOOL_TAG}/data/{sha256}/{local.name}"
        self._upload_blob(ds, local, blob_path, sha256)
        from azure.ai.ml.constants import AssetTypes
        from azure.ai.ml.entities import Data

        asset = Data(
            name=name,
            version=version,
            type=AssetTypes.URI_FILE,
            path=f"azureml://datastores/{ds.name}/paths/{blob_path}",
            description=f"{local.name} registered by foundry-ops (sha256 {sha256})",
            tags={**tags, TOOL_TAG: "1", "sha256": sha256},
        )
        created = self._call(
            f"registering data asset {name}:{version}", lambda: self.client.data.create_or_update(asset)
        )
        return data_info(created)

    def _blob_client(self, ds: Any, blob_path: str) -> Any:
        """A BlobClient on the datastore's container, with the datastore's secret or the user's token."""
        from azure.storage.blob import BlobClient

        container = getattr(ds, "container_name", None)
        if not container:
            raise UsageError(f"the datastore {ds.name!r} is not a blob container")
        account_url = (
            self.cloud.blob_endpoint or f"{ds.protocol or 'https'}://{ds.account_name}.blob.{ds.endpoint}"
        )
        credential: Any = self.credential
        kind = type(getattr(ds, "credentials", None)).__name__
        if kind in ("AccountKeyConfiguration", "SasTokenConfiguration"):
            secret = self._call(
                "reading datastore credentials",
                lambda: self.client.datastores.get(ds.name, include_secrets=True),
            ).credentials
            credential = getattr(secret, "account_key", None) or getattr(secret, "sas_token", None)
        return BlobClient(
            account_url=account_url.rstrip("/"),
            container_name=container,
            blob_name=blob_path,
            credential=credential,
            **self._common_kwargs(),
        )

    def _upload_blob(self, ds: Any, local: Path, blob_path: str, sha256: str) -> None:
        from azure.core.exceptions import ResourceExistsError

        with self._blob_client(ds, blob_path) as blob:

            def exists() -> bool:
                if not blob.exists():
                    return False
                meta = blob.get_blob_properties().metadata or {}
                return meta.get("sha256") == sha256

            if self._call("checking the datastore", exists):
                return

            def upload() -> None:
                with local.open("rb") as fh, suppress(ResourceExistsError):
                    blob.upload_blob(fh, overwrite=True, metadata={"sha256": sha256})

            self._call(f"uploading {local.name}", upload)

    def delete_uploaded_blob(self, asset_path: str) -> bool:
        """Delete the blob behind a data asset, only if this tool uploaded it (its content-addressed path)."""
        match = _DATASTORE_PATH.match(asset_path)
        if match is None or not match["path"].startswith(f"{TOOL_TAG}/data/"):
            return False
        ds = self._call(f"reading datastore {match['ds']}", lambda: self.client.datastores.get(match["ds"]))
        with self._blob_client(ds, match["path"]) as blob:
            try:
                self._call(f"deleting blob {match['path']}", blob.delete_blob)
            except NotFoundError:
                return False
        return True

    def delete_data_version(self, name: str, version: str) -> bool:
        """Delete a data asset version for real (ARM DELETE); False when it was already gone."""
        try:
            self._call(
                f"deleting data asset {name}:{version}",
                lambda: self.arm.data_versions.delete(self._rg, self._ws, name, version),
            )
        except NotFoundError:
            return False
        return True

    def delete_data_container(self, name: str) -> bool:
        """Delete a data asset's container once it has no versions left."""
        try:
            self._call(
                f"deleting data asset {name}",
                lambda: self.arm.data_containers.delete(self._rg, self._ws, name),
            )
        except NotFoundError:
            return False
        return True

    def data_versions(self, name: str) -> list[DataAssetInfo]:
        def run() -> list[Any]:
            return list(self.client.data.list(name=name))

        try:
            return [data_info(d) for d in self._call(f"listing versions of data asset {name}", run)]
        except NotFoundError:
            return []

    # --------------------------------------------------------------------- jobs
    def find_job(self, name: str) -> JobInfo | None:
        try:
            return self.get_job(name)
        except NotFoundError:
            return None

    def get_job(self, name: str) -> JobInfo:
        return job_info_rest(self._get_rest_job(name))

    def _get_rest_job(self, name: str) -> Any:
        return self._call(f"reading job {name}", lambda: self.jobs_api.jobs.get(self._rg, self._ws, name))

    def list_jobs(self) -> list[JobInfo]:
        """Fine-tuning jobs of the project, newest first (the service filters by job type)."""

        def run() -> list[Any]:
            return list(self.jobs_api.jobs.list(self._rg, self._ws, job_type="FineTuning"))

        found = [job_info_rest(j) for j in self._call("listing jobs", run)]
        return sorted(found, key=lambda j: j.created or "", reverse=True)

    def submit_finetune(self, spec: FineTuneSpec) -> JobInfo:
        """Create the job under its deterministic name; a lost response is recovered by looking it up."""
        from azure.ai.ml.finetuning import create_finetuning_job

        def build() -> Any:
            job = create_finetuning_job(
                model=spec.model_uri,
                task="ChatCompletion",
                training_data=spec.training_data,
                validation_data=spec.validation_data,  # always passed: omitting it raises UnboundLocalError
                hyperparameters=spec.hyperparameters,
                output_model_name_prefix=spec.output_model_name,
                compute=spec.compute,
                name=spec.name,
                display_name=spec.display_name,
                experiment_name=TOOL_TAG,
                tags={**spec.tags, TOOL_TAG: "1"},
            )
            return job

        with _sdk_warnings():
            job = build()
        try:
            created = self._call(
                f"submitting job {spec.name}",
                lambda: self.client.jobs.create_or_update(job, skip_validation=True),
                retry=False,
            )
        except AzureError:
            existing = self.find_job(spec.name)  # the PUT may have landed before the fault
            if existing is not None:
                return existing
            raise
        return job_info(created)

    def cancel_job(self, name: str) -> None:
        def run() -> None:
            poller = self.client.jobs.begin_cancel(name)
            poller.result()

        self._call(f"cancelling job {name}", run)

    def job_error(self, name: str) -> str | None:
        """The service's error message for a failed job: run history first, then the job's properties."""
        return self._run_history_error(name) or self._job_property_error(name)

    def _job_property_error(self, name: str) -> str | None:
        try:
            job = self._get_rest_job(name)
        except Exception:
            return None
        props = getattr(job.properties, "properties", None) or {}
        for key, value in props.items():
            if value and ("failure" in key.lower() or "error" in key.lower()):
                return _one_line(str(value))
        return None

    def _run_history_error(self, name: str) -> str | None:
        try:
            details = self._call(
                f"reading the error of job {name}",
                lambda: self.client.jobs._runs_operations.get_run_details(name),
                retry=False,  # best effort: the job's own properties are the fallback
            )
        except Exception:
            return None
        err = getattr(details, "error", None)
        inner = getattr(err, "error", None)
        message = getattr(inner, "message", None)
        code = getattr(inner, "code", None)
        if not message:
            return None
        return _one_line(f"{code}: {message}" if code else message)

    # ------------------------------------------------------------------- models
    def list_model_versions(self, name: str) -> list[ModelVersionInfo]:
        def run() -> list[Any]:
            return list(self.client.models.list(name=name))

        try:
            found = self._call(f"listing versions of model {name}", run)
        except NotFoundError:
            return []
        return sorted((model_info(m) for m in found), key=lambda m: version_key(m.version))

    def delete_model_version(self, name: str, version: str) -> bool:
        """Delete a model version for real (ARM DELETE; the SDK can only archive)."""
        try:
            self._call(
                f"deleting model {name}:{version}",
                lambda: self.arm.model_versions.delete(self._rg, self._ws, name, version),
            )
        except NotFoundError:
            return False
        return True

    def delete_model_container(self, name: str) -> bool:
        try:
            self._call(
                f"deleting model {name}",
                lambda: self.arm.model_containers.delete(self._rg, self._ws, name),
            )
        except NotFoundError:
            return False
        return True

    # ---------------------------------------------------------------- endpoints
    def find_endpoint(self, name: str) -> EndpointInfo | None:
        try:
            return self.get_endpoint(name)
        except NotFoundError:
            return None

    def get_endpoint(self, name: str) -> EndpointInfo:
        ep = self._call(
            f"reading endpoint {name}", lambda: self.arm.serverless_endpoints.get(self._rg, self._ws, name)
        )
        return endpoint_info(ep)

    def list_endpoints(self) -> list[EndpointInfo]:
        def run() -> list[Any]:
            return list(self.arm.serverless_endpoints.list(self._rg, self._ws))

        return [endpoint_info(e) for e in self._call("listing endpoints", run)]

    def create_endpoint(
        self,
        name: str,
        model_id: str,
        *,
        content_safety: bool,
        tags: dict[str, str],
        wait: bool,
        policy: PollPolicy = DEFAULT_POLICY,
    ) -> EndpointInfo:
        """PUT the endpoint with contentSafety in the same body; PUT is idempotent, so it is retried.

        With `wait`, the operation is polled on `policy`'s schedule (the one `finetune wait` uses).
        """
        from azure.ai.ml._restclient.arm_ml_service import models as rest

        body = rest.ServerlessEndpoint(
            location=self.workspace().location,
            sku=rest.Sku(name="Consumption"),
            tags={**tags, TOOL_TAG: "1"},
            properties=rest.ServerlessEndpointProperties(
                auth_mode="Key",
                model_settings=rest.ModelSettings(model_id=model_id),
                content_safety=rest.ContentSafety(
                    content_safety_status="Enabled" if content_safety else "Disabled"
                ),
            ),
        )

        poller = self._call(
            f"creating endpoint {name}",
            lambda: self.arm.serverless_endpoints.begin_create_or_update(
                self._rg,
                self._ws,
                name,
                body,
                polling=self._lro_polling(policy) if wait else False,  # no background polling otherwise
            ),
        )
        if wait:
            try:
                self._call(f"waiting for endpoint {name}", poller.result, retry=False)
            except AzureError as exc:
                raise JobFailedError(f"deployment of endpoint {name} failed: {_strip_prefix(exc)}") from None
        return self.get_endpoint(name)

    def delete_endpoint(self, name: str, *, wait: bool = True, policy: PollPolicy = DEFAULT_POLICY) -> bool:
        """Delete an endpoint; with wait, return only once the deletion finished (polled on `policy`)."""

        def run() -> None:
            polling = self._lro_polling(policy) if wait else False
            poller = self.arm.serverless_endpoints.begin_delete(self._rg, self._ws, name, polling=polling)
            if wait:
                poller.result()

        try:
            self._call(f"deleting endpoint {name}", run)
        except NotFoundError:
            return False
        return True

    def _lro_polling(self, policy: PollPolicy) -> Any:
        """azure-core's ARM LRO polling with the shared schedule instead of its own (Retry-After or 30 s)."""
        return _policy_polling(policy, self._sleep, self.cloud.arm_endpoint.rstrip("/"))

    def endpoint_keys(self, name: str) -> dict[str, str]:
        """Primary and secondary key. listKeys is a POST but reads only, so it is safe to retry."""
        keys = self._call(
            f"reading keys of endpoint {name}",
            lambda: self.arm.serverless_endpoints.list_keys(self._rg, self._ws, name),
        )
        return {
            "primary_key": str(getattr(keys, "primary_key", "") or ""),
            "secondary_key": str(getattr(keys, "secondary_key", "") or ""),
        }


# ---------------------------------------------------------------------- helpers
def _sdk_arm_endpoint(cloud_name: str) -> str:
    return {
        "AzureCloud": "https://management.azure.com",
        "AzureChinaCloud": "https://management.chinacloudapi.cn",
        "AzureUSGovernment": "https://management.usgovcloudapi.net",
    }.get(cloud_name, "")


def _cloud_metadata(cloud: CloudSettings) -> dict[str, str]:
    """azure-ai-ml's description of a cloud: a known cloud's own values with our endpoints on top."""
    from azure.ai.ml._azure_environments import _environments

    base = dict(_environments.get(cloud.name) or _environments["AzureCloud"])
    arm = cloud.arm_endpoint.rstrip("/") + "/"
    base.update({"resource_manager": arm, "active_directory": cloud.authority_host.rstrip("/") + "/"})
    if cloud.name not in _environments:
        base["registry_discovery_endpoint"] = arm
    return base


@contextmanager
def _sdk_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _retry_after(exc: Exception, attempt: int) -> float:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    if value:
        try:
            return min(max(float(value), 0.0), 60.0)
        except ValueError:
            pass
    return min(2.0 ** (attempt - 1), 30.0)


def _policy_polling(policy: PollPolicy, sleep: Callable[[float], None], base_url: str) -> Any:
    """An ARMPolling whose waits come from `policy`: back off while the operation's status stays, start
    over when it moves, a longer Retry-After (or retry-after-ms) from the service wins."""
    from azure.mgmt.core.polling.arm_polling import ARMPolling

    class PolicyPolling(ARMPolling):  # type: ignore[misc]
        def __init__(self) -> None:
            # timeout=0: azure-core's _extract_delay then yields only the service's Retry-After
            super().__init__(timeout=0, path_format_arguments={"endpoint": base_url})
            self.backoff = policy.backoff()

        def _delay(self) -> None:
            self.backoff.observe(self.status())
            sleep(self.backoff.next(retry_after=self._extract_delay()))

    return PolicyPolling()


def _translate_sdk_exception(what: str, exc: Exception) -> None:
    """azure-ai-ml's own exceptions (validation, MlException) become one-line domain errors."""
    module = type(exc).__module__
    if module.startswith("azure.identity") or type(exc).__name__ == "CredentialUnavailableError":
        raise AuthError(
            f"{what}: no working Azure credentials ({_one_line(str(exc), 200)})",
            hint="run `az login`, or configure a managed or workload identity",
        ) from None
    if module.startswith("azure.ai.ml"):
        message = getattr(exc, "message", None) or str(exc)
        if "ValidationException" in type(exc).__name__:
            raise UsageError(f"{what}: {_one_line(message)}") from None
        raise AzureError(f"{what} failed: {_one_line(message)}") from None


def _strip_prefix(exc: AzureError) -> str:
    text = str(exc)
    return text.split(" failed: ", 1)[1] if " failed: " in text else text
