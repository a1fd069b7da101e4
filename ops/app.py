"""The object every command finds in `ctx.obj`, and every flow takes: it owns clients, clock and output.

Everything expensive (stack outputs, credentials, Azure clients) is built on first use, so `--help` and
offline commands never pay for it. Time comes from `clock` and words go to `report`: a test gives a fake
clock and a recording reporter here, product code has no module globals to patch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Protocol

from ops.clock import Clock, SystemClock

if TYPE_CHECKING:
    from pathlib import Path

    from azure.core.credentials import TokenCredential

    from core.cloud import CloudSettings
    from ops.azure.assets import Assets
    from ops.azure.blobs import Blobs
    from ops.azure.endpoints import Endpoints
    from ops.azure.history import RunHistory
    from ops.azure.inference import Inference
    from ops.azure.jobs import Jobs
    from ops.azure.providers import Providers
    from ops.azure.registry import Registry
    from ops.azure.transport import Transport
    from ops.azure.workspaces import Workspaces
    from ops.outputs import StackOutputs


class Reporter(Protocol):
    """Where a flow's words go (the CLI's Output renders them on stderr)."""

    def progress(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def status(self, text: str, changed: bool) -> None: ...


class StderrReporter:
    """A plain Reporter for code run outside the CLI."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet

    def progress(self, message: str) -> None:
        if not self.quiet:
            print(message, file=sys.stderr)

    def warn(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)

    def debug(self, message: str) -> None:
        print(message, file=sys.stderr)

    def status(self, text: str, changed: bool) -> None:
        if changed:
            self.progress(text)


class App:
    """A plain class, not a dataclass: it is built on every start-up, `--help` included."""

    def __init__(
        self,
        stack: str | None = None,
        outputs_file: Path | None = None,
        cloud_name: str | None = None,
        report: Reporter | None = None,
        clock: Clock | None = None,
        assume_yes: bool = False,
        debug: bool = False,
    ) -> None:
        self.stack = stack
        self.outputs_file = outputs_file
        self.cloud_name = cloud_name
        self.report: Reporter = report if report is not None else StderrReporter()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.assume_yes = assume_yes
        self.debug = debug
        self._undo: list[Callable[[], None]] = []

    @cached_property
    def cloud(self) -> CloudSettings:
        from core.cloud import resolve_cloud

        return resolve_cloud(self.cloud_name)

    @cached_property
    def outputs(self) -> StackOutputs:
        from core.errors import OutputsError, UsageError
        from ops.outputs import load_outputs_file, load_stack_outputs

        if self.outputs_file is not None:
            outputs = load_outputs_file(self.outputs_file)
            if self.stack and outputs.stack and outputs.stack != self.stack:
                raise UsageError(
                    f"{self.outputs_file} holds the outputs of stack {outputs.stack!r}, and the stack given is "
                    f"{self.stack!r}; nothing was done",
                    hint="give the outputs of the stack you mean (--outputs / FOUNDRY_OUTPUTS), or that "
                    "stack (--stack / FOUNDRY_STACK); `env | grep FOUNDRY_` shows what the environment sets",
                )
            return outputs
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
        from core.credential import build_credential

        if self.debug:
            from core.sdk_logs import show_sign_in

            self._undo.append(show_sign_in(self.report.debug))
        return build_credential(self.cloud)

    @cached_property
    def transport(self) -> Transport:
        from ops.azure.transport import Transport

        return Transport(
            self.cloud, self.credential, self.clock, debug=self.report.debug if self.debug else None
        )

    # --- one adapter per Azure concern, built on first use ------------------------------------------
    @cached_property
    def workspaces(self) -> Workspaces:
        from ops.azure.workspaces import Workspaces

        return Workspaces(self.transport, self.outputs)

    @cached_property
    def jobs(self) -> Jobs:
        from ops.azure.jobs import Jobs

        return Jobs(self.transport, self.outputs)

    @cached_property
    def assets(self) -> Assets:
        from ops.azure.assets import Assets

        return Assets(self.transport, self.outputs)

    @cached_property
    def blobs(self) -> Blobs:
        from ops.azure.blobs import Blobs

        return Blobs(self.transport, self.credential)

    @cached_property
    def endpoints(self) -> Endpoints:
        from ops.azure.endpoints import Endpoints

        return Endpoints(self.transport, self.outputs)

    @cached_property
    def registry(self) -> Registry:
        from ops.azure.registry import Registry

        return Registry(self.transport)

    @cached_property
    def providers(self) -> Providers:
        from ops.azure.providers import Providers

        return Providers(self.transport, self.outputs)

    @cached_property
    def history(self) -> RunHistory:
        from ops.azure.history import RunHistory

        return RunHistory(self.transport, self.outputs, self.workspaces)

    @cached_property
    def inference(self) -> Inference:
        from ops.azure.inference import Inference

        return Inference(self.transport)

    def close(self) -> None:
        """Release clients that hold connections."""
        for name in ("transport", "credential"):
            client: Any = self.__dict__.get(name)
            closer = getattr(client, "close", None)
            if callable(closer):
                closer()
        while self._undo:
            self._undo.pop()()
