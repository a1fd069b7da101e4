"""`preflight`: is the stack ready to fine-tune and deploy this model? One row per check, with a fix.

Checks, in order (later ones are skipped when an earlier one makes them meaningless): stack outputs
complete; the model can be fine-tuned in the stack's region in the chosen mode (catalog); Azure
credentials work; the project workspace is a hub-based project; resource providers registered
(Microsoft.Network is a documented prerequisite; `--fix` registers it); the caller holds the
permissions of Azure AI Developer on the resource group; a compute cluster for managed compute.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import click

from catalog.models import DEFAULT_MODEL, Mode, UnknownModelError, explain, get_model
from ops.errors import EXIT_FAILURE, ToolkitError, UsageError
from ops.options import output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.arm import Permissions

AI_DEVELOPER = "Azure AI Developer (64702f94-c441-49e6-a78b-ef80e0188fee)"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
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


@dataclass
class Check:
    name: str
    status: str  # pass, fail, fixed, skip
    detail: str
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.status == "fail"


@click.command(short_help="Check that the stack is ready for fine-tuning, with how to fix each problem.")
@click.option("--model", "model_name", default=DEFAULT_MODEL, show_default=True, help="Model to fine-tune.")
@click.option(
    "--mode",
    type=click.Choice([m.value for m in Mode]),
    default=None,
    help="Fine-tuning mode (default: serverless where the model offers it, else managed-compute).",
)
@click.option("--fix", is_flag=True, help="Register missing resource providers (needs */register/action).")
@stack_options
@output_option
@pass_app
def preflight(app: App, model_name: str, mode: str | None, fix: bool) -> None:
    """Check outputs, model and region, credentials, workspace, providers and permissions.

    Exits 1 when any check fails; each failed row says how to fix it.

    \b
    Examples:
      foundry-ops preflight --outputs outputs.json
      foundry-ops preflight --stack dev --model Phi-4 --fix
      foundry-ops preflight --model Phi-3.5-mini-instruct --mode managed-compute -o json
    """
    try:
        info = get_model(model_name)
    except UnknownModelError as exc:
        raise UsageError(str(exc)) from None
    checks: list[Check] = []
    outputs_ok = _check_outputs(app, checks)
    if outputs_ok:
        region = app.outputs.location
        chosen = Mode(mode) if mode else (Mode.SERVERLESS if Mode.SERVERLESS in info.modes(region) else None)
        chosen = chosen or (Mode.MANAGED_COMPUTE if info.managed_compute else Mode.SERVERLESS)
        checks.append(_check_model(info, region, chosen))
        if _check_credentials(app, checks):
            _check_workspace(app, checks)
            _check_providers(app, checks, fix)
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
    ok = not any(c.failed for c in checks)
    data = {"ok": ok, "model": info.name, "checks": [asdict(c) for c in checks]}
    rows = [
        {"check": c.name, "status": c.status.upper(), "detail": c.detail, "fix": c.fix or "-"} for c in checks
    ]
    app.output.result(data, rows=rows, columns=["check", "status", "detail", "fix"])
    if not ok:
        click.get_current_context().exit(EXIT_FAILURE)


def _check_outputs(app: App, checks: list[Check]) -> bool:
    try:
        outputs = app.outputs
    except ToolkitError as exc:
        checks.append(
            Check("outputs", "fail", exc.one_line(), "run `pulumi up`, or pass --stack / --outputs")
        )
        return False
    checks.append(
        Check("outputs", "pass", f"complete (schema v{outputs.outputs_schema_version}, {outputs.location})")
    )
    return True


def _check_model(info: Any, region: str, mode: Mode) -> Check:
    name = f"model ({mode.value})"
    if mode in info.modes(region):
        return Check(name, "pass", f"{info.name} can be fine-tuned {mode.value} in {region}")
    if mode is Mode.MANAGED_COMPUTE:
        return Check(name, "fail", f"{info.name} has no managed-compute fine-tuning", "use --mode serverless")
    return Check(name, "fail", explain(info, region), "pick a model/mode listed by `foundry-ops models list`")


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
        workspace = app.arm.get_workspace(name)
    except ToolkitError as exc:
        checks.append(Check("workspace", "fail", exc.one_line(), "check the stack outputs and `pulumi up`"))
        return
    kind = str(workspace.get("kind") or "")
    hub = (workspace.get("properties") or {}).get("hubResourceId")
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


def _check_providers(app: App, checks: list[Check], fix: bool) -> None:
    for namespace in PROVIDERS:
        name = f"provider {namespace}"
        try:
            state = app.arm.provider_state(namespace)
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
        app.output.progress(f"registering {namespace} (takes a few minutes on Azure) ...")
        try:
            state = app.arm.register_provider(namespace, wait=True)
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
        permissions: Permissions = app.arm.permissions()
    except ToolkitError as exc:
        checks.append(
            Check("permissions", "fail", exc.one_line(), f"assign {AI_DEVELOPER} on the resource group")
        )
        return
    missing = [why for action, why in NEEDED_ACTIONS if not permissions.allows(action)]
    scope = f"/subscriptions/{app.outputs.subscription_id}/resourceGroups/{app.outputs.resource_group_name}"
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
    storage = (
        f"/subscriptions/{o.subscription_id}/resourceGroups/{o.resource_group_name}"
        f"/providers/Microsoft.Storage/storageAccounts/{o.storage_account_name}"
    )
    try:
        principal = app.arm.identity_principal_id(o.finetune_identity_id)
        roles = app.arm.role_definition_ids(storage, principal)
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
