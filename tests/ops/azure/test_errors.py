"""Error translation and cloud settings that need no service: one line per error, registry discovery."""

from __future__ import annotations

import pytest

from core.cloud import resolve_cloud
from core.errors import AuthError, ConflictError, NotFoundError, UsageError
from ops.azure.errors import Refused, TransientError, service_error


class _Response:
    def __init__(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self.status_code = status
        self.headers = headers or {}
        self.content = body.encode()

    def json(self) -> object:
        import json

        return json.loads(self.content)


def test_service_error_is_code_and_message_on_one_line() -> None:
    error = service_error(
        _Response(400, '{"error": {"code": "UserError", "message": "Invalid\\n  body"}}'), "doing x"
    )
    assert str(error) == "doing x: UserError: Invalid body"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (404, NotFoundError),
        (401, AuthError),
        (409, ConflictError),
        (400, Refused),
        (422, Refused),
        (429, TransientError),
        (503, TransientError),
    ],
)
def test_statuses_map_to_domain_errors(status: int, kind: type) -> None:
    assert isinstance(service_error(_Response(status, "{}"), "x"), kind)


@pytest.mark.parametrize("status", [401, 403, 404, 409, 429, 500, 501, 503])
def test_only_a_4xx_refusal_is_refused(status: int) -> None:
    # ArmAdapter.create looks a resource up only after a refusal (and a 409); access denied is no refusal
    assert not isinstance(service_error(_Response(status, "{}"), "x"), Refused)


def test_a_throttled_answer_says_when_to_come_back() -> None:
    error = service_error(_Response(429, "{}", {"Retry-After": "7"}), "reading job j")
    assert isinstance(error, TransientError) and error.retry_after == 7.0
    assert str(error) == "reading job j: HTTP 429"


def test_403_names_the_roles() -> None:
    error = service_error(_Response(403, '{"error": {"code": "AuthorizationFailed", "message": "no"}}'), "x")
    assert "Azure AI Developer" in str(error.hint)


def test_known_clouds_know_their_registry_discovery_endpoint() -> None:
    assert resolve_cloud("AzureCloud", {}).registry_endpoint == "https://eastus.api.azureml.ms/"
    assert resolve_cloud("AzureChinaCloud", {}).registry_endpoint == "https://chinaeast2.api.ml.azure.cn/"


def test_a_custom_cloud_has_a_registry_endpoint_only_when_configured() -> None:
    """Not the ARM endpoint: ARM serves no registry discovery (issue 11)."""
    env = {"FOUNDRY_ARM_ENDPOINT": "https://arm.example/", "FOUNDRY_AUTHORITY_HOST": "https://login.example"}
    assert resolve_cloud("custom", env).registry_endpoint is None
    env["FOUNDRY_REGISTRY_ENDPOINT"] = "https://westus.api.azureml.example"
    assert resolve_cloud("custom", env).registry_endpoint == "https://westus.api.azureml.example/"
    with pytest.raises(UsageError, match="FOUNDRY_REGISTRY_ENDPOINT must be an https:// URL"):
        resolve_cloud("custom", {**env, "FOUNDRY_REGISTRY_ENDPOINT": "http://x"})


def test_an_untrusted_certificate_is_a_tls_failure_with_its_complaint() -> None:
    from ops.azure.errors import unreachable

    exc = Exception(
        "HTTPSConnectionPool(host='x', port=443): Max retries exceeded (Caused by SSLError(SSLCertVerificationError("
        "1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate "
        "(_ssl.c:1006)')))"
    )
    error = unreachable("reading x", exc, "https://arm.example/sub")
    assert not isinstance(error, (TransientError, Refused))  # fails at once, and leads to no look-up
    assert str(error) == (
        "reading x: TLS failed talking to arm.example "
        "(certificate verify failed: unable to get local issuer certificate)"
    )
    assert "FOUNDRY_CA_BUNDLE" in str(error.hint)


def test_a_dropped_tls_connection_is_transient_not_a_ca_problem() -> None:
    """Only a certificate the CA bundle does not vouch for is a CA problem (core.credential.tls_failure);
    an EOF in the handshake is a connection that went away, retried like any other."""
    from ops.azure.errors import unreachable

    exc = Exception("Caused by SSLError(SSLEOFError(8, '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred'))")
    error = unreachable("reading x", exc, "https://arm.example/sub")
    assert isinstance(error, TransientError) and "cannot reach arm.example" in str(error)


def test_one_line_flattens_and_cuts() -> None:
    from ops.azure.errors import one_line

    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 10, 5) == "xxxx…"
