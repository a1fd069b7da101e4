"""The object every command finds in `ctx.obj`: where outputs, clients and output formatting live.

Everything expensive (stack outputs, credentials, Azure SDK clients) is built on first use, so
`--help` and offline commands never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops.cloud import CloudSettings, resolve_cloud
from ops.errors import OutputsError
from ops.output import Output

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from ops.azure.arm import ArmClient
    from ops.azure.inference import InferenceClient
    from ops.azure.ml import MLWorkspaceClient
    from ops.outputs import StackOutputs


@dataclass
class App:
    stack: str | None = None
    outputs_file: Path | None = None
    cloud_name: str | None = None
    output: Output = field(default_factory=Output)
    assume_yes: bool = False

    @cached_property
    def cloud(self) -> CloudSettings:
        return resolve_cloud(self.cloud_name)

    @cached_property
    def outputs(self) -> StackOutputs:
        from ops.outputs import load_outputs_file, load_stack_outputs

        if self.outputs_file is not None:
            return load_outputs_file(self.outputs_file)
        if self.stack:
            return load_stack_outputs(self.stack)
        raise OutputsError(
            "this command needs the stack's outputs",
            hint="pass --stack NAME (reads them with the Pulumi CLI) or --outputs FILE",
        )

    @property
    def has_outputs_source(self) -> bool:
        return self.outputs_file is not None or bool(self.stack)

    @cached_property
    def credential(self) -> TokenCredential:
        from ops.azure.identity import build_credential

        return build_credential(self.cloud)

    @cached_property
    def arm(self) -> ArmClient:
        from ops.azure.arm import ArmClient

        return ArmClient(self.cloud, self.credential, self.outputs)

    @cached_property
    def ml(self) -> MLWorkspaceClient:
        from ops.azure.ml import MLWorkspaceClient

        return MLWorkspaceClient(self.cloud, self.credential, self.outputs)

    @cached_property
    def inference(self) -> InferenceClient:
        from ops.azure.inference import InferenceClient

        return InferenceClient(self.cloud)

    def close(self) -> None:
        """Release clients that hold connections."""
        for name in ("arm", "ml", "inference", "credential"):
            client: Any = self.__dict__.get(name)
            closer = getattr(client, "close", None)
            if callable(closer):
                closer()
