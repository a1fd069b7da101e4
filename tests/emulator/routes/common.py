"""What every route family shares: the context, ARM path patterns, auth and api-version checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from tests.emulator.contract import MESSAGE as CONTRACT_MESSAGE
from tests.emulator.contract import problems
from tests.emulator.faults import Faults
from tests.emulator.http import ApiError, Request
from tests.emulator.state import World

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"
WS = RG + r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)"
NAME = r"(?P<name>[^/]+)"
VERSION = r"(?P<version>[^/]+)"

# api-versions the real SDKs send for Microsoft.MachineLearningServices (azure-ai-ml 1.35.2 pins these
# in azure/ai/ml/_ml_client.py), plus the GA versions that carry serverless `contentSafety`.
ML_API_VERSIONS = frozenset(
    {
        "2022-02-01-preview",
        "2022-05-01",
        "2022-10-01",
        "2022-10-01-preview",
        "2023-02-01-preview",
        "2023-04-01",
        "2023-04-01-preview",
        "2023-06-01-preview",
        "2023-08-01-preview",
        "2023-10-01",
        "2024-01-01-preview",
        "2024-04-01",
        "2024-04-01-preview",
        "2024-07-01-preview",
        "2024-10-01",
        "2024-10-01-preview",
        "2025-01-01-preview",
        "2025-04-01",
        "2025-06-01",
        "2025-12-01",
    }
)
# Microsoft.Resources / Microsoft.Authorization versions azure-mgmt-resource and callers use.
RESOURCES_API_VERSIONS = frozenset(
    {
        "2021-04-01",
        "2022-09-01",
        "2023-07-01",
        "2024-03-01",
        "2024-07-01",
        "2024-11-01",
        "2025-01-01",
        "2025-03-01",
        "2025-04-01",
    }
)
AUTHORIZATION_API_VERSIONS = frozenset({"2015-07-01", "2018-01-01-preview", "2022-04-01"})


@dataclass
class Context:
    world: World
    faults: Faults
    base_url: str = ""
    log: list[dict[str, Any]] = field(default_factory=list)

    @property
    def scenario(self) -> Any:
        return self.world.scenario


def require_api_version(request: Request, allowed: frozenset[str]) -> str:
    version = request.api_version
    if not version:
        raise ApiError(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    if version not in allowed:
        raise ApiError(
            400,
            "InvalidApiVersionParameter",
            f"The api-version '{version}' is invalid. The supported versions are "
            f"'{', '.join(sorted(allowed))}'.",
        )
    return version


def require_token(ctx: Context, request: Request) -> dict[str, Any]:
    """ARM rejects calls without a bearer token it issued (401 with WWW-Authenticate)."""
    auth = request.header("authorization") or ""
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    claims = ctx.world.tokens.get(token)
    challenge = {
        "WWW-Authenticate": f'Bearer authorization_uri="{ctx.base_url}/{ctx.scenario.tenant_id}", '
        'error="invalid_token", error_description="The access token is missing or invalid"'
    }
    if not token:
        raise ApiError(
            401,
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
            challenge,
        )
    if claims is None:
        raise ApiError(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge)
    import time

    if claims["exp"] < time.time():
        raise ApiError(
            401, "ExpiredAuthenticationToken", "The access token expiry UTC time is in the past.", challenge
        )
    return claims


def check_scope(ctx: Context, request: Request) -> None:
    """Subscription and resource group in the path must exist, as ARM answers otherwise."""
    sub = request.params.get("sub")
    if sub is not None and sub.lower() != ctx.scenario.subscription_id.lower():
        raise ApiError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")
    rg = request.params.get("rg")
    if rg is not None and rg.lower() != ctx.scenario.resource_group.lower():
        raise ApiError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def arm_call(ctx: Context, request: Request, versions: frozenset[str] = ML_API_VERSIONS) -> str:
    """Token, api-version, subscription and resource group: what ARM checks before any handler."""
    require_token(ctx, request)
    check_scope(ctx, request)
    return require_api_version(request, versions)


def workspace(ctx: Context, request: Request) -> dict[str, Any]:
    """The workspace in the path, or the ARM gateway's own 404 (recordings/workspace-get-404.json:
    no details, the aka.ms hint, `x-ms-failure-cause: gateway`)."""
    ws = ctx.world.workspaces.get(request.params["ws"].lower())
    if ws is None:
        raise ApiError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.MachineLearningServices/workspaces/{request.params['ws']}' "
            f"under resource group '{request.params.get('rg') or ctx.scenario.resource_group}' was not "
            f"found. For more details please go to {ARM_NOT_FOUND_HINT}",
            {"x-ms-failure-cause": "gateway"},
        )
    return ws


ARM_NOT_FOUND_HINT = "https://aka.ms/ARMResourceNotFoundFix"


def check_body(body: Any, class_name: str) -> None:
    """400 as the ML resource provider answers a body its deserializer refuses: one details[] item per
    problem (recordings/job-put-400-unknown-member.json)."""
    found = problems(body, class_name)
    if found:
        raise ApiError(
            400,
            "UserError",
            CONTRACT_MESSAGE,
            rp=True,
            details=[(p.code, p.message) for p in found],
            inner="RequestInvalid",
            message_format=CONTRACT_MESSAGE,
        )


def user_error(status: int, message: str, *, details: list[tuple[str, str]] | None = None) -> ApiError:
    """A UserError as the ML resource provider words it (details/additionalInfo, x-ms-response-type)."""
    return ApiError(status, "UserError", message, rp=True, details=details)


def not_found(kind: str, name: str) -> ApiError:
    return user_error(404, f"{kind} {name} not found in the workspace.")


def asset_not_found(kind: str, name: str, version: str | None = None) -> ApiError:
    """404 for a data/model container or version: "The specified resource was not found." with
    details[0].code `ModelNotFound` (recorded for models; `DataNotFound` by analogy)."""
    label = "Model" if kind == "models" else "Data"
    what = (
        f"{label} container with name: {name} not found."
        if version is None
        else f"{label} version with name: {name} and version: {version} not found."
    )
    return user_error(404, "The specified resource was not found.", details=[(f"{label}NotFound", what)])


def system_data(
    ctx: Context | None = None, *, modified: bool = True, by: bool = True, modified_by: bool = False
) -> dict[str, Any]:
    """systemData as the service writes it for something the caller created: createdByType "User",
    7-digit timestamps. Jobs carry only created* (`modified=False`), datastores no createdBy (`by=False`),
    model versions also lastModifiedBy* (`modified_by=True`)."""
    from tests.emulator.state import now_iso

    stamp = now_iso()
    user = ctx.scenario.user_name if ctx is not None else "dev@contoso.com"
    data: dict[str, Any] = {"createdAt": stamp}
    if by:
        data.update({"createdBy": user, "createdByType": "User"})
    if modified:
        data["lastModifiedAt"] = stamp
    if modified_by:
        data.update({"lastModifiedBy": user, "lastModifiedByType": "User"})
    return data


def page(ctx: Context, request: Request, items: list[Any]) -> dict[str, Any]:
    """A list answer: at most `settings.page_size` items from `$skipToken` on, and `nextLink` (absolute,
    with `$skipToken`) while more remain, as ARM lists page (rest-examples/*-list.json)."""
    token = request.query.get("$skipToken") or "0"
    try:
        start = max(0, int(token))
    except ValueError:
        raise user_error(400, f"The $skipToken '{token}' is not valid.") from None
    size = max(1, ctx.world.settings.page_size)
    body: dict[str, Any] = {"value": items[start : start + size]}
    if start + size < len(items):
        query = {k: v for k, v in request.query.items() if k != "$skipToken"}
        query["$skipToken"] = str(start + size)
        encoded = "&".join(f"{quote(k, safe='$')}={quote(v, safe='')}" for k, v in query.items())
        body["nextLink"] = f"{ctx.base_url}{request.path}?{encoded}"
    return body


def location_of(ctx: Context, request: Request) -> str:
    """The resource's own URL: the Location header the service puts on a 201 (recorded)."""
    return f"{ctx.base_url}{request.path}?api-version={request.api_version}"


def api_date(version: str) -> str:
    return version[:10]
