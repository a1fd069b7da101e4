"""Workspace datastores, data assets and models (containers and versions)."""

from __future__ import annotations

from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import (
    NAME,
    VERSION,
    WS,
    Context,
    arm_call,
    check_body,
    not_found,
    system_data,
    workspace,
)

DEFAULT_DATASTORE = "workspaceblobstore"


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def datastore_view(ws: dict[str, Any]) -> dict[str, Any]:
        sc = ctx.scenario
        return {
            "id": f"{ws['id']}/datastores/{DEFAULT_DATASTORE}",
            "name": DEFAULT_DATASTORE,
            "type": "Microsoft.MachineLearningServices/workspaces/datastores",
            "properties": {
                "datastoreType": "AzureBlob",
                "accountName": sc.storage_account,
                "containerName": container_name(ctx, ws["name"]),
                "endpoint": "core.windows.net",
                "protocol": "https",
                "credentials": {"credentialsType": "None"},
                "isDefault": True,
                "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
                "description": "default blob datastore (the emulator's Azurite container)",
                "tags": {},
                "properties": {},
            },
            "systemData": system_data(),
        }

    def list_datastores(request: Request) -> Response:
        arm_call(ctx, request)
        return Response(200, {"value": [datastore_view(workspace(ctx, request))]})

    def get_datastore(request: Request) -> Response:
        arm_call(ctx, request)
        ws = workspace(ctx, request)
        if request.params["name"].lower() != DEFAULT_DATASTORE:
            raise not_found("Datastore", request.params["name"])
        return Response(200, datastore_view(ws))

    def list_secrets(request: Request) -> Response:
        arm_call(ctx, request)
        raise ApiError(
            400, "UserError", "The datastore uses identity-based access; it has no secrets to list."
        )

    # --- data assets and models share one shape: containers holding numbered versions ---
    def asset_routes(
        kind: str, store: dict[tuple[str, str], dict[str, Any]], version_model: str, type_field: str | None
    ) -> None:
        def key(request: Request) -> tuple[str, str]:
            workspace(ctx, request)
            return (request.params["ws"].lower(), request.params["name"])

        def container_view(request: Request, container: dict[str, Any]) -> dict[str, Any]:
            ws = workspace(ctx, request)
            versions = container["versions"]
            latest = max(versions, key=_version_key) if versions else None
            props: dict[str, Any] = {
                "isArchived": False,
                "latestVersion": latest,
                "nextVersion": str(container["next"]),
                "description": None,
                "tags": {},
                "properties": {},
                "provisioningState": "Succeeded",
            }
            if type_field:
                props[type_field] = container.get("type")
            return {
                "id": f"{ws['id']}/{kind}/{container['name']}",
                "name": container["name"],
                "type": f"Microsoft.MachineLearningServices/workspaces/{kind}",
                "properties": props,
                "systemData": container["systemData"],
            }

        def get_container(request: Request) -> Response:
            arm_call(ctx, request)
            container = store.get(key(request))
            if container is None:
                raise not_found(kind, request.params["name"])
            return Response(200, container_view(request, container))

        def list_containers(request: Request) -> Response:
            arm_call(ctx, request)
            ws_name = request.params["ws"].lower()
            workspace(ctx, request)
            return Response(
                200, {"value": [container_view(request, c) for (w, _), c in store.items() if w == ws_name]}
            )

        def delete_container(request: Request) -> Response:
            arm_call(ctx, request)
            with world.lock:
                container = store.get(key(request))
                if container is None:
                    return Response(204)
                for version in list(container["versions"]):
                    _guard_delete(ctx, kind, container["name"], version)
                del store[key(request)]
            return Response(200)

        def list_versions(request: Request) -> Response:
            arm_call(ctx, request)
            container = store.get(key(request))
            versions = [] if container is None else list(container["versions"].values())
            versions.sort(key=lambda v: _version_key(v["name"]), reverse=True)
            top = request.query.get("$top")
            if top:
                versions = versions[: int(top)]
            return Response(200, {"value": versions})

        def get_version(request: Request) -> Response:
            arm_call(ctx, request)
            container = store.get(key(request))
            found = None if container is None else container["versions"].get(request.params["version"])
            if found is None:
                raise not_found(kind, f"{request.params['name']}:{request.params['version']}")
            return Response(200, found)

        def put_version(request: Request) -> Response:
            arm_call(ctx, request)
            body = request.json()
            check_body(body, version_model)
            with world.lock:
                ws = workspace(ctx, request)
                k = key(request)
                container = store.setdefault(k, _new_container(request.params["name"], body, type_field))
                version = request.params["version"]
                existing = container["versions"].get(version)
                if existing is not None and _comparable(existing["properties"]) != _comparable(
                    body["properties"]
                ):
                    raise ApiError(
                        409,
                        "UserError",
                        f"{kind} {k[1]}:{version} already exists with different content; "
                        "versions are immutable.",
                    )
                view = version_view(ctx, ws, kind, k[1], version, body["properties"])
                container["versions"][version] = view
                if version.isdigit():
                    container["next"] = max(container["next"], int(version) + 1)
                if existing is None:
                    world.created[f"{kind.rstrip('s')}_versions"] = (
                        world.created.get(f"{kind.rstrip('s')}_versions", 0) + 1
                    )
            return Response(200 if existing else 201, view)

        def delete_version(request: Request) -> Response:
            arm_call(ctx, request)
            with world.lock:
                container = store.get(key(request))
                version = request.params["version"]
                if container is None or version not in container["versions"]:
                    return Response(204)
                _guard_delete(ctx, kind, container["name"], version)
                del container["versions"][version]
            return Response(200)

        base = WS + f"/{kind}"
        router.add("GET", base, list_containers)
        router.add("GET", f"{base}/{NAME}", get_container)
        router.add("DELETE", f"{base}/{NAME}", delete_container)
        router.add("GET", f"{base}/{NAME}/versions", list_versions)
        router.add("GET", f"{base}/{NAME}/versions/{VERSION}", get_version)
        router.add("PUT", f"{base}/{NAME}/versions/{VERSION}", put_version)
        router.add("DELETE", f"{base}/{NAME}/versions/{VERSION}", delete_version)

    router.add("GET", WS + "/datastores", list_datastores)
    router.add("GET", WS + f"/datastores/{NAME}", get_datastore)
    router.add("POST", WS + f"/datastores/{NAME}/listSecrets", list_secrets)
    asset_routes("data", world.data, "DataVersionBase", "dataType")
    asset_routes("models", world.models, "ModelVersion", None)


