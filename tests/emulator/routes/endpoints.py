"""Serverless endpoints (in the project) as long-running ARM operations, keys, content safety,
and marketplace subscriptions (needed only for partner models, answered for completeness)."""

from __future__ import annotations

import copy
import secrets
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import (
    NAME,
    WS,
    Context,
    arm_call,
    check_body,
    not_found,
    system_data,
    workspace,
)
from tests.emulator.state import Operation, poll_headers

CONTENT_SAFETY_SINCE = "2024-04-01"  # contentSafety exists from this api-version on


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def key(request: Request) -> tuple[str, str]:
        workspace(ctx, request)
        return (request.params["ws"].lower(), request.params["name"])

    def view(endpoint: dict[str, Any], version: str) -> dict[str, Any]:
        shown = copy.deepcopy(endpoint)
        shown.pop("_keys", None)
        if version[:10] < CONTENT_SAFETY_SINCE:
            shown["properties"].pop("contentSafety", None)
        return shown

    def lro_headers(request: Request, op: Operation) -> dict[str, str]:
        sc = ctx.scenario
        base = (
            f"{ctx.base_url}/subscriptions/{sc.subscription_id}/providers/"
            f"Microsoft.MachineLearningServices/locations/{sc.location}"
        )
        query = f"?api-version={request.api_version}"
        return {
            "Azure-AsyncOperation": f"{base}/mfeOperationsStatus/{op.id}{query}",
            "Location": f"{base}/mfeOperationResults/{op.id}{query}",
            **poll_headers(world.settings),
        }

    def put_endpoint(request: Request) -> Response:
        version = arm_call(ctx, request)
        body = request.json()
        check_body(body, "ServerlessEndpoint")
        sku = (body.get("sku") or {}).get("name")
        if sku is not None and sku != "Consumption":
            raise ApiError(
                400, "UserError", f"sku.name {sku!r} is not supported; serverless endpoints use Consumption."
            )
        props = body["properties"]
        if str(props.get("authMode", "Key")).lower() not in ("key", "aad"):
            raise ApiError(400, "UserError", f"authMode {props.get('authMode')!r} is not one of Key, AAD.")
        model_id = (props.get("modelSettings") or {}).get("modelId")
        fail = ctx.faults.take(request.method, request.path, ("lro_fail",))
        with world.lock:
            ws = workspace(ctx, request)
            k = key(request)
            existing = world.endpoints.get(k)
            if existing is None:
                if k[1].lower() in {n.lower() for n in world.settings.unavailable_endpoint_names}:
                    raise ApiError(
                        400,
                        "UserError",
                        f"The serverless endpoint name {k[1]} is not available; "
                        "endpoint names must be unique in the region.",
                    )
                if not model_id:
                    raise ApiError(400, "UserError", "properties.modelSettings.modelId is required.")
                _check_model(ctx, k, model_id)
            elif model_id and model_id != existing["properties"]["modelSettings"]["modelId"]:
                raise ApiError(
                    400, "UserError", "The model of an existing serverless endpoint cannot be changed."
                )
            endpoint = existing or _new_endpoint(ctx, ws, k[1], body)
            safety = props.get("contentSafety")
            if version[:10] >= CONTENT_SAFETY_SINCE and safety:
                status = safety.get("contentSafetyStatus")
                if status not in ("Enabled", "Disabled"):
                    raise ApiError(
                        400, "UserError", f"contentSafetyStatus {status!r} is not one of Enabled, Disabled."
                    )
                endpoint["properties"]["contentSafety"] = {"contentSafetyStatus": status}
            endpoint["tags"] = body.get("tags") or endpoint.get("tags") or {}
            endpoint["properties"]["provisioningState"] = "Updating" if existing else "Creating"
            if existing is None:
                world.endpoints[k] = endpoint
                world.created["endpoints"] += 1

            def finish(ok: bool, endpoint: dict[str, Any] = endpoint) -> None:
                endpoint["properties"]["provisioningState"] = "Succeeded" if ok else "Failed"
                endpoint["properties"]["endpointState"] = "Online" if ok else "CreationFailed"

            op = world.new_operation("endpoint-put", fail.message if fail else None, finish)
            return Response(200 if existing else 201, view(endpoint, version), lro_headers(request, op))

    def get_endpoint(request: Request) -> Response:
        version = arm_call(ctx, request)
        endpoint = world.endpoints.get(key(request))
        if endpoint is None:
            raise not_found("ServerlessEndpoint", request.params["name"])
        return Response(200, view(endpoint, version))

    def list_endpoints(request: Request) -> Response:
        version = arm_call(ctx, request)
        workspace(ctx, request)
        ws_name = request.params["ws"].lower()
        return Response(
            200, {"value": [view(e, version) for (w, _), e in list(world.endpoints.items()) if w == ws_name]}
        )

    def delete_endpoint(request: Request) -> Response:
        arm_call(ctx, request)
        fail = ctx.faults.take(request.method, request.path, ("lro_fail",))
        with world.lock:
            k = key(request)
            endpoint = world.endpoints.get(k)
            if endpoint is None:
                return Response(204)
            endpoint["properties"]["provisioningState"] = "Deleting"

            def finish(ok: bool, k: tuple[str, str] = k, endpoint: dict[str, Any] = endpoint) -> None:
                if ok:
                    world.endpoints.pop(k, None)
                else:
                    endpoint["properties"]["provisioningState"] = "Failed"

            op = world.new_operation("endpoint-delete", fail.message if fail else None, finish)
            return Response(202, None, lro_headers(request, op))

    def list_keys(request: Request) -> Response:
        arm_call(ctx, request)
        endpoint = world.endpoints.get(key(request))
        if endpoint is None:
            raise not_found("ServerlessEndpoint", request.params["name"])
        return Response(200, dict(endpoint["_keys"]))

    def regenerate_keys(request: Request) -> Response:
        arm_call(ctx, request)
        body = request.json()
        which = body.get("keyType")
        if which not in ("Primary", "Secondary"):
            raise ApiError(400, "UserError", "keyType must be Primary or Secondary.")
        with world.lock:
            endpoint = world.endpoints.get(key(request))
            if endpoint is None:
                raise not_found("ServerlessEndpoint", request.params["name"])
            endpoint["_keys"][f"{which.lower()}Key"] = body.get("keyValue") or secrets.token_hex(16)
            return Response(200, dict(endpoint["_keys"]))

    def get_subscription(request: Request) -> Response:
        arm_call(ctx, request)
        found = world.marketplace.get(key(request))
        if found is None:
            raise not_found("MarketplaceSubscription", request.params["name"])
        return Response(200, found)

    def put_subscription(request: Request) -> Response:
        arm_call(ctx, request)
        body = request.json()
        check_body(body, "MarketplaceSubscription")
        with world.lock:
            ws = workspace(ctx, request)
            k = key(request)
            model_id = body["properties"]["modelId"]
            found = {
                "id": f"{ws['id']}/marketplaceSubscriptions/{k[1]}",
                "name": k[1],
                "type": "Microsoft.MachineLearningServices/workspaces/marketplaceSubscriptions",
                "properties": {
                    "modelId": model_id,
                    "provisioningState": "Succeeded",
                    "marketplaceSubscriptionStatus": "Subscribed",
                    "marketplacePlan": {"publisherId": "azureml", "offerId": k[1], "planId": "standard"},
                },
                "systemData": system_data(),
            }
            world.marketplace[k] = found
            op = world.new_operation("subscription-put", None, None)
            return Response(201, found, lro_headers(request, op))

    base = WS + "/serverlessEndpoints"
    router.add("GET", base, list_endpoints)
    router.add("PUT", f"{base}/{NAME}", put_endpoint)
    router.add("GET", f"{base}/{NAME}", get_endpoint)
    router.add("DELETE", f"{base}/{NAME}", delete_endpoint)
    router.add("POST", f"{base}/{NAME}/listKeys", list_keys)
    router.add("POST", f"{base}/{NAME}/regenerateKeys", regenerate_keys)
    router.add("GET", f"{WS}/marketplaceSubscriptions/{NAME}", get_subscription)
    router.add("PUT", f"{WS}/marketplaceSubscriptions/{NAME}", put_subscription)


