"""Fine-tuning jobs of the project, at the one api-version they exist in (2024-10-01-preview).

FineTuning is a preview job type (absent from the GA api-versions); azure-ai-ml submits it at
2024-10-01-preview too. The PUT body is the one Azure accepted in the recorded real traffic
(tests/contract/fixtures/recordings/finetuning-*.json): hyperparameters as strings, the base model
pinned to a registry version, data given by the data asset's ARM id. Reading a job is one GET.
"""

from __future__ import annotations

from typing import Any

from core.errors import NotFoundError
from ops.azure.arm import ArmAdapter
from ops.azure.records import TOOL_TAG, FineTuneSpec, JobInfo, job_info

API_VERSION = "2024-10-01-preview"


class Jobs(ArmAdapter):
    api_version = API_VERSION

    def _path(self, name: str = "") -> str:
        return f"{self.workspace_path()}/jobs" + (f"/{name}" if name else "")

    def get(self, name: str) -> JobInfo:
        return job_info(self.get_json(self._path(name), f"reading job {name}"))

    def find(self, name: str) -> JobInfo | None:
        try:
            return self.get(name)
        except NotFoundError:
            return None

    def list(self) -> list[JobInfo]:
        """Fine-tuning jobs of the project, newest first (the service filters by job type)."""
        found = [job_info(j) for j in self.list_json(self._path(), "listing jobs", jobType="FineTuning")]
        return sorted(found, key=lambda j: j.created or "", reverse=True)

    def submit(self, spec: FineTuneSpec) -> JobInfo:
        """PUT the job under its name (a digest of its inputs, plus a random token with --new). A repeated
        PUT (the retry policy's, when an answer is lost) may be answered with the job, or refused because
        the job exists: then the job under that name is the answer when it trains the same base model on
        the same data (ArmAdapter.create)."""
        body = finetune_body(spec, self.data_uri)
        return self.create(
            self._path(spec.name), f"submitting job {spec.name}", body, job_info,
            find=lambda: self.find(spec.name), same=lambda job: made_from(job, spec),
        )  # fmt: skip

    def cancel(self, name: str) -> None:
        """Ask the service to cancel (202); the job moves through CancelRequested to Canceled."""
        self.transport.send(
            self.client, "POST", self.url(self._path(name) + "/cancel"), what=f"cancelling job {name}",
            ok=(200, 202, 204), safe_post=True,
        )  # fmt: skip

    def data_uri(self, name: str, version: str) -> str:
        """A data asset as a job input: its ARM id, as azure-ai-ml 1.35.2 sends an `azureml:NAME:VERSION`
        input once resolved (the service records it as `azureml.trainingData.assetId`)."""
        return f"{self.workspace_path()}/data/{name}/versions/{version}"


def made_from(job: JobInfo, spec: FineTuneSpec) -> bool:
    """Whether `job` trains `spec`'s base model on its data: fields the service echoes as they were sent
    (tests/contract/fixtures/recordings/finetuning-maap-*.json). Hyperparameters are left out: whether the
    service stores defaults beside the ones sent is not on record for serverless jobs."""
    return (job.model, job.training_data, job.validation_data) == (
        spec.model_uri, spec.training_data, spec.validation_data,
    )  # fmt: skip


def finetune_body(spec: FineTuneSpec, data_uri: Any) -> dict[str, Any]:
    """The FineTuning job body (see module doc); `data_uri(name, version)` names a data asset."""

    def data(ref: str) -> dict[str, str]:
        name, _, version = ref.removeprefix("azureml:").partition(":")
        return {"jobInputType": "uri_file", "uri": data_uri(name, version)}

    details: dict[str, Any] = {
        "taskType": "ChatCompletion",
        "modelProvider": "Custom",
        "model": {"jobInputType": "mlflow_model", "uri": spec.model_uri},
        "trainingData": data(spec.training_data),
        "hyperParameters": dict(spec.hyperparameters),
    }
    if spec.validation_data:
        details["validationData"] = data(spec.validation_data)
    props: dict[str, Any] = {
        "jobType": "FineTuning",
        "displayName": spec.display_name,
        "experimentName": TOOL_TAG,
        "tags": {**spec.tags, TOOL_TAG: "1"},
        "properties": {},
        "isArchived": False,
        "fineTuningDetails": details,
        "outputs": {
            "registered_model": {"jobOutputType": "mlflow_model", "assetName": spec.output_model_name}
        },
    }
    if spec.compute:
        props["computeId"] = spec.compute
    elif spec.instance_type:
        props["resources"] = {"instanceTypes": [spec.instance_type]}
    return {"properties": props}
