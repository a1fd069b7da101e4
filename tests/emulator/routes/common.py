"""What every route family shares: the context, ARM path patterns, auth and api-version checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.emulator.contract import ContractError, validate
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
    ws = ctx.world.workspaces.get(request.params["ws"].lower())
    if ws is None:
        raise ApiError(
            404,
            "ResourceNotFound",
            f"The Resource 'Microsoft.MachineLearningServices/workspaces/{request.params['ws']}' "
            f"under resource group '{ctx.scenario.resource_group}' was not found.",
        )
    return ws


def check_body(body: Any, class_name: str) -> None:
    try:
        validate(body, class_name)
    except ContractError as exc:
        raise ApiError(400, "UserError", f"Invalid request body: {exc}") from None


def not_found(kind: str, name: str) -> ApiError:
    return ApiError(404, "UserError", f"{kind} {name} not found in the workspace.")


def system_data() -> dict[str, Any]:
    from tests.emulator.state import now_iso

    stamp = now_iso()
    return {
        "createdAt": stamp,
        "createdBy": "emulator",
        "createdByType": "Application",
        "lastModifiedAt": stamp,
    }


def api_date(version: str) -> str:
    return version[:10]
