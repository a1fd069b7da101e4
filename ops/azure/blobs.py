"""Blobs in the project's datastore: content-addressed uploads and their deletion (azure-storage-blob).

Storage keeps its own retry policy type (ExponentialRetry, which knows secondary hosts); it is given
the shared budget's number of attempts, and the shared clocked transport, so waits follow the App's
clock here too. With --debug every attempt is printed (SAS signatures redacted).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import NotFoundError, UsageError
from ops.azure.errors import service_error, unreachable
from ops.azure.records import DatastoreInfo

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from ops.azure.transport import Transport

STORAGE_HINT = "uploads need Storage Blob Data Contributor on the stack's storage account"


class Blobs:
    def __init__(self, transport: Transport, credential: TokenCredential) -> None:
        self.transport = transport
        self.credential = credential

    def account_url(self, store: DatastoreInfo) -> str:
        """Path-style through FOUNDRY_BLOB_ENDPOINT (private endpoint, proxy), else the public host."""
        if self.transport.cloud.blob_endpoint:
            return self.transport.cloud.blob_endpoint
        return f"{store.protocol or 'https'}://{store.account_name}.blob.{store.endpoint}"

    def _client(self, store: DatastoreInfo, blob_path: str, secret: str | None) -> Any:
        from azure.storage.blob import BlobClient

        from ops.azure.transport import storage_kwargs

        if not store.container_name:
            raise UsageError(f"the datastore {store.name!r} is not a blob container")
        return BlobClient(
            account_url=self.account_url(store),
            container_name=store.container_name,
            blob_name=blob_path,
            credential=secret or self.credential,
            **storage_kwargs(self.transport),
        )

    def upload(
        self, store: DatastoreInfo, local: Path, blob_path: str, sha256: str, secret: str | None
    ) -> bool:
        """Upload unless a blob with this content (sha256 metadata) is already there; True if uploaded."""
        what = f"uploading {local.name}"
        with self._client(store, blob_path, secret) as blob:
            if self._call(what, lambda: _holds(blob, sha256)):
                return False

            def put() -> None:
                with local.open("rb") as fh:
                    blob.upload_blob(fh, overwrite=True, metadata={"sha256": sha256})

            self._call(what, put)
        return True

    def download(self, store: DatastoreInfo, blob_path: str, secret: str | None, dest: Path) -> Path:
        """Copy one blob to `dest` (streamed)."""
        with self._client(store, blob_path, secret) as blob, dest.open("wb") as fh:
            self._call(f"downloading {blob_path}", lambda: blob.download_blob().readinto(fh))
        return dest

    def delete(self, store: DatastoreInfo, blob_path: str, secret: str | None) -> bool:
        """Delete one blob; False when it was already gone."""
        with self._client(store, blob_path, secret) as blob:
            try:
                self._call(f"deleting blob {blob_path}", blob.delete_blob)
            except NotFoundError:
                return False
        return True

    @staticmethod
    def _call(what: str, fn: Any) -> Any:
        from azure.core.exceptions import HttpResponseError, ServiceRequestError, ServiceResponseError

        try:
            return fn()
        except HttpResponseError as exc:
            if exc.response is None:
                raise unreachable(what, exc, "") from None
            error = service_error(exc.response, what)
            if exc.status_code == 403:
                error.hint = STORAGE_HINT
            raise error from None
        except (ServiceRequestError, ServiceResponseError) as exc:
            raise unreachable(what, exc, str(getattr(exc, "url", ""))) from None


def _holds(blob: Any, sha256: str) -> bool:
    """Whether the blob is there with this content: one HEAD (a missing blob is a 404)."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        properties = blob.get_blob_properties()
    except ResourceNotFoundError:
        return False
    return (properties.metadata or {}).get("sha256") == sha256
