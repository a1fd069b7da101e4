"""Pieces of ops/azure/ml.py that need no service: cloud description, error text, Retry-After."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import HttpResponseError

from ops.azure.ml import _cloud_metadata, _retry_after, _service_message
from ops.cloud import CloudSettings


class _Response:
    def __init__(self, status: int, body: str, headers: dict[str, str]) -> None:
        self.status_code = status
        self.reason = "Too Many Requests"
        self.headers = headers
        self._body = body.encode()
        self.request = None
        self.content_type = "application/json"

    def text(self, encoding: str | None = None) -> str:
        return self._body.decode()

    def body(self) -> bytes:
        return self._body


def error(status: int, body: str, headers: dict[str, str] | None = None) -> HttpResponseError:
    response: Any = _Response(status, body, headers or {})
    return HttpResponseError(response=response)


def test_service_message_is_code_and_message_on_one_line() -> None:
    exc = error(400, '{"error": {"code": "UserError", "message": "Invalid\\n  body"}}')
    assert _service_message(exc) == "UserError: Invalid body"


def test_retry_after_header_wins_and_is_bounded() -> None:
    assert _retry_after(error(429, "{}", {"Retry-After": "7"}), attempt=1) == 7.0
    assert _retry_after(error(429, "{}", {"Retry-After": "100000"}), attempt=1) == 60.0
    assert _retry_after(error(503, "{}"), attempt=3) == 4.0


def test_custom_cloud_metadata_points_everything_at_its_endpoints() -> None:
    meta = _cloud_metadata(CloudSettings("custom", "https://arm.example/", "https://login.example"))
    assert meta["resource_manager"] == "https://arm.example/"
    assert meta["active_directory"] == "https://login.example/"
    assert meta["registry_discovery_endpoint"] == "https://arm.example/"


def test_sovereign_cloud_keeps_its_own_suffixes_behind_a_proxy() -> None:
    meta = _cloud_metadata(
        CloudSettings("AzureChinaCloud", "https://proxy.example/", "https://login.chinacloudapi.cn")
    )
    assert meta["resource_manager"] == "https://proxy.example/"
    assert meta["storage_endpoint"] == "core.chinacloudapi.cn"
