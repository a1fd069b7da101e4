"""The `foundry-ops` root command.

Command groups are imported only when invoked, so `--help` and offline commands never load the
Azure or Pulumi SDKs. Domain errors become one-line messages with documented exit codes here, at
the edge, and nowhere else.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from ops import __version__
from ops.app import App
from ops.errors import EXIT_INTERRUPTED, ToolkitError
from ops.options import stack_options

# command name -> "module:attribute"; the order is the order `--help` lists them in.
COMMANDS: dict[str, str] = {
    "models": "ops.commands.models:models",
    "data": "ops.commands.data:data",
    "preflight": "ops.commands.preflight:preflight",
    "finetune": "ops.commands.finetune:finetune",
    "deploy": "ops.commands.deploy:deploy",
    "content-safety": "ops.commands.safety:content_safety",
    "endpoint": "ops.commands.endpoint:endpoint",
    "eval": "ops.commands.evaluate:evaluate",
    "teardown": "ops.commands.teardown:teardown",
    "infra": "ops.commands.infra:infra",
}

SHORT_HELP: dict[str, str] = {
    "models": "Which Phi models can be fine-tuned how and where.",
    "data": "Validate, profile, split, estimate and upload chat JSONL training data.",
    "preflight": "Check that the stack is ready for fine-tuning, with how to fix each problem.",
    "finetune": "Submit, list, show, wait for and cancel fine-tuning jobs.",
    "deploy": "Deploy fine-tuned models as serverless endpoints; list, show, delete, keys.",
    "content-safety": "Show or set content safety on a serverless endpoint.",
    "endpoint": "Send chat completions to a deployed endpoint.",
    "eval": "Evaluate an endpoint against reference answers (exact match, token F1).",
    "teardown": "Delete what the workflow created, in a safe order, resumably.",
    "infra": "Offline views of the Pulumi program (plan under the mock engine).",
}


class ToolkitGroup(click.Group):
    """A group that loads subcommands lazily and turns domain errors into one-line messages."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(super().list_commands(ctx))]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List commands from SHORT_HELP so that `--help` imports none of them."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, SHORT_HELP[name]) for name in COMMANDS])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ToolkitError as exc:
            raise _ToolkitClickError(exc) from None
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        finally:
            app = ctx.find_object(App)
            if app is not None:
                app.close()


class _ToolkitClickError(click.ClickException):
    def __init__(self, exc: ToolkitError) -> None:
        super().__init__(exc.one_line())
        self.exit_code = exc.exit_code  # type: ignore[misc]  # per-error exit code, by design


@click.group(
    cls=ToolkitGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 80}
)
@click.version_option(__version__, prog_name="foundry-ops")
@stack_options
@click.option(
    "--cloud",
    envvar="FOUNDRY_CLOUD",
    help="AzureCloud (default), AzureChinaCloud, AzureUSGovernment, or custom (endpoints from "
    "FOUNDRY_ARM_ENDPOINT, FOUNDRY_AUTHORITY_HOST; CA bundle from FOUNDRY_CA_BUNDLE). Env: FOUNDRY_CLOUD.",
)
@click.option("--quiet", "-q", is_flag=True, help="No progress messages on stderr.")
@click.pass_context
def cli(ctx: click.Context, cloud: str | None, quiet: bool) -> None:
    """Operate Phi fine-tuning on an Azure AI Foundry stack provisioned by this toolkit's Pulumi program.

    Results go to stdout (a table, or JSON with --output json); progress goes to stderr.
    Exit codes: 0 ok, 1 failure, 2 usage or bad input, 3 job or deployment failed, 4 not found,
    5 no working credentials, 130 interrupted.
    """
    app = ctx.ensure_object(App)
    app.cloud_name = cloud
    app.output.quiet = quiet


def main() -> None:
    cli.main(prog_name="foundry-ops")


if __name__ == "__main__":  # pragma: no cover
    main()
