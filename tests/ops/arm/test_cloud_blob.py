"""FOUNDRY_BLOB_ENDPOINT: the private-endpoint-style override of the workspace storage URL."""

from __future__ import annotations

import pytest

from core.cloud import resolve_cloud
from core.errors import UsageError


def test_blob_endpoint_is_optional_and_normalised() -> None:
    assert resolve_cloud("AzureCloud", {}).blob_endpoint is None
    cloud = resolve_cloud("AzureCloud", {"FOUNDRY_BLOB_ENDPOINT": "https://10.0.0.5/stfoundry/"})
    assert cloud.blob_endpoint == "https://10.0.0.5/stfoundry"


def test_blob_endpoint_must_be_https() -> None:
    with pytest.raises(UsageError, match="FOUNDRY_BLOB_ENDPOINT must be an https:// URL"):
        resolve_cloud("AzureCloud", {"FOUNDRY_BLOB_ENDPOINT": "http://127.0.0.1:10000/devstoreaccount1"})
