"""The emulator's world: one subscription with a hub and a project, and everything created in them.

Everything a route changes lives here behind one lock. Progressions (provider registration, jobs,
long-running operations) advance when clients poll, not with wall-clock time, so tests are fast and
deterministic: a job moves one status per GET (`polls_per_step`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.emulator.timeline import Timeline, status_at


def now_iso() -> str:
    """A timestamp as the ML resource provider writes them: 7 fractional digits and `+00:00`
    (`2024-11-25T07:36:17.6982685+00:00`, recordings/finetuning-maap-put-*.json)."""
    return iso(dt.datetime.now(dt.UTC))


def iso(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond:06d}0+00:00"


def stable_guid(*parts: str) -> str:
    return str(uuid.UUID(hashlib.sha256("/".join(parts).encode()).hexdigest()[:32]))


# Azure AI Developer's actions and notActions (built-in role 64702f94-c441-49e6-a78b-ef80e0188fee).
AI_DEVELOPER_ACTIONS = [
    "Microsoft.MachineLearningServices/workspaces/*/read",
    "Microsoft.MachineLearningServices/workspaces/*/action",
    "Microsoft.MachineLearningServices/workspaces/*/delete",
    "Microsoft.MachineLearningServices/workspaces/*/write",
    "Microsoft.MachineLearningServices/locations/*/read",
    "Microsoft.Authorization/*/read",
    "Microsoft.Resources/deployments/*",
]
AI_DEVELOPER_NOT_ACTIONS = [
    "Microsoft.MachineLearningServices/workspaces/delete",
    "Microsoft.MachineLearningServices/workspaces/write",
    "Microsoft.MachineLearningServices/workspaces/listKeys/action",
    "Microsoft.MachineLearningServices/workspaces/hubs/write",
    "Microsoft.MachineLearningServices/workspaces/hubs/delete",
    "Microsoft.MachineLearningServices/workspaces/featurestores/write",
    "Microsoft.MachineLearningServices/workspaces/featurestores/delete",
]
# Contributor (b24988ac-6180-42a0-ab88-20f7382dd24c): everything but access management.
CONTRIBUTOR_ACTIONS = ["*"]
CONTRIBUTOR_NOT_ACTIONS = [
    "Microsoft.Authorization/*/Delete",
    "Microsoft.Authorization/*/Write",
    "Microsoft.Authorization/elevateAccess/Action",
    "Microsoft.Blueprint/blueprintAssignments/write",
    "Microsoft.Blueprint/blueprintAssignments/delete",
    "Microsoft.Compute/galleries/share/action",
]


@dataclass
class Scenario:
    """Names and identities of the emulated stack (what `pulumi up` would have produced)."""

    stack: str = "dev"
    subscription_id: str = "6f3c2a1e-0b7d-4c59-9e1a-2d4f8b7c3a10"
    tenant_id: str = "72f988bf-86f1-41af-91ab-2d7cd011db47"
    resource_group: str = "rg-foundry-dev"
    location: str = "eastus2"
    hub_name: str = "hub-foundry-dev"
    project_name: str = "proj-foundry-dev"
    storage_account: str = "devstoreaccount1"  # Azurite's well-known account
    key_vault: str = "kv-foundry-dev"
    ai_services_name: str = "ais-foundry-dev"
    compute_name: str = "gpu-cluster"
    client_id: str = "0c5b2f7e-6a41-4d2b-8f0e-3b9a7c1d2e45"
    client_secret: str = "emulator-client-secret"
    principal_id: str = "9d8e7f6a-5b4c-4d3e-8f2a-1b0c9d8e7f6a"
    identity_name: str = "id-foundry-finetune"
    user_name: str = "dev@contoso.com"  # systemData.createdBy of what the caller creates
    # Where the `azureml` registry lives (discovery answers these; they are not the stack's).
    registry_subscription_id: str = "9b4e1f2a-7c3d-4e5f-8a6b-0c1d2e3f4a5b"
    registry_resource_group: str = "registry-builtin-prod-eastus-01"
    registry_region: str = "eastus"

    @property
    def rg_id(self) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"

    def workspace_id(self, name: str) -> str:
        return f"{self.rg_id}/providers/Microsoft.MachineLearningServices/workspaces/{name}"

    def workspace_guid(self, name: str) -> str:
        return stable_guid(self.subscription_id, self.resource_group, name.lower())

    @property
    def identity_id(self) -> str:
        return f"{self.rg_id}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{self.identity_name}"

    def outputs(self) -> dict[str, Any]:
        """The stack outputs (contract v1) describing this world."""
        return {
            "outputs_schema_version": 1,
            "subscription_id": self.subscription_id,
            "tenant_id": self.tenant_id,
            "resource_group_name": self.resource_group,
            "location": self.location,
            "hub_name": self.hub_name,
            "hub_id": self.workspace_id(self.hub_name),
            "project_name": self.project_name,
            "project_id": self.workspace_id(self.project_name),
            "ai_services_name": self.ai_services_name,
            "ai_services_endpoint": f"https://{self.ai_services_name}.cognitiveservices.azure.com/",
            "ai_services_connection_name": f"{self.ai_services_name}-connection",
            "storage_account_name": self.storage_account,
            "key_vault_name": self.key_vault,
            "finetune_identity_id": self.identity_id,
            "finetune_identity_client_id": stable_guid("client", self.identity_name),
            "compute_name": self.compute_name,
            "stack": self.stack,
        }


@dataclass
class Settings:
    """Knobs tests turn; all have realistic defaults."""

    polls_per_step: int = 1  # job GETs per status step
    job_steps: tuple[str, ...] = ("Queued", "Preparing", "Running", "Finalizing", "Completed")
    lro_polls: int = 1  # async-operation polls answered InProgress before the outcome
    register_polls: int = 1  # provider GETs answered Registering before Registered
    content_filter_trigger: str = "BLOCKME"  # a prompt containing it is filtered when safety is on
    logprobs: bool = False  # whether chat completions honour `logprobs` (Phi-4: unconfirmed)
    # Poll delay the emulator asks for on LRO answers: Retry-After (seconds) when > 0, else
    # retry-after-ms (also honoured by azure-core), which keeps tests fast. azure-core treats
    # "Retry-After: 0" as absent and falls back to its 30 s default, so 0 is never sent.
    retry_after_lro: int = 0
    retry_after_lro_ms: int = 20
    unavailable_endpoint_names: set[str] = field(default_factory=set)  # "name is not available"
    # the caller's effective permissions on the resource group (default: Contributor)
    permissions_actions: list[str] = field(default_factory=lambda: list(CONTRIBUTOR_ACTIONS))
    permissions_not_actions: list[str] = field(default_factory=lambda: list(CONTRIBUTOR_NOT_ACTIONS))
    # endpoint name -> {user prompt -> answer}; otherwise answers are derived from the prompt
    answers: dict[str, dict[str, str]] = field(default_factory=dict)
    # Serverless chat capacity: simulated model latency per completion, and how many completions an
    # endpoint serves at once (0 = unlimited); above it the endpoint answers 429 with Retry-After,
    # as a rate-limited deployment does.
    chat_latency_s: float = 0.0
    chat_concurrency_limit: int = 0
    chat_retry_after_s: int = 1
    # Simulated time (tests/emulator/timeline.py): with a clock, requests are logged with `at`, and
    # non-empty timelines drive jobs / long-running operations by that clock instead of by poll counts.
    clock: Callable[[], float] | None = None
    job_timeline: Timeline = ()
    lro_timeline: Timeline = ()
    # List answers hold at most this many items and carry `nextLink` (with `$skipToken`) when more remain.
    page_size: int = 1000
    # The default datastore's credentials: "None" (identity-based, what the stack provisions with
    # systemDatastoresAuthMode=identity) or "AccountKey" (the recorded default; listSecrets answers a SAS).
    datastore_credentials: str = "None"
    # A job's training/validation data must name an existing data version or datastore (else 400).
    require_job_data: bool = True
    # Training metrics served through MLflow REST (routes/mlflow.py): names a job's child run logs
    # (default HF-Trainer style; AZURE_OPENAI_METRICS is the Azure OpenAI results.csv style), how many
    # steps a completed job has, and how many more steps become visible per job poll while it runs.
    metric_names: tuple[str, ...] = ("loss", "eval_loss", "learning_rate", "epoch")
    metric_steps: int = 20
    metric_steps_per_poll: int = 4


HF_TRAINER_METRICS = ("loss", "eval_loss", "learning_rate", "epoch")
AZURE_OPENAI_METRICS = ("train_loss", "valid_loss", "train_mean_token_accuracy", "valid_mean_token_accuracy")


@dataclass
class RegistryModelVersion:
    """One model version in an emulated registry (`world.registry_models[(registry, name)][version]`).

    "latest" is the most recently CREATED version (`created`), as the service orders `createdtime desc`.
    """

    tags: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)
    created: str = field(default_factory=now_iso)
    description: str | None = None
    flavors: dict[str, Any] = field(default_factory=dict)
    model_type: str = "mlflow_model"
    is_archived: bool = False


@dataclass
class Operation:
    """A long-running operation polled through Azure-AsyncOperation / Location."""

    id: str
    kind: str
    polls_left: int
    fail_message: str | None = None
    status: str = "InProgress"
    done: bool = False
    started: str = field(default_factory=now_iso)
    finish: Any = None  # callable(succeeded: bool) run once when the outcome is decided
    started_at: float | None = None  # simulated start, when settings.lro_timeline drives it


class Gauge:
    """Completions in flight right now, the most ever at once, and how many were refused for capacity."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.throttled = 0

    def enter(self, limit: int) -> bool:
        """Count one more in flight, unless `limit` (> 0) are already: then count a refusal."""
        with self._lock:
            if limit > 0 and self.current >= limit:
                self.throttled += 1
                return False
            self.current += 1
            self.peak = max(self.peak, self.current)
            return True

    def leave(self) -> None:
        with self._lock:
            self.current -= 1


