"""`data upload`: register a validated file as a versioned data asset (the one data command that talks to Azure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ops.app import App
from ops.cli.data.common import SMALL_TRAINING_HINT, model_option, purpose_option
from ops.cli.options import PathType, global_options, out, pass_app

if TYPE_CHECKING:
    from pathlib import Path


@click.command()
@click.argument("file", type=PathType(readable=False))
@click.option("--name", help="Data asset name (default: the file name without extension).")
@model_option
@purpose_option
@click.option(
    "--allow-secrets", is_flag=True, help="Upload even if the file looks like it holds credentials."
)
@global_options
@pass_app
def upload(
    app: App, file: Path, name: str | None, model: str | None, purpose: str, allow_secrets: bool
) -> None:
    """Validate FILE and register it as a versioned uri_file data asset in the project.

    Refused (exit 1, nothing uploaded) when FILE has errors or looks like it holds credentials (unless
    --allow-secrets); warnings are shown. The version is derived from the file's sha256, so uploading
    the same file twice is a no-op. The asset records the file's profile (tokenizer, longest example),
    which `finetune submit` checks against the model.

    \b
    Example:
      foundry-ops --outputs outputs.json data upload train.jsonl --name support-train
      foundry-ops --outputs outputs.json data upload valid.jsonl --name support-valid --for validation
    """
    from ops.data.files import check_input_file
    from ops.flows.upload import register_file

    check_input_file(file)  # a bad path is exit 2 with its reason, before anything else
    validation = purpose == "validation"
    done = register_file(
        app,
        file,
        name,
        model=model,
        validation=validation,
        allow_secrets=allow_secrets,
        too_few_hint="add examples" if validation else SMALL_TRAINING_HINT,
    )
    asset = done.asset
    result = {
        "name": asset.name,
        "version": asset.version,
        "ref": asset.ref,
        "sha256": asset.tags.get("sha256"),
        "path": asset.uri,  # the data URI as the service answers it
        "uploaded": done.uploaded,
    }
    if not done.uploaded:
        app.report.progress(f"{asset.ref} already holds this file; nothing uploaded")
    out(app).result(result)
