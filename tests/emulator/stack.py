"""Emulator + Azurite started together, wired as one stack: what fixtures and the launcher share."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.emulator.azurite import ACCOUNT, AZURITE_KEY, Azurite
from tests.emulator.routes.assets import container_name
from tests.emulator.server import Emulator
from tests.emulator.state import Scenario, Settings

# Variables that would make azure-identity or the toolkit look elsewhere than the emulator.
FOREIGN_ENV = (
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZUREML_CURRENT_CLOUD",
    "AZUREML_DEV_URL_MFE",
    "FOUNDRY_STACK",
    "FOUNDRY_BLOB_ENDPOINT",
    "FOUNDRY_REGISTRY_ENDPOINT",
    "REGISTRY_DISCOVERY_ENDPOINT_URL",
    "REGISTRY_DISCOVERY_ENDPOINT_REGION",
)


class EmulatedStack:
    """An emulator, optionally an Azurite holding the workspace's default container, and outputs JSON."""

    def __init__(
        self,
        workdir: Path,
        *,
        blob: bool = True,
        scenario: Scenario | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.workdir = workdir
        self.emulator = Emulator(workdir, scenario, settings)
        self.azurite: Azurite | None = None
        self._blob = blob
        self.outputs_file = workdir / "outputs.json"

    def start(self) -> EmulatedStack:
        self.emulator.start()
        if self._blob:
            try:
                self.attach_azurite()
            except Exception:
                self.emulator.stop()
                raise
        self.outputs_file.write_text(json.dumps(self.emulator.outputs(), indent=2), encoding="utf-8")
        return self

    def attach_azurite(self) -> Azurite:
        certs = self.emulator.certs
        self.azurite = Azurite(self.workdir, certs.cert, certs.key).start()
        self.emulator.world.blob_endpoint = self.azurite.blob_endpoint
        create_default_container(self.emulator, self.azurite)
        return self.azurite

    def stop(self) -> None:
        if self.azurite is not None:
            self.azurite.stop()
        self.emulator.stop()

    def env(self) -> dict[str, str]:
        return {**self.emulator.env(), "FOUNDRY_OUTPUTS": str(self.outputs_file)}

    def __enter__(self) -> EmulatedStack:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def create_default_container(emulator: Emulator, azurite: Azurite) -> None:
    """The workspace's default blob container exists in a provisioned stack; create it in Azurite."""
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient(
        azurite.blob_endpoint,
        credential={"account_name": ACCOUNT, "account_key": AZURITE_KEY},
        connection_verify=str(emulator.certs.ca),
    )
    with client:
        container = client.get_container_client(container_name(emulator.ctx, emulator.scenario.project_name))
        if not container.exists():
            container.create_container()
