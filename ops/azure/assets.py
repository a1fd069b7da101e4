"""Data and model assets of the project, and its datastores: read, register, delete for real.

Deleting is an ARM DELETE of the version (and of the container once it is empty): azure-ai-ml and
`az ml` only archive. A data version is registered with the datastore's short URI and read back in
whatever form the service answers (ops/azure/uris.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from core.errors import NotFoundError
from ops.azure.arm import ArmAdapter, json_of
from ops.azure.records import (
    TOOL_TAG,
    DataAssetInfo,
    DatastoreInfo,
    JobInfo,
    ModelVersionInfo,
    data_info,
    datastore_info,
    model_info,
    version_key,
)
from ops.azure.uris import same_blob

if TYPE_CHECKING:
    from ops.azure.transport import Transport
    from ops.outputs import StackOutputs

API_VERSION = "2024-10-01"
# What a model version PUT may carry (azure-ai-ml's ModelVersionProperties; the recorded request in
# tests/contract/fixtures/recordings/model-version-put.json): the answer holds more (provisioningState,
# autoDeleteSetting, intellectualProperty), which is never sent back.
MODEL_FIELDS = frozenset(
    {
        "description",
        "properties",
        "tags",
        "isAnonymous",
        "isArchived",
        "flavors",
        "modelType",
        "modelUri",
        "jobName",
        "stage",
    }
)


# A datastore secret is asked for with a one-hour expiry; it is reused for half of that.
SECRET_REUSE_SECONDS = 1800.0


class Assets(ArmAdapter):
    api_version = API_VERSION

    def __init__(self, transport: Transport, outputs: StackOutputs) -> None:
        super().__init__(transport, outputs)
        self._secrets: dict[str, tuple[str, float]] = {}  # datastore -> (secret, when it was read)
        self._secrets_lock = threading.Lock()

    # --- data -------------------------------------------------------------------------------------
    def _data(self, name: str = "", version: str = "") -> str:
        path = f"{self.workspace_path()}/data"
        if name:
            path += f"/{name}"
        if version:
            path += f"/versions/{version}"
        return path

    def find_data(self, name: str, version: str) -> DataAssetInfo | None:
        try:
            return data_info(self.get_json(self._data(name, version), f"reading data asset {name}:{version}"))
        except NotFoundError:
            return None

    def data_versions(self, name: str) -> list[DataAssetInfo]:
        try:
            found = [data_info(v) for v in self.list_json(self._data(name) + "/versions", f"listing {name}")]
        except NotFoundError:
            return []
        return sorted(found, key=lambda d: version_key(d.version))

    def tool_data(self) -> list[DataAssetInfo]:
        """Data versions this toolkit registered (tagged), oldest version first per name."""
        found: list[DataAssetInfo] = []
        for container in self.list_json(self._data(), "listing data assets"):
            name = str(container.get("name") or "")
            found += [d for d in self.data_versions(name) if d.tags.get(TOOL_TAG)]
        return found

    def register_data(
        self,
        name: str,
        version: str,
        uri: str,
        *,
        description: str,
        tags: dict[str, str],
        same: Callable[[DataAssetInfo], bool] | None = None,
    ) -> DataAssetInfo:
        """PUT a uri_file data version. If the service refuses the PUT while a version of that name is
        there and `same` accepts it (default: it points at the same blob, in whichever URI form the
        service wrote), that version is the answer (ArmAdapter.create)."""
        body = data_version_body(uri, description=description, tags={**tags, TOOL_TAG: "1"})
        return self.create(
            self._data(name, version), f"registering data asset {name}:{version}", body, data_info,
            find=lambda: self.find_data(name, version),
            same=same or (lambda found: same_blob(found.uri, uri)),
        )  # fmt: skip

    def delete_data(self, name: str, version: str) -> bool:
        """Delete a data version for real; False when it was already gone."""
        return self._delete(self._data(name, version), f"deleting data asset {name}:{version}")

    def delete_data_container(self, name: str) -> bool:
        return self._delete(self._data(name), f"deleting data asset {name}")

    # --- models -----------------------------------------------------------------------------------
    def _models(self, name: str, version: str = "") -> str:
        path = f"{self.workspace_path()}/models/{name}"
        return path + (f"/versions/{version}" if version else "")

    def model_versions(self, name: str) -> list[ModelVersionInfo]:
        try:
            found = [
                model_info(v) for v in self.list_json(self._models(name) + "/versions", f"listing {name}")
            ]
        except NotFoundError:
            return []
        return sorted(found, key=lambda m: version_key(m.version))

    def job_model(self, job: JobInfo) -> ModelVersionInfo | None:
        """The model version a completed job registered: its output's newest version made by this job
        (or by no job the service names), else the newest version."""
        if not job.output_model_name:
            return None
        versions = self.model_versions(job.output_model_name)
        mine = [v for v in versions if v.job_name in (None, job.name)] or versions
        return mine[-1] if mine else None

    def set_model_tags(self, name: str, version: str, tags: dict[str, str]) -> ModelVersionInfo:
        """Replace a model version's tags: GET it, PUT it back with new tags (only description and tags of
        a version may change; what `az ml model update --set tags...` does)."""
        what = f"tagging model {name}:{version}"
        current = self.get_json(self._models(name, version), what)
        props = {
            k: v for k, v in (current.get("properties") or {}).items() if k in MODEL_FIELDS and v is not None
        }
        props["tags"] = tags
        response = self.transport.send(
            self.client, "PUT", self.url(self._models(name, version)), what=what,
            json={"properties": props}, ok=(200, 201),
        )  # fmt: skip
        return model_info(json_of(response))

    def delete_model(self, name: str, version: str) -> bool:
        """Delete a model version for real (a deployed one is refused by the service: 409)."""
        return self._delete(self._models(name, version), f"deleting model {name}:{version}")

    def delete_model_container(self, name: str) -> bool:
        return self._delete(self._models(name), f"deleting model {name}")

    # --- datastores -------------------------------------------------------------------------------
    def default_datastore(self) -> DatastoreInfo:
        path = f"{self.workspace_path()}/datastores"
        for item in self.list_json(path, "reading the default datastore", isDefault="true"):
            return datastore_info(item)
        raise NotFoundError(f"the project {self.outputs.project_name} has no default datastore")

    def datastore(self, name: str) -> DatastoreInfo:
        path = f"{self.workspace_path()}/datastores/{name}"
        return datastore_info(self.get_json(path, f"reading datastore {name}"))

    def blob_credential(self, store: DatastoreInfo) -> str | None:
        """What blob calls on `store` sign with: None for an identity-based datastore (the caller's own
        token), else the datastore's secret, read once per datastore and reused while it is fresh (by
        concurrent callers too: they wait for the one read)."""
        if store.credential_kind in ("None", ""):
            return None
        with self._secrets_lock:
            now = self.transport.clock.now()
            known = self._secrets.get(store.name)
            if known is None or now - known[1] >= SECRET_REUSE_SECONDS:
                known = self._secrets[store.name] = (self._secret(store.name), now)
            return known[0]

    def _secret(self, name: str) -> str:
        """A short-lived SAS (or the key) of a key-based datastore, asked for as azure-ai-ml asks before an
        upload (recorded: {"expirableSecret": true, "expireAfterHours": 1} -> {"secretsType": "Sas"}).
        listSecrets only reads: safe to retry."""
        path = f"{self.workspace_path()}/datastores/{name}/listSecrets"
        body = json_of(
            self.transport.send(
                self.client, "POST", self.url(path), what="reading datastore credentials", ok=(200,),
                json={"expirableSecret": True, "expireAfterHours": 1}, safe_post=True,
            )
        )  # fmt: skip
        return str(body.get("key") or body.get("sasToken") or "")

    def _delete(self, path: str, what: str) -> bool:
        try:
            self.transport.send(self.client, "DELETE", self.url(path), what=what, ok=(200, 202, 204))
        except NotFoundError:
            return False
        return True


def data_version_body(uri: str, *, description: str, tags: dict[str, str]) -> dict[str, Any]:
    """A uri_file data version as azure-ai-ml sends it (recorded: tests/contract/fixtures)."""
    return {
        "properties": {
            "dataType": "uri_file",
            "dataUri": uri,
            "description": description,
            "tags": tags,
            "properties": {},
            "isAnonymous": False,
            "isArchived": False,
        }
    }
