"""Data URIs in every form, checked on the forms the real service sent and answered (recorded traffic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.azure.uris import StoredPath, data_asset_of, same_blob, short_uri, stored_path

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "contract"
    / "fixtures"
    / "recordings"
    / "data-version-put-uri-file.json"
)


def test_the_recorded_short_and_long_forms_name_the_same_blob() -> None:
    recorded = json.loads(FIXTURE.read_text(encoding="utf-8"))
    sent = recorded["request"]["body"]["properties"]["dataUri"]
    answered = recorded["response"]["body"]["properties"]["dataUri"]
    assert sent != answered  # the service answers in another form than it was told
    a, b = stored_path(sent), stored_path(answered)
    assert a is not None and b is not None
    assert (
        (a.datastore, a.path)
        == (b.datastore, b.path)
        == (
            "workspaceblobstore",
            "LocalUpload/00000000000000000000000000000000/tmp_file.csv",
        )
    )
    assert b.workspace == "00000"
    assert same_blob(sent, answered) and same_blob(answered, sent)
    assert not same_blob(sent, answered.replace("tmp_file.csv", "other.csv"))
    assert not same_blob(sent, answered.replace("/workspaceblobstore/", "/otherstore/"))


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (
            "azureml://subscriptions/s/resourceGroups/rg/workspaces/ws/datastores/ds/paths/a/b%20c.jsonl",
            StoredPath("a/b c.jsonl", datastore="ds", workspace="ws"),
        ),
        (
            "https://acct.blob.core.windows.net/azureml-blobstore-1/foundry-ops/data/x.jsonl",
            StoredPath("foundry-ops/data/x.jsonl", account="acct", container="azureml-blobstore-1"),
        ),
        (
            "wasbs://c@acct.blob.core.chinacloudapi.cn/p/q.jsonl",
            StoredPath("p/q.jsonl", account="acct", container="c"),
        ),
    ],
)
def test_other_forms(uri: str, expected: StoredPath) -> None:
    assert stored_path(uri) == expected


@pytest.mark.parametrize("uri", ["", "azureml:name:1", "file:///tmp/x.jsonl", "azureml://datastores/ds"])
def test_forms_it_cannot_read_are_none(uri: str) -> None:
    assert stored_path(uri) is None


def test_short_uri_is_what_a_data_version_is_registered_with() -> None:
    assert short_uri("workspaceblobstore", "foundry-ops/data/h/t.jsonl") == (
        "azureml://datastores/workspaceblobstore/paths/foundry-ops/data/h/t.jsonl"
    )


def test_same_blob_compares_unreadable_forms_as_written() -> None:
    assert same_blob("azureml:name:1", "azureml:name:1")
    assert not same_blob("azureml:name:1", short_uri("ds", "name"))


SUB = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/proj"


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("azureml:support-train:3f2a9c01b2de", ("support-train", "3f2a9c01b2de")),  # what the toolkit sends
        (
            f"{SUB}/data/support-train/versions/7",
            ("support-train", "7"),
        ),  # azure-ai-ml's VERSIONED_RESOURCE_ID_FORMAT
        (f"azureml:{SUB}/data/support-train/versions/7", ("support-train", "7")),
        ("azureml://locations/eastus2/workspaces/guid/data/support-train/versions/2", ("support-train", "2")),
        # no version to match on: labels (azure-ai-ml resolves them before it submits), datastore paths
        ("azureml:support-train@latest", None),
        (f"{SUB}/data/support-train/labels/latest", None),
        ("azureml://datastores/workspaceblobstore/paths/LocalUpload/0000/train.jsonl", None),
        (None, None),
    ],
)
def test_a_jobs_data_input_names_its_asset_version(ref: str | None, expected: tuple[str, str] | None) -> None:
    """Which data version a job reads (teardown keeps those of jobs still running), in the forms
    azure-ai-ml writes (constants/_common.py) and the recorded jobs carry."""
    assert data_asset_of(ref) == expected