def container_name(ctx: Context, workspace_name: str) -> str:
    return f"azureml-blobstore-{ctx.scenario.workspace_guid(workspace_name)}"


def version_view(
    ctx: Context, ws: dict[str, Any], kind: str, name: str, version: str, properties: dict[str, Any]
) -> dict[str, Any]:
    props = {
        **properties,
        "provisioningState": "Succeeded",
        "isArchived": properties.get("isArchived", False),
    }
    return {
        "id": f"{ws['id']}/{kind}/{name}/versions/{version}",
        "name": version,
        "type": f"Microsoft.MachineLearningServices/workspaces/{kind}/versions",
        "properties": props,
        "systemData": system_data(),
    }


def add_model_version(ctx: Context, ws_name: str, name: str, properties: dict[str, Any]) -> str:
    """Register a model version the way a completed job does; returns the new version."""
    world = ctx.world
    with world.lock:
        ws = world.workspaces[ws_name.lower()]
        container = world.models.setdefault((ws_name.lower(), name), _new_container(name, {}, None))
        version = str(container["next"])
        container["next"] += 1
        container["versions"][version] = version_view(ctx, ws, "models", name, version, properties)
        world.created["model_versions"] = world.created.get("model_versions", 0) + 1
    return version


def _new_container(name: str, body: dict[str, Any], type_field: str | None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "versions": {}, "next": 1, "systemData": system_data()}
    if type_field:
        container["type"] = body.get("properties", {}).get(type_field)
    return container


def _guard_delete(ctx: Context, kind: str, name: str, version: str) -> None:
    """The service refuses to delete a model version that a serverless endpoint deploys."""
    if kind != "models":
        return
    suffix = f"/models/{name}/versions/{version}".lower()
    for (_ws, endpoint_name), endpoint in list(ctx.world.endpoints.items()):
        model_id = endpoint["properties"].get("modelSettings", {}).get("modelId", "")
        if model_id.lower().endswith(suffix):
            raise ApiError(
                409,
                "UserError",
                f"Model {name}:{version} is deployed by serverless endpoint {endpoint_name}; "
                "delete the endpoint first.",
            )


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    ignore = {"provisioningState", "isArchived", "properties", "tags", "description", "isAnonymous"}
    return {k: v for k, v in props.items() if k not in ignore}
