"""The `foundry-ops` root command.

Command groups are imported only when invoked, so `--help` and offline commands never load the Azure
or Pulumi SDKs. Domain errors (core.errors) become one `Error:` line (plus detail lines where an error
carries them) and their documented exit code here, at the edge, and nowhere else.
"""

from __future__ import annotations

from typing import Any

import click

from core.errors import EXIT_CODES, EXIT_INTERRUPTED, Interrupted, ToolkitError
from ops import __version__
from ops.app import App
from ops.cli.lazy import LazyGroup
from ops.cli.options import global_options, out

# command name -> ("module:attribute", short help); the order is the order `--help` lists them in.
COMMANDS: dict[str, tuple[str, str]] = {
    "models": ("ops.cli.models:models", "Which Phi models can be fine-tuned how and where."),
    "data": ("ops.cli.data:data", "Validate, profile, fix, split, estimate and upload chat JSONL data."),
    "preflight": (
        "ops.cli.preflight:preflight",
        "Check that the stack is ready for fine-tuning, with fixes.",
    ),
    "finetune": (
        "ops.cli.finetune:finetune",
        "Submit, list, show, wait for, cancel fine-tuning jobs; metrics.",
    ),
    "deploy": (
        "ops.cli.deploy:deploy",
        "Serverless endpoints of fine-tuned models: create, list, show, keys, delete, reap.",
    ),
    "content-safety": ("ops.cli.safety:content_safety", "Show or set content safety on an endpoint."),
    "endpoint": ("ops.cli.endpoint:endpoint", "Send chat completions to a deployed endpoint."),
    "eval": ("ops.cli.evaluate:evaluate", "Evaluate an endpoint against reference answers."),
    "run": ("ops.cli.run:run", "Fine-tuning runs declared in files: plan, apply, status."),
    "teardown": ("ops.cli.teardown:teardown", "Delete what the workflow created, in a safe order."),
    "infra": ("ops.cli.infra:infra", "Offline views of the Pulumi program (plan under the mock engine)."),
}


class ToolkitGroup(LazyGroup):
    """Loads subcommands lazily and turns domain errors into one-line messages with their exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Interrupted as exc:
            click.echo(f"\ninterrupted: {exc.one_line()}", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except ToolkitError as exc:
            raise ToolkitClickError(exc) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


class ToolkitClickError(click.ClickException):
    """One `Error:` line with the error's exit code; detail lines (if any) below it."""

    def __init__(self, exc: ToolkitError) -> None:
        super().__init__(exc.one_line())
        self.exit_code = exc.exit_code  # type: ignore[misc]  # per-error exit code, by design
        self.details = exc.details

    def show(self, file: Any = None) -> None:
        super().show(file)
        for line in self.details:
            click.echo(f"  {line}", err=True)


def _exit_codes() -> str:
    return ", ".join(f"{code} {text.split(' (')[0].split(';')[0]}" for code, text in EXIT_CODES.items())


@click.group(
    cls=ToolkitGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=f"""Operate Phi fine-tuning on an Azure AI Foundry stack provisioned by this toolkit's Pulumi program.

    Results go to stdout (a table, or JSON with -o json); progress goes to stderr.
    Exit codes: {_exit_codes()}.
    """,
)
@click.version_option(__version__, prog_name="foundry-ops")
@global_options
@click.option(
    "--cloud",
    envvar="FOUNDRY_CLOUD",
    help="AzureCloud (default), AzureChinaCloud, AzureUSGovernment, or custom (endpoints from "
    "FOUNDRY_ARM_ENDPOINT, FOUNDRY_AUTHORITY_HOST; CA bundle from FOUNDRY_CA_BUNDLE). Env: FOUNDRY_CLOUD.",
)
@click.pass_context
def cli(ctx: click.Context, cloud: str | None) -> None:
    app = ctx.ensure_object(App)
    out(app)
    app.cloud_name = cloud


def main() -> None:
    cli.main(prog_name="foundry-ops")
