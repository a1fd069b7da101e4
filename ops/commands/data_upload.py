"""`data upload FILE`: validate, then register a content-addressed uri_file data asset in the project.

The asset version is a prefix of the file's sha256 and the blob path holds the full hash, so uploading
the same bytes again finds the existing version instead of storing a second copy. Invalid data is
refused before anything is created.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ops.commands.ml_names import data_name, data_version, file_sha256
from ops.errors import UsageError
from ops.options import output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.ml import DataAssetInfo

_NAME_RULE = "letters, digits, '-' and '_' (at most 255)"


def check_data_file(path: Path) -> None:
    """Run the offline validator; any error-level issue refuses the file with a one-line summary."""
    from ops.data.validate import validate_file

    report: Any = validate_file(path)
    errors = _error_issues(report)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UsageError(
            f"{path}: invalid training data: {_describe(first)}{more}",
            hint=f"run `foundry-ops data validate {path}` for the full report",
        )


def _error_issues(report: Any) -> list[Any]:
    issues = getattr(report, "errors", None)
    if callable(issues):
        issues = issues()
    if issues is None:
        issues = [
            i
            for i in getattr(report, "issues", []) or []
            if str(getattr(i, "severity", "")).lower().endswith("error")
        ]
    return list(issues)


def _describe(issue: Any) -> str:
    line = getattr(issue, "line", None)
    code = getattr(issue, "code", None) or getattr(issue, "category", None)
    message = getattr(issue, "message", None) or str(issue)
    where = f"line {line}: " if line else ""
    return f"{where}{message}" + (f" [{code}]" if code else "")


def register_file(app: App, path: Path, name: str | None = None) -> tuple[DataAssetInfo, bool]:
    """Validate and register `path`; returns the asset and whether anything was uploaded."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    asset_name = name or data_name(path)
    if not asset_name.replace("-", "").replace("_", "").isalnum() or len(asset_name) > 255:
        raise UsageError(f"data asset name {asset_name!r} is not valid: use {_NAME_RULE}")
    check_data_file(path)
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