def _new_endpoint(ctx: Context, ws: dict[str, Any], name: str, body: dict[str, Any]) -> dict[str, Any]:
    props = body["properties"]
    return {
        "id": f"{ws['id']}/serverlessEndpoints/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
        "location": body.get("location") or ctx.scenario.location,
        "sku": {"name": "Consumption"},
        "kind": body.get("kind"),
        "tags": body.get("tags") or {},
        "properties": {
            "authMode": props.get("authMode", "Key"),
            "modelSettings": {"modelId": props["modelSettings"]["modelId"]},
            "contentSafety": {"contentSafetyStatus": "Enabled"},
            "inferenceEndpoint": {"uri": f"{ctx.base_url}/inference/{name}", "headers": {}},
            "endpointState": "Creating",
            "provisioningState": "Creating",
        },
        "systemData": system_data(),
        "_keys": {"primaryKey": secrets.token_hex(16), "secondaryKey": secrets.token_hex(16)},
    }


def _check_model(ctx: Context, k: tuple[str, str], model_id: str) -> None:
    """A workspace model must exist and may back one endpoint only; registry models are catalog models."""
    lowered = model_id.lower()
    if lowered.startswith("azureml://registries/"):
        return
    parts = model_id.split("/")
    if not lowered.startswith("azureml://locations/") or "models" not in parts or "versions" not in parts:
        raise ApiError(
            400,
            "UserError",
            f"modelId {model_id!r} is not a model asset id "
            "(azureml://locations/<loc>/workspaces/<guid>/models/<name>/versions/<n>).",
        )
    name = parts[parts.index("models") + 1]
    version = parts[parts.index("versions") + 1]
    container = ctx.world.models.get((k[0], name))
    if container is None or version not in container["versions"]:
        raise ApiError(400, "UserError", f"Model {name}:{version} was not found in the workspace.")
    for other_key, other in list(ctx.world.endpoints.items()):
        if other["properties"]["modelSettings"]["modelId"].lower() == lowered and other_key != k:
            raise ApiError(
                409,
                "UserError",
                f"Model {name}:{version} is already deployed by serverless endpoint "
                f"{other_key[1]}; a custom model can have one deployment.",
            )
