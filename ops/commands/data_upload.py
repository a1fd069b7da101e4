"""`data upload FILE`: validate, then register a content-addressed uri_file data asset in the project.

The asset version is a prefix of the file's sha256 and the blob path holds the full hash, so uploading
the same bytes again finds the existing version instead of storing a second copy. Invalid data is
refused before anything is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ops.commands.ml_names import data_name, data_version, file_sha256
from ops.errors import UsageError
from ops.options import output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.ml_records import DataAssetInfo

_NAME_RULE = "letters, digits, '-' and '_' (at most 255)"


def check_data_file(path: Path, model: str | None = None, *, validation: bool = False) -> None:
    """Run the offline validator; any error-level issue refuses the file with a one-line summary.

    A validation file may hold fewer examples than the training minimum.
    """
    from ops.data.validate import validate_file

    report = validate_file(path, model)
    blocking = {c: n for c, n in report.error_counts.items() if not (validation and c == "too_few_examples")}
    if not blocking:
        return
    counts = ", ".join(f"{n} {category}" for category, n in sorted(blocking.items()))
    first = next((i for i in report.errors if i.category in blocking), None)
    where = ""
    if first is not None:
        where = f"; first at line {first.line}: {first.message}" if first.line else f"; {first.message}"
    raise UsageError(
        f"{path}: invalid training data ({counts}){where}",
        hint=f"run `foundry-ops data validate {path}` for the full report",
    )


def register_file(
    app: App, path: Path, name: str | None = None, *, model: str | None = None, validation: bool = False
) -> tuple[DataAssetInfo, bool]:
    """Validate and register `path`; returns the asset and whether anything was uploaded."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    asset_name = name or data_name(path)
    if not asset_name.replace("-", "").replace("_", "").isalnum() or len(asset_name) > 255:
        raise UsageError(f"data asset name {asset_name!r} is not valid: use {_NAME_RULE}")
    check_data_file(path, model, validation=validation)
    sha = file_sha256(path)
    version = data_version(sha)
    existing = app.ml.find_data(asset_name, version)
    if existing is not None:
        if existing.tags.get("sha256", sha) != sha:
            raise UsageError(
                f"data asset {asset_name}:{version} exists with different content",
                hint="pass --name with another asset name",
            )
        return existing, False
    app.output.progress(f"uploading {path.name} as data asset {asset_name}:{version} ...")
    asset = app.ml.upload_data(
        path, name=asset_name, version=version, sha256=sha, tags={"source_file": path.name}
    )
    return asset, True


@click.command("upload")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", help="Data asset name (default: the file name without extension).")
@stack_options
@output_option
@pass_app
def upload(app: App, file: Path, name: str | None) -> None:
    """Validate FILE and register it as a versioned uri_file data asset in the project.

    The version is derived from the file's sha256, so uploading the same file twice is a no-op.

    \b
    Example:
      foundry-ops --outputs outputs.json data upload train.jsonl --name support-train
    """
    asset, uploaded = register_file(app, file, name)
    data = {
        "name": asset.name,
        "version": asset.version,
        "ref": asset.ref,
        "sha256": asset.tags.get("sha256"),
        "path": asset.path,
        "uploaded": uploaded,
    }
    if not uploaded:
        app.output.progress(f"{asset.ref} already holds this file; nothing uploaded")
    app.output.result(data)