class World:
    def __init__(self, scenario: Scenario | None = None, settings: Settings | None = None) -> None:
        self.lock = threading.RLock()
        self.scenario = scenario or Scenario()
        self.settings = settings or Settings()
        self.providers: dict[str, dict[str, Any]] = {
            "microsoft.machinelearningservices": {
                "namespace": "Microsoft.MachineLearningServices",
                "state": "Registered",
                "polls": 0,
            },
            "microsoft.network": {"namespace": "Microsoft.Network", "state": "NotRegistered", "polls": 0},
            "microsoft.storage": {"namespace": "Microsoft.Storage", "state": "Registered", "polls": 0},
            "microsoft.cognitiveservices": {
                "namespace": "Microsoft.CognitiveServices",
                "state": "Registered",
                "polls": 0,
            },
        }
        self.workspaces: dict[str, dict[str, Any]] = {}
        self.datastores: dict[tuple[str, str], dict[str, Any]] = {}
        self.data: dict[tuple[str, str], dict[str, Any]] = {}  # (ws, name) -> container
        self.models: dict[tuple[str, str], dict[str, Any]] = {}
        self.jobs: dict[tuple[str, str], dict[str, Any]] = {}
        self.endpoints: dict[tuple[str, str], dict[str, Any]] = {}
        self.marketplace: dict[tuple[str, str], dict[str, Any]] = {}
        self.role_assignments: list[dict[str, Any]] = []
        self.operations: dict[str, Operation] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.created: dict[str, int] = {"jobs": 0, "endpoints": 0, "data_versions": 0, "model_versions": 0}
        self.chat_calls: list[dict[str, Any]] = []
        self.chat_gauge = Gauge()
        self.blob_endpoint: str | None = None  # set when an Azurite is attached
        # Registries served by the emulator's registry routes: (registry, model) -> version -> model.
        # Seeded with `azureml` (routes/registry.py); tests edit tags or add versions here.
        self.registry_models: dict[tuple[str, str], dict[str, RegistryModelVersion]] = {}
        self.sequence = 0  # creation order of assets, for `$orderBy=createdtime desc`

    def next_sequence(self) -> int:
        with self.lock:
            self.sequence += 1
            return self.sequence

    def add_registry_version(
        self, registry: str, name: str, version: str, **fields: Any
    ) -> RegistryModelVersion:
        """Publish a model version in an emulated registry (newest created: it becomes "latest")."""
        model = RegistryModelVersion(**fields)
        with self.lock:
            self.registry_models.setdefault((registry, name), {})[version] = model
        return model

    def new_operation(self, kind: str, fail_message: str | None, finish: Any) -> Operation:
        op = Operation(str(uuid.uuid4()), kind, self.settings.lro_polls, fail_message, finish=finish)
        if self.settings.clock is not None and self.settings.lro_timeline:
            op.started_at = self.settings.clock()
        self.operations[op.id] = op
        if op.polls_left <= 0 or op.started_at is not None:
            self.advance_operation(op)
        return op

    def advance_operation(self, op: Operation) -> None:
        if op.done:
            return
        if op.started_at is not None and self.settings.clock is not None:
            status = status_at(self.settings.lro_timeline, self.settings.clock() - op.started_at)
            if status not in ("Succeeded", "Failed", "Canceled"):
                op.status = status
                return
            op.polls_left = 0
        if op.polls_left > 0:
            op.polls_left -= 1
            return
        op.done = True
        op.status = "Failed" if op.fail_message else "Succeeded"
        if op.finish is not None:
            op.finish(op.status == "Succeeded")


def poll_headers(settings: Settings) -> dict[str, str]:
    if settings.retry_after_lro > 0:
        return {"Retry-After": str(settings.retry_after_lro)}
    return {"retry-after-ms": str(settings.retry_after_lro_ms)}
