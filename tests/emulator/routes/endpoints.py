"""Serverless endpoints (in the project) as long-running ARM operations, keys, content safety,
and marketplace subscriptions (needed only for partner models, answered for completeness)."""

from __future__ import annotations

import copy
import secrets
import uuid
from typing import Any

from tests.emulator.http import Request, Response, Router
from tests.emulator.routes.common import (
    NAME,
    WS,
    Context,
    arm_call,
    check_body,
    not_found,
    page,
    system_data,
    user_error,
    workspace,
)
from tests.emulator.state import Operation, now_iso, poll_headers

CONTENT_SAFETY_SINCE = "2024-04-01"  # contentSafety exists from this api-version on


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def key(request: Request) -> tuple[str, str]:
        workspace(ctx, request)
        return (request.params["ws"].lower(), request.params["name"])

    def view(endpoint: dict[str, Any], version: str) -> dict[str, Any]:
        shown = copy.deepcopy(endpoint)
        shown.pop("_keys", None)
        shown.pop("_operation", None)
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
        if sku is not None and sku != "Consumption":  # unverified: the spec examples use a placeholder
            raise user_error(400, f"sku.name {sku!r} is not supported; serverless endpoints use Consumption.")
        props = body["properties"]
        model_id = (props.get("modelSettings") or {}).get("modelId")
        fail = ctx.faults.take(request.method, request.path, ("lro_fail",))
        with world.lock:
            ws = workspace(ctx, request)
            k = key(request)
            existing = world.endpoints.get(k)
            if existing is None:
                if k[1].lower() in {n.lower() for n in world.settings.unavailable_endpoint_names}:
                    raise user_error(
                        400,
                        f"The serverless endpoint name {k[1]} is not available; "
                        "endpoint names must be unique in the region.",
                    )
                if not model_id:
                    raise user_error(400, "properties.modelSettings.modelId is required.")
                _check_model(ctx, k, model_id)
            elif model_id and model_id != existing["properties"]["modelSettings"]["modelId"]:
                raise user_error(400, "The model of an existing serverless endpoint cannot be changed.")
            endpoint = existing or _new_endpoint(ctx, ws, k[1], body)
            safety = props.get("contentSafety")
            if version[:10] >= CONTENT_SAFETY_SINCE and safety:
                status = _enum_value(safety.get("contentSafetyStatus"), ("Enabled", "Disabled"))
                endpoint["properties"]["contentSafety"] = {"contentSafetyStatus": status}
            endpoint["tags"] = body.get("tags") or endpoint.get("tags") or {}
            if body.get("identity"):
                endpoint["identity"] = _identity(body["identity"])
            endpoint["systemData"]["lastModifiedAt"] = now_iso()
            endpoint["properties"]["provisioningState"] = "Updating" if existing else "Creating"
            if existing is None:
                world.endpoints[k] = endpoint
                world.created["endpoints"] += 1

            def finish(ok: bool, endpoint: dict[str, Any] = endpoint) -> None:
                endpoint["properties"]["provisioningState"] = "Succeeded" if ok else "Failed"
                endpoint["properties"]["endpointState"] = "Online" if ok else "CreationFailed"

            op = world.new_operation("endpoint-put", fail.message if fail else None, finish)
            endpoint["_operation"] = op.id
            return Response(200 if existing else 201, view(endpoint, version), lro_headers(request, op))

    def settle(endpoint: dict[str, Any]) -> None:
        """An endpoint provisions whether or not anyone polls its operation, as the real service's do
        (a client interrupted mid-wait comes back to a finished endpoint). On a simulated clock,
        reading the endpoint shows where the timeline is; without one, progress is counted in
        requests, so a read of the endpoint moves its operation on as a poll of it does."""
        op = world.operations.get(endpoint.get("_operation") or "")
        if op is not None:
            world.advance_operation(op)

    def get_endpoint(request: Request) -> Response:
        version = arm_call(ctx, request)
        endpoint = world.endpoints.get(key(request))
        if endpoint is None:
            raise not_found("ServerlessEndpoint", request.params["name"])
        settle(endpoint)
        return Response(200, view(endpoint, version))

    def list_endpoints(request: Request) -> Response:
        version = arm_call(ctx, request)
        workspace(ctx, request)
        ws_name = request.params["ws"].lower()
        found = [view(e, version) for (w, _), e in list(world.endpoints.items()) if w == ws_name]
        return Response(200, page(ctx, request, found))

    def patch_endpoint(request: Request) -> Response:
        """ServerlessEndpoints_Update with {tags} (or sku/identity): 200 with the endpoint."""
        version = arm_call(ctx, request)
        body = request.json()
        check_body(body, "PartialMinimalTrackedResourceWithSkuAndIdentity")
        with world.lock:
            endpoint = world.endpoints.get(key(request))
            if endpoint is None:
                raise not_found("ServerlessEndpoint", request.params["name"])
            if "tags" in body:
                endpoint["tags"] = dict(body.get("tags") or {})
            if body.get("sku"):
                endpoint["sku"].update({k: v for k, v in body["sku"].items() if v is not None})
            if body.get("identity"):
                endpoint["identity"] = _identity(body["identity"])
            endpoint["systemData"]["lastModifiedAt"] = now_iso()
            return Response(200, view(endpoint, version))

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
        check_body(body, "RegenerateEndpointKeysRequest")
        which = _enum_value(body.get("keyType"), ("Primary", "Secondary"))
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
                "systemData": system_data(ctx, modified_by=True),
            }
            world.marketplace[k] = found
            op = world.new_operation("subscription-put", None, None)
            return Response(201, found, lro_headers(request, op))

    base = WS + "/serverlessEndpoints"
    router.add("GET", base, list_endpoints)
    router.add("PUT", f"{base}/{NAME}", put_endpoint)
    router.add("GET", f"{base}/{NAME}", get_endpoint)
    router.add("PATCH", f"{base}/{NAME}", patch_endpoint)
    router.add("DELETE", f"{base}/{NAME}", delete_endpoint)
    router.add("POST", f"{base}/{NAME}/listKeys", list_keys)
    router.add("POST", f"{base}/{NAME}/regenerateKeys", regenerate_keys)
    router.add("GET", f"{WS}/marketplaceSubscriptions/{NAME}", get_subscription)
    router.add("PUT", f"{WS}/marketplaceSubscriptions/{NAME}", put_subscription)


