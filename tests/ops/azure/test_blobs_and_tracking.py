"""Blob uploads and MLflow reads against stand-ins, request by request: what each asks the service."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from core.cloud import resolve_cloud
from core.errors import ConflictError
from ops.azure.blobs import Blobs, _holds
from ops.azure.records import DatastoreInfo
from ops.azure.tracking import Tracking

STORE = DatastoreInfo("workspaceblobstore", "acct", "container", "core.windows.net", "https", "None")


class FakeBlob:
    """A BlobClient stand-in that records its calls."""

    def __init__(self, metadata: dict[str, str] | None = None, upload_error: Exception | None = None) -> None:
        self.metadata = metadata
        self.upload_error = upload_error
        self.calls: list[str] = []

    def __enter__(self) -> FakeBlob:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def exists(self) -> bool:
        self.calls.append("exists")
        return self.metadata is not None

    def get_blob_properties(self) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        self.calls.append("get_blob_properties")
        if self.metadata is None:
            raise ResourceNotFoundError("BlobNotFound")
        return SimpleNamespace(metadata=self.metadata)

    def upload_blob(self, data: Any, **kwargs: Any) -> None:
        self.calls.append("upload_blob")
        if self.upload_error is not None:
            raise self.upload_error


@pytest.mark.parametrize(
    ("metadata", "held"), [(None, False), ({"sha256": "abc"}, True), ({"sha256": "other"}, False)]
)
def test_whether_a_blob_holds_the_content_is_one_head(metadata: dict[str, str] | None, held: bool) -> None:
    blob = FakeBlob(metadata)
    assert _holds(blob, "abc") is held
    assert blob.calls == ["get_blob_properties"]


class _Answer:
    def __init__(self) -> None:
        self.status_code = 409
        self.reason = "Conflict"
        self.headers: dict[str, str] = {}

    content = b'{"error": {"code": "BlobAlreadyExists", "message": "The specified blob already exists."}}'

    def text(self, encoding: str | None = None) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json.loads(self.content)


def test_a_failed_upload_is_an_error_not_a_success(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.core.exceptions import ResourceExistsError

    local = tmp_path / "t.jsonl"
    local.write_text("{}\n", encoding="utf-8")
    blob = FakeBlob(upload_error=ResourceExistsError(response=_Answer()))  # type: ignore[arg-type]
    blobs = Blobs(SimpleNamespace(cloud=resolve_cloud("AzureCloud", {})), credential=None)  # type: ignore[arg-type]
    monkeypatch.setattr(blobs, "_client", lambda *args: blob)
    with pytest.raises(ConflictError, match=r"uploading t\.jsonl: BlobAlreadyExists"):
        blobs.upload(STORE, local, "foundry-ops/data/abc/t.jsonl", "abc", None)
    assert blob.calls == ["get_blob_properties", "upload_blob"]


class FakeTransport:
    """Answers MLflow REST by route; records every request."""

    def __init__(
        self, root: dict[str, Any], searched: list[dict[str, Any]], histories: dict[str, Any]
    ) -> None:
        self.root, self.searched, self.histories = root, searched, histories
        self.sent: list[tuple[str, str]] = []

    def arm(self) -> None:
        return None

    def send(self, client: Any, method: str, url: str, **kwargs: Any) -> Any:
        self.sent.append((method, url))
        if "/runs/get?" in url:
            body: Any = {"run": self.root}
        elif url.endswith("/runs/search"):
            body = {"runs": self.searched}
        else:
            run_id = url.split("run_id=")[1].split("&")[0]
            key = url.split("metric_key=")[1].split("&")[0]
            body = {"metrics": self.histories[f"{run_id}/{key}"]}
        return SimpleNamespace(content=b"x", json=lambda: body, status_code=200)


def _run(run_id: str, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    return {"info": {"run_id": run_id, "experiment_id": "7"}, "data": {"metrics": metrics}}


ROOT = _run("job1", [{"key": "epoch", "value": 3, "step": 3, "timestamp": 1}])
CHILD = _run("job1-child", [{"key": "loss", "value": 0.5, "step": 2, "timestamp": 2}])
HISTORIES = {
    "job1/epoch": [{"key": "epoch", "value": 3, "step": 3, "timestamp": 1}],
    "job1-child/loss": [
        {"key": "loss", "value": 0.9, "step": 1, "timestamp": 1},
        {"key": "loss", "value": 0.5, "step": 2, "timestamp": 2},
    ],
}
WORKSPACES = SimpleNamespace(project=SimpleNamespace(tracking_uri="azureml://mlflow.example/mlflow/v1.0/ws"))


@pytest.mark.parametrize("search_has_root", [True, False])
def test_job_metrics_read_each_run_once(search_has_root: bool) -> None:
    """The rootRunId search returns the root run too (its own root); a search that did not would still
    count the root as runs/get answered it."""
    searched = [ROOT, CHILD] if search_has_root else [CHILD]
    transport = FakeTransport(ROOT, searched, HISTORIES)
    metrics = Tracking(transport, WORKSPACES).job_metrics("job1")  # type: ignore[arg-type]
    assert metrics.run_ids == ("job1", "job1-child")
    assert [p.value for p in metrics.series["loss"]] == [0.9, 0.5]
    assert [p.value for p in metrics.series["epoch"]] == [3.0]
    histories = [url for method, url in transport.sent if "get-history" in url]
    assert len(histories) == 2  # one per run and metric
    assert [method for method, _ in transport.sent if "/runs/" in _] == ["GET", "POST"]
