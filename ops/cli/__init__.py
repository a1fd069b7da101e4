"""The Click layer of foundry-ops: options, prompts, rendering and exit codes; no workflow logic."""

from ops.cli.root import cli, main

__all__ = ["cli", "main"]