def _new_endpoint(ctx: Context, ws: dict[str, Any], name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Shaped after the spec's ServerlessEndpoint (rest-examples/serverless-endpoint-*.json): every
    tracked-resource member present (kind, identity, the five sku fields), marketplaceSubscriptionId
    null for a first-party model (unverified: no recording of a serverless endpoint exists)."""
    props = body["properties"]
    sku = body.get("sku") or {}
    return {
        "id": f"{ws['id']}/serverlessEndpoints/{name}",
        "name": name,
        "type": "Microsoft.MachineLearningServices/workspaces/serverlessEndpoints",
        "properties": {
            "modelSettings": {"modelId": props["modelSettings"]["modelId"]},
            "authMode": _enum_value(props.get("authMode") or "Key", ("Key", "AAD", "KeyAndAAD")),
            "inferenceEndpoint": {"uri": f"{ctx.base_url}/inference/{name}", "headers": {}},
            "provisioningState": "Creating",
            "endpointState": "Creating",
            "marketplaceSubscriptionId": None,
            "contentSafety": {"contentSafetyStatus": "Enabled"},
        },
        "systemData": system_data(ctx, modified_by=True),
        "tags": body.get("tags") or {},
        "location": body.get("location") or ctx.scenario.location,
        "kind": body.get("kind"),
        "identity": _identity(body.get("identity") or {"type": "None"}),
        "sku": {
            "name": sku.get("name") or "Consumption",
            "tier": sku.get("tier"),
            "size": sku.get("size"),
            "family": sku.get("family"),
            "capacity": sku.get("capacity"),
        },
        "_keys": {"primaryKey": secrets.token_hex(16), "secondaryKey": secrets.token_hex(16)},
    }


def _identity(given: dict[str, Any]) -> dict[str, Any]:
    kind = str(given.get("type") or "None")
    shown: dict[str, Any] = {
        "type": kind,
        "principalId": None,
        "tenantId": None,
        "userAssignedIdentities": None,
    }
    if "systemassigned" in kind.lower():
        shown["principalId"] = str(uuid.uuid4())
    users = given.get("userAssignedIdentities")
    if users:
        shown["userAssignedIdentities"] = {
            uid: {"principalId": str(uuid.uuid4()), "clientId": str(uuid.uuid4())} for uid in users
        }
    return shown


def _enum_value(value: Any, allowed: tuple[str, ...]) -> str:
    """An enum value in its canonical casing (the service compares case-insensitively)."""
    return next((a for a in allowed if a.lower() == str(value).lower()), str(value))


def _check_model(ctx: Context, k: tuple[str, str], model_id: str) -> None:
    """A workspace model must exist and may back one endpoint only; registry models are catalog models."""
    lowered = model_id.lower()
    if lowered.startswith("azureml://registries/"):
        return
    parts = model_id.split("/")
    if not lowered.startswith("azureml://locations/") or "models" not in parts or "versions" not in parts:
        raise user_error(
            400,
            f"modelId {model_id!r} is not a model asset id "
            "(azureml://locations/<loc>/workspaces/<guid>/models/<name>/versions/<n>).",
        )
    name = parts[parts.index("models") + 1]
    version = parts[parts.index("versions") + 1]
    container = ctx.world.models.get((k[0], name))
    if container is None or version not in container["versions"]:
        raise user_error(400, f"Model {name}:{version} was not found in the workspace.")
    for other_key, other in list(ctx.world.endpoints.items()):
        if other["properties"]["modelSettings"]["modelId"].lower() == lowered and other_key != k:
            raise user_error(
                409,
                f"Model {name}:{version} is already deployed by serverless endpoint "
                f"{other_key[1]}; a custom model can have one deployment.",
            )
