from pathlib import Path

import pytest

from core.cloud import resolve_cloud
from core.errors import UsageError


def test_defaults_to_public_cloud() -> None:
    cloud = resolve_cloud(None, {})
    assert cloud.name == "AzureCloud"
    assert cloud.arm_endpoint == "https://management.azure.com/"
    assert cloud.arm_scope == "https://management.azure.com/.default"
    assert cloud.verify is True


def test_sovereign_cloud_by_name() -> None:
    assert resolve_cloud("AzureUSGovernment", {}).authority_host == "https://login.microsoftonline.us"


def test_custom_cloud_from_environment(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    env = {
        "FOUNDRY_ARM_ENDPOINT": "https://127.0.0.1:8443",
        "FOUNDRY_AUTHORITY_HOST": "https://127.0.0.1:8443/",
        "FOUNDRY_CA_BUNDLE": str(ca),
    }
    cloud = resolve_cloud(None, env)
    assert (cloud.name, cloud.arm_endpoint, cloud.authority_host, cloud.verify) == (
        "custom",
        "https://127.0.0.1:8443/",
        "https://127.0.0.1:8443",
        str(ca),
    )


@pytest.mark.parametrize(
    ("name", "env", "message"),
    [
        (
            "Mars",
            {},
            "unknown cloud 'Mars'; choose one of: AzureCloud, AzureChinaCloud, AzureUSGovernment, custom",
        ),
        ("custom", {}, "--cloud custom needs FOUNDRY_ARM_ENDPOINT and FOUNDRY_AUTHORITY_HOST set"),
        (
            "custom",
            {"FOUNDRY_ARM_ENDPOINT": "http://x", "FOUNDRY_AUTHORITY_HOST": "https://y"},
            "FOUNDRY_ARM_ENDPOINT must be an https:// URL, got 'http://x'",
        ),
        (
            None,
            {"FOUNDRY_CA_BUNDLE": "/nonexistent/ca.pem"},
            "FOUNDRY_CA_BUNDLE points to '/nonexistent/ca.pem', which is not a file",
        ),
    ],
)
def test_bad_cloud_settings(name: str | None, env: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError) as info:
        resolve_cloud(name, env)
    assert str(info.value) == message
