"""Workspace datastores, data assets and models (containers and versions).

Bodies follow the recorded ones (tests/contract/fixtures/recordings/data-*.json, model-*.json,
datastore-*.json): a data version answers `dataUri` in the long form with a lower-case `resourcegroups`
and has no provisioningState; a model version has stage "Development", flavors {}, jobName null and
`modelUri` with `resourceGroups`; a 201 carries `Location`; listing versions of a model that does not
exist is a 404 (`ModelNotFound`); `$orderBy=createdtime desc` lists the newest CREATED first.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes.common import (
    NAME,
    VERSION,
    WS,
    Context,
    arm_call,
    asset_not_found,
    check_body,
    location_of,
    page,
    system_data,
    user_error,
    workspace,
)

DEFAULT_DATASTORE = "workspaceblobstore"
# What a workspace holds besides its default store (listed first: a client that takes the first
# datastore of an unfiltered list instead of asking for `isDefault=true` gets the wrong one).
OTHER_DATASTORES = ("workspaceartifactstore", "workspaceworkingdirectory")
_SHORT_URI = re.compile(r"^azureml://datastores/(?P<ds>[^/]+)/paths/(?P<path>.+)$", re.IGNORECASE)
_RESOURCEGROUPS = re.compile(r"^(azureml://subscriptions/[^/]+/)resourcegroups/", re.IGNORECASE)


def register(router: Router, ctx: Context) -> None:
    world = ctx.world

    def datastore_view(ws: dict[str, Any], name: str) -> dict[str, Any]:
        sc = ctx.scenario
        kind = world.settings.datastore_credentials
        props: dict[str, Any] = {
            "description": None,
            "tags": None,
            "properties": None,
            "isDefault": name == DEFAULT_DATASTORE,
            "credentials": {"credentialsType": kind},
            "subscriptionId": sc.subscription_id,
            "resourceGroup": sc.resource_group,
        }
        if name == "workspaceworkingdirectory":
            props.update(
                {
                    "datastoreType": "AzureFile",
                    "accountName": sc.storage_account,
                    "fileShareName": f"code-{sc.workspace_guid(ws['name'])}",
                    "endpoint": "core.windows.net",
                    "protocol": "https",
                    "serviceDataAccessAuthIdentity": "None",
                }
            )
        else:
            props.update(
                {
                    "datastoreType": "AzureBlob",
                    "accountName": sc.storage_account,
                    "containerName": container_name(ctx, ws["name"])
                    if name == DEFAULT_DATASTORE
                    else "azureml",
                    "endpoint": "core.windows.net",
                    "protocol": "https",
                    "serviceDataAccessAuthIdentity": "WorkspaceSystemAssignedIdentity",
                }
            )
        created = ws["systemData"]["createdAt"]
        return {
            "id": f"{ws['id']}/datastores/{name}",
            "name": name,
            "type": "Microsoft.MachineLearningServices/workspaces/datastores",
            "properties": props,
            "systemData": {
                "createdAt": created,
                "lastModifiedAt": created,
                "lastModifiedBy": "Sanitized",
                "lastModifiedByType": "Application",
            },
        }

    def find_datastore(request: Request) -> tuple[dict[str, Any], str]:
        ws = workspace(ctx, request)
        name = request.params["name"].lower()
        if name not in (DEFAULT_DATASTORE, *OTHER_DATASTORES):
            raise user_error(404, f"Datastore {request.params['name']} not found in the workspace.")
        return ws, name

    def list_datastores(request: Request) -> Response:
        arm_call(ctx, request)
        ws = workspace(ctx, request)
        stores = [datastore_view(ws, n) for n in (*OTHER_DATASTORES, DEFAULT_DATASTORE)]
        wanted = request.query.get("isDefault")
        if wanted is not None:
            stores = [s for s in stores if str(s["properties"]["isDefault"]).lower() == wanted.lower()]
        return Response(200, page(ctx, request, stores))

    def get_datastore(request: Request) -> Response:
        arm_call(ctx, request)
        ws, name = find_datastore(request)
        return Response(200, datastore_view(ws, name))

    def list_secrets(request: Request) -> Response:
        """AccountKey stores answer a SAS when asked for an expirable secret (recorded:
        {"expirableSecret": true, "expireAfterHours": 1} -> {"secretsType": "Sas", "sasToken": "?sv=..."}),
        otherwise the account key. Identity-based stores have no secrets (400; unverified)."""
        arm_call(ctx, request)
        find_datastore(request)
        body = request.json() if request.body else {}
        if body:
            check_body(body, "SecretExpiry")
        if world.settings.datastore_credentials != "AccountKey":
            raise user_error(400, "The datastore uses identity-based access; it has no secrets to list.")
        from tests.emulator.azurite import ACCOUNT, AZURITE_KEY

        if str(body.get("expirableSecret", False)).lower() == "true":
            hours = int(body.get("expireAfterHours") or 1)
            return Response(
                200, {"secretsType": "Sas", "sasToken": "?" + account_sas(ACCOUNT, AZURITE_KEY, hours)}
            )
        return Response(200, {"secretsType": "AccountKey", "key": AZURITE_KEY})

    # --- data assets and models share one shape: containers holding versions ---
    def asset_routes(
        kind: str, store: dict[tuple[str, str], dict[str, Any]], version_model: str, type_field: str | None
    ) -> None:
        def key(request: Request) -> tuple[str, str]:
            workspace(ctx, request)
            return (request.params["ws"].lower(), request.params["name"])

        def container_view(request: Request, container: dict[str, Any]) -> dict[str, Any]:
            ws = workspace(ctx, request)
            props: dict[str, Any] = {
                "description": None,
                "tags": None,
                "properties": None,
                "isArchived": False,
                "latestVersion": latest_version(container),
                "nextVersion": str(container["next"]),
            }
            if type_field:
                props[type_field] = container.get("type")
            else:
                props["provisioningState"] = "Succeeded"  # model containers: unverified
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
                raise asset_not_found(kind, request.params["name"])
            return Response(200, container_view(request, container))

        def list_containers(request: Request) -> Response:
            arm_call(ctx, request)
            ws_name = request.params["ws"].lower()
            workspace(ctx, request)
            found = [container_view(request, c) for (w, _), c in list(store.items()) if w == ws_name]
            return Response(200, page(ctx, request, found))

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
            if container is None and kind == "models":
                raise asset_not_found(kind, request.params["name"])
            versions = [] if container is None else _ordered(container, request.query.get("$orderBy"))
            view_type = (request.query.get("listViewType") or "ActiveOnly").lower()
            if view_type == "activeonly":
                versions = [v for v in versions if not v["properties"].get("isArchived")]
            elif view_type == "archivedonly":
                versions = [v for v in versions if v["properties"].get("isArchived")]
            top = request.query.get("$top")
            if top:
                versions = versions[: int(top)]
            return Response(200, page(ctx, request, versions))

        def get_version(request: Request) -> Response:
            arm_call(ctx, request)
            container = store.get(key(request))
            found = None if container is None else container["versions"].get(request.params["version"])
            if found is None:
                raise asset_not_found(kind, request.params["name"], request.params["version"])
            return Response(200, found)

        def put_version(request: Request) -> Response:
            arm_call(ctx, request)
            body = request.json()
            check_body(body, version_model)
            with world.lock:
                ws = workspace(ctx, request)
                k = key(request)
                container = store.setdefault(k, _new_container(ctx, request.params["name"], body, type_field))
                version = request.params["version"]
                existing = container["versions"].get(version)
                if existing is not None and _comparable(container["submitted"][version]) != _comparable(
                    body["properties"]
                ):
                    raise user_error(
                        409,
                        f"{kind} {k[1]}:{version} already exists with different content; "
                        "versions are immutable.",
                    )
                if existing is not None:
                    # Only description and tags of a version may change (`az ml model update`; the
                    # model-version update request of the REST API: "Only description and tags can be
                    # modified"); a PUT of the same version with new ones updates them.
                    for field in ("tags", "description"):
                        if field in body["properties"]:
                            existing["properties"][field] = body["properties"][field]
                            container["submitted"][version][field] = body["properties"][field]
                    return Response(200, existing)
                view = version_view(ctx, ws, kind, k[1], version, body["properties"])
                _store_version(world, container, version, view, body["properties"])
                counter = f"{kind.rstrip('s')}_versions"
                world.created[counter] = world.created.get(counter, 0) + 1
            return Response(201, view, {"Location": location_of(ctx, request)})

        def delete_version(request: Request) -> Response:
            arm_call(ctx, request)
            with world.lock:
                container = store.get(key(request))
                version = request.params["version"]
                if container is None or version not in container["versions"]:
                    return Response(204)
                _guard_delete(ctx, kind, container["name"], version)
                del container["versions"][version]
                container["created"].pop(version, None)
                container["submitted"].pop(version, None)
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


def account_sas(account: str, key: str, hours: int) -> str:
    """An account SAS (blob, container + object, read/write/list/...) like the recorded one."""
    from azure.storage.blob import AccountSasPermissions, ResourceTypes, generate_account_sas

    return generate_account_sas(
        account,
        key,
        ResourceTypes(container=True, object=True),
        AccountSasPermissions(
            read=True, write=True, delete=True, list=True, add=True, create=True, update=True
        ),
        expiry=dt.datetime.now(dt.UTC) + dt.timedelta(hours=max(1, hours)),
    )


def long_data_uri(ctx: Context, ws: dict[str, Any], uri: str) -> str:
    """`azureml://datastores/<ds>/paths/<p>` as the service stores it: the long form with a lower-case
    `resourcegroups` (recordings/data-version-put-uri-file.json); other forms are kept."""
    match = _SHORT_URI.match(uri)
    if match is None:
        return uri
    sc = ctx.scenario
    return (
        f"azureml://subscriptions/{sc.subscription_id}/resourcegroups/{sc.resource_group}"
        f"/workspaces/{ws['name']}/datastores/{match['ds']}/paths/{match['path']}"
    )


def version_view(
    ctx: Context, ws: dict[str, Any], kind: str, name: str, version: str, properties: dict[str, Any]
) -> dict[str, Any]:
    if kind == "data":
        props: dict[str, Any] = {
            "description": properties.get("description"),
            "tags": properties.get("tags") or {},
            "properties": properties.get("properties") or {},
            "isArchived": bool(properties.get("isArchived", False)),
            "isAnonymous": bool(properties.get("isAnonymous", False)),
            "autoDeleteSetting": None,
            "dataUri": long_data_uri(ctx, ws, str(properties.get("dataUri", ""))),
            "stage": None,
            "intellectualProperty": None,
            "dataType": properties.get("dataType"),
        }
        system = system_data(ctx)
    else:
        model_uri = properties.get("modelUri")
        props = {
            "description": properties.get("description"),
            "tags": properties.get("tags") or {},
            "properties": properties.get("properties") or {},
            "isArchived": bool(properties.get("isArchived", False)),
            "isAnonymous": bool(properties.get("isAnonymous", False)),
            "autoDeleteSetting": None,
            "flavors": properties.get("flavors") or {},
            "modelType": properties.get("modelType"),
            # the service answers `resourceGroups` whatever the casing sent (recordings/model-version-put.json)
            "modelUri": _RESOURCEGROUPS.sub(r"\1resourceGroups/", model_uri) if model_uri else model_uri,
            "jobName": properties.get("jobName"),
            "provisioningState": "Succeeded",
            "stage": properties.get("stage") or "Development",
            "intellectualProperty": None,
        }
        system = system_data(ctx, modified_by=True)
    for extra, value in properties.items():  # members of other data/model types (e.g. mltable's)
        props.setdefault(extra, copy.deepcopy(value))
    return {
        "id": f"{ws['id']}/{kind}/{name}/versions/{version}",
        "name": version,
        "type": f"Microsoft.MachineLearningServices/workspaces/{kind}/versions",
        "properties": props,
        "systemData": system,
    }


def add_model_version(ctx: Context, ws_name: str, name: str, properties: dict[str, Any]) -> str:
    """Register a model version the way a completed job does; returns the new version."""
    world = ctx.world
    with world.lock:
        ws = world.workspaces[ws_name.lower()]
        container = world.models.setdefault((ws_name.lower(), name), _new_container(ctx, name, {}, None))
        version = str(container["next"])
        view = version_view(ctx, ws, "models", name, version, properties)
        _store_version(world, container, version, view, properties)
        world.created["model_versions"] = world.created.get("model_versions", 0) + 1
    return version


def latest_version(container: dict[str, Any]) -> str | None:
    """The most recently created version (the recorded container says "foo" while nextVersion is "1")."""
    created: dict[str, int] = container["created"]
    return max(created, key=lambda v: created[v]) if created else None


def _store_version(
    world: Any, container: dict[str, Any], version: str, view: dict[str, Any], submitted: dict[str, Any]
) -> None:
    container["versions"][version] = view
    container["submitted"][version] = copy.deepcopy(submitted)
    container["created"][version] = world.next_sequence()
    if version.isdigit():  # non-numeric versions do not advance nextVersion (recorded)
        container["next"] = max(container["next"], int(version) + 1)


def _ordered(container: dict[str, Any], order_by: str | None) -> list[dict[str, Any]]:
    """`createdtime desc|asc` by creation order; otherwise highest version first (default: unverified)."""
    names = list(container["versions"])
    spec = (order_by or "").strip().lower().split()
    if spec and spec[0] == "createdtime":
        names.sort(key=lambda v: container["created"].get(v, 0), reverse=spec[-1] != "asc")
    else:
        names.sort(key=_version_key, reverse=True)
    return [container["versions"][n] for n in names]


def _new_container(ctx: Context, name: str, body: dict[str, Any], type_field: str | None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": name,
        "versions": {},
        "created": {},
        "submitted": {},
        "next": 1,
        "systemData": system_data(ctx),
    }
    if type_field:
        container["type"] = body.get("properties", {}).get(type_field)
    return container


def _guard_delete(ctx: Context, kind: str, name: str, version: str) -> None:
    """The service refuses to delete a model version that a serverless endpoint deploys (unverified)."""
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
                rp=True,
            )


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (-1, version)


def _comparable(props: dict[str, Any]) -> dict[str, Any]:
    """What makes a version what it is: its type and where its bytes are (a URI compared without case:
    the service itself recases `resourcegroups` in what it answers). Description and tags may change."""
    identity = ("dataType", "dataUri", "modelType", "modelUri")
    return {k: str(props[k]).lower() for k in identity if props.get(k) is not None}
