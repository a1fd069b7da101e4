"""Preflight: is the stack ready to fine-tune and deploy this model? One check per row, each with a fix.

Checks, in order (later ones are skipped when an earlier one makes them meaningless): stack outputs
complete; the model can be fine-tuned in the stack's region in the chosen mode (catalog); Azure
credentials work; the project workspace is a hub-based project; resource providers registered
(Microsoft.Network is a documented prerequisite; `fix` registers it and waits on the shared polling
policy); the caller holds the permissions of Azure AI Developer on the resource group; the fine-tuning
identity can use the storage; a compute cluster for managed compute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from catalog.models import Mode, ModelInfo, explain
from core import roles
from core.errors import NotFoundError, ToolkitError
from ops.polling import DEFAULT_POLICY, PollPolicy

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.providers import Permissions

AI_DEVELOPER = f"{roles.AZURE_AI_DEVELOPER.name} ({roles.AZURE_AI_DEVELOPER.guid})"
STORAGE_BLOB_DATA_CONTRIBUTOR = roles.STORAGE_BLOB_DATA_CONTRIBUTOR.guid
# What the workflow does in the project, as ARM actions (Azure AI Developer grants all of them).
# Reading the project itself is proven by the workspace check.
NEEDED_ACTIONS: tuple[tuple[str, str], ...] = (
    ("Microsoft.MachineLearningServices/workspaces/data/versions/write", "register training data"),
    ("Microsoft.MachineLearningServices/workspaces/jobs/write", "submit fine-tuning jobs"),
    ("Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/write", "deploy endpoints"),
    (
        "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/listKeys/action",
        "read endpoint keys",
    ),
    ("Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/delete", "delete endpoints"),
)
PROVIDERS = ("Microsoft.MachineLearningServices", "Microsoft.Network")


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # pass, fail, fixed, skip
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def _check_outputs(app: App, checks: list[Check]) -> bool:
    try:
        outputs = app.outputs
    except ToolkitError as exc:  # the error's own hint is the fix when it has one (no Pulumi CLI, ...)
        fix = exc.hint or "run `pulumi up`, or pass --stack / --outputs"
        checks.append(Check("outputs", "fail", " ".join(str(exc).split()), fix))
        return False
    checks.append(
        Check("outputs", "pass", f"complete (schema v{outputs.outputs_schema_version}, {outputs.location})")
    )
    return True


def _check_model(info: Any, region: str, mode: Mode, today: Any) -> Check:
    name = f"model ({mode.value})"
    if mode in info.modes(region, today):
        return Check(name, "pass", f"{info.name} can be fine-tuned {mode.value} in {region}")
    if mode is Mode.MANAGED_COMPUTE:
        return Check(name, "fail", f"{info.name} has no managed-compute fine-tuning", "use --mode serverless")
    return Check(
        name, "fail", explain(info, region, today), "pick a model/mode listed by `foundry-ops models list`"
    )


def _check_credentials(app: App, checks: list[Check]) -> bool:
    try:
        app.credential.get_token(app.cloud.arm_scope)
    except ToolkitError as exc:
        checks.append(
            Check(
                "credentials",
                "fail",
                exc.one_line(),
                "az login, or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET",
            )
        )
        return False
    checks.append(Check("credentials", "pass", f"token for {app.cloud.arm_endpoint}"))
    return True


def _check_workspace(app: App, checks: list[Check]) -> None:
    name = app.outputs.project_name
    try:
        workspace = app.workspaces.get(name)
    except NotFoundError as exc:
        checks.append(Check("workspace", "fail", exc.one_line(), "check the stack outputs and `pulumi up`"))
        return
    except ToolkitError as exc:
        checks.append(
            Check("workspace", "fail", exc.one_line(), "run preflight again; see --debug for the requests")
        )
        return
    kind = workspace.kind
    hub = workspace.hub_id
    if kind.lower() != "project" or not hub:
        checks.append(
            Check(
                "workspace",
                "fail",
                f"{name} is kind {kind or '?'}, not a hub-based project",
                "serverless fine-tuning of Phi needs a hub-based project; redeploy the stack",
            )
        )
        return
    checks.append(Check("workspace", "pass", f"{name}: hub-based project of {hub.rsplit('/', 1)[-1]}"))


def _check_providers(app: App, checks: list[Check], fix: bool, policy: PollPolicy) -> None:
    for namespace in PROVIDERS:
        name = f"provider {namespace}"
        try:
            state = app.providers.state(namespace)
        except ToolkitError as exc:
            checks.append(Check(name, "fail", exc.one_line()))
            continue
        if state.lower() == "registered":
            checks.append(Check(name, "pass", "Registered"))
            continue
        if not fix:
            checks.append(
                Check(
                    name,
                    "fail",
                    state,
                    f"foundry-ops preflight --fix (or: az provider register -n {namespace})",
                )
            )
            continue
        app.report.progress(f"registering {namespace} (takes a few minutes on Azure) ...")
        try:
            state = register(app, namespace, policy)
        except ToolkitError as exc:
            checks.append(
                Check(
                    name,
                    "fail",
                    exc.one_line(),
                    "an Owner or Contributor of the subscription must register it",
                )
            )
            continue
        checks.append(Check(name, "fixed", f"was not registered; now {state}"))


def _check_permissions(app: App, checks: list[Check]) -> None:
    try:
        permissions: Permissions = app.providers.permissions()
    except ToolkitError as exc:
        checks.append(
            Check("permissions", "fail", exc.one_line(), f"assign {AI_DEVELOPER} on the resource group")
        )
        return
    missing = [why for action, why in NEEDED_ACTIONS if not permissions.allows(action)]
    scope = app.outputs.resource_group_id
    if missing:
        checks.append(
            Check(
                "permissions",
                "fail",
                "you cannot " + ", ".join(missing),
                f'az role assignment create --role "Azure AI Developer" --assignee <you> --scope {scope}',
            )
        )
        return
    checks.append(
        Check(
            "permissions",
            "pass",
            f"can do everything the workflow needs on {app.outputs.resource_group_name}",
        )
    )


def _check_identity(app: App, checks: list[Check]) -> None:
    """The user-assigned identity fine-tuning runs as must read and write the workspace storage."""
    o = app.outputs
    name = "fine-tuning identity"
    storage = f"{o.resource_group_id}/providers/Microsoft.Storage/storageAccounts/{o.storage_account_name}"
    try:
        principal = app.providers.identity_principal_id(o.finetune_identity_id)
        roles = app.providers.role_definition_ids(storage, principal)
    except ToolkitError as exc:
        checks.append(Check(name, "fail", exc.one_line(), "run `pulumi up` so the stack's identity exists"))
        return
    identity = o.finetune_identity_id.rsplit("/", 1)[-1]
    if STORAGE_BLOB_DATA_CONTRIBUTOR not in roles:
        checks.append(
            Check(
                name,
                "fail",
                f"{identity} lacks Storage Blob Data Contributor on {o.storage_account_name}",
                "run `pulumi up` (the stack declares it), or: az role assignment create --role "
                f'"Storage Blob Data Contributor" --assignee-object-id {principal} '
                f"--assignee-principal-type ServicePrincipal --scope {storage}",
            )
        )
        return
    checks.append(
        Check(name, "pass", f"{identity} holds Storage Blob Data Contributor on {o.storage_account_name}")
    )


REGISTER_TIMEOUT = 600.0


def run_checks(
    app: App, info: ModelInfo, mode: str | None, *, fix: bool, policy: PollPolicy = DEFAULT_POLICY
) -> list[Check]:
    checks: list[Check] = []
    if not _check_outputs(app, checks):
        return checks
    region = app.outputs.location
    today = app.clock.today()
    chosen = (
        Mode(mode) if mode else (Mode.SERVERLESS if Mode.SERVERLESS in info.modes(region, today) else None)
    )
    chosen = chosen or (Mode.MANAGED_COMPUTE if info.managed_compute else Mode.SERVERLESS)
    checks.append(_check_model(info, region, chosen, today))
    if _check_credentials(app, checks):
        _check_workspace(app, checks)
        _check_providers(app, checks, fix, policy)
        _check_permissions(app, checks)
        _check_identity(app, checks)
    else:
        checks += [
            Check(n, "skip", "needs working credentials")
            for n in ("workspace", "providers", "permissions", "fine-tuning identity")
        ]
    if chosen is Mode.MANAGED_COMPUTE:
        compute = app.outputs.compute_name
        checks.append(
            Check("compute", "pass", f"cluster {compute}")
            if compute
            else Check(
                "compute",
                "fail",
                "the stack has no compute cluster (compute_name is empty)",
                "enable the GPU cluster in the stack config and run `pulumi up`",
            )
        )
    return checks


def register(app: App, namespace: str, policy: PollPolicy, timeout: float = REGISTER_TIMEOUT) -> str:
    """Register a provider and wait until Registered, polling on the shared policy (reads that fail
    transiently are survived, ops/flows/waiting.py)."""
    from core.errors import WaitTimeoutError
    from ops.flows.waiting import poll_until

    def timed_out(state: str | None, _elapsed: float) -> Exception:
        return WaitTimeoutError(
            f"{namespace} still {state or 'unreadable'} after {int(timeout)} s",
            hint="run preflight again later",
        )

    app.providers.register(namespace)
    return poll_until(
        lambda: app.providers.state(namespace),
        done=lambda state: state.lower() == "registered",
        status=lambda state: state,
        clock=app.clock,
        backoff=policy.backoff(),
        timeout=timeout,
        timed_out=timed_out,
        on_read_error=lambda exc: app.report.progress(
            f"still waiting: could not read {namespace} ({exc.one_line()}); trying again"
        ),
    ).value
