"""Validate a chat JSONL file, then register it as a content-addressed uri_file data asset.

Gates, before anything is created: error-level issues refuse the file (exit 1, first line named);
a file that looks like it holds a credential is refused unless the user allows it (a fine-tuned model
can repeat what it was trained on); warnings are said. The asset version is a prefix of the file's
sha256 and the blob path holds the full hash, so the same bytes are never stored twice. The upload
records the validation profile on the asset (tags), so `finetune submit` can check an asset against
a model without downloading it.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import DataError, UsageError
from ops.azure.records import TOOL_TAG, DataAssetInfo
from ops.azure.uris import short_uri
from ops.flows.naming import data_name, data_version, file_sha256

if TYPE_CHECKING:
    from ops.app import App
    from ops.data.report import ValidationReport

NAME_RULE = "letters, digits, '-' and '_' (at most 255)"
SHOWN_WARNINGS = 3
# Tags an upload records on the data asset: what `finetune submit` checks an asset against.
PROFILE_TAGS = ("tokenizer", "max_tokens", "examples", "sha256", "validated_for")


@dataclass(frozen=True)
class Uploaded:
    asset: DataAssetInfo
    uploaded: bool  # False when the same bytes were already registered


def check_data(
    app: App,
    path: Path,
    model: str | None,
    *,
    validation: bool = False,
    allow_secrets: bool = False,
    label: str | None = None,
    quiet: bool = False,
    too_few_hint: str = "add examples",
) -> ValidationReport:
    """The gates every upload passes: errors refuse, credentials refuse unless allowed, warnings are said
    (not when `quiet`: the file is a part of one already checked and said). `label` names the data in
    messages when `path` is a temporary copy (a data asset read back). `too_few_hint` is the hint for a
    file with too few examples (`data upload` adds its --for validation)."""
    from ops.data.validate import validate_file

    report = validate_file(path, model, validation=validation)
    name = label or str(path)
    blocking = report.error_counts
    if blocking:  # validation data's smaller minimum is already applied by validate_file
        counts = ", ".join(f"{n} {category}" for category, n in sorted(blocking.items()))
        first = next((i for i in report.errors if i.category in blocking), None)
        where = ""
        if first is not None:
            where = f"; first at line {first.line}: {first.message}" if first.line else f"; {first.message}"
        from ops.data.shape import json_document_hint

        also = " --for validation" if validation else ""
        shaped = None if label is not None else json_document_hint(str(path), blocking, report.lines)
        if set(blocking) == {"too_few_examples"}:  # nothing `data fix` could mend
            hint = too_few_hint
        elif label is not None:
            hint = f"it was uploaded for another model; upload a file that suits {report.model}"
        elif shaped is not None:
            hint = shaped
        else:
            quoted = shlex.quote(str(path))
            hint = (
                f"run `foundry-ops data validate {quoted}{also}` for the full report, or "
                f"`foundry-ops data fix {quoted} --out CLEAN{also}`"
            )
        kind = "validation" if validation else "training"
        raise DataError(f"{name}: invalid {kind} data for {report.model} ({counts}){where}", hint=hint)
    secrets = [i for i in report.warnings if i.category == "secret"]
    if secrets and not allow_secrets:
        first = secrets[0]
        count = report.warning_counts.get("secret", len(secrets))
        raise DataError(
            f"{name}: line {first.line} {first.message.split(';')[0]}"
            + (f" ({count} lines in all)" if count > 1 else "")
            + "; nothing was uploaded",
            hint="remove credentials from training data (a fine-tuned model can repeat them), "
            "or pass --allow-secrets if they are not real",
        )
    if not quiet:
        _say_warnings(app, name, report, allow_secrets)
    return report


def _say_warnings(app: App, path: str, report: ValidationReport, allowed_secrets: bool) -> None:
    counts = {c: n for c, n in report.warning_counts.items() if not (c == "secret" and allowed_secrets)}
    if allowed_secrets and report.warning_counts.get("secret"):
        app.report.warn(
            f"{path}: {report.warning_counts['secret']} line(s) look like credentials (--allow-secrets)"
        )
    if not counts:
        return
    summary = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    app.report.warn(f"{path}: {summary}")
    for issue in [i for i in report.warnings if i.category in counts][:SHOWN_WARNINGS]:
        app.report.warn(f"  line {issue.line}: {issue.message}")


def profile_tags(report: ValidationReport, sha256: str) -> dict[str, str]:
    tags = {"sha256": sha256, "examples": str(report.valid_examples), "validated_for": report.model}
    if report.tokens is not None:
        tags["tokenizer"] = report.tokens.tokenizer
        tags["max_tokens"] = str(report.tokens.max)
    return tags


def register_file(
    app: App,
    path: Path,
    name: str | None = None,
    *,
    model: str | None = None,
    validation: bool = False,
    allow_secrets: bool = False,
    source_name: str | None = None,
    part_of_checked: bool = False,
    too_few_hint: str = "add examples",
) -> Uploaded:
    """Validate and register `path` (see module doc); the same bytes again find the existing version.
    `part_of_checked`: `path` is a part of `source_name`, which was checked (and its warnings said, in
    its own lines) before it was split; the part is validated for its own profile only."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    asset_name = name or data_name(path)
    if not asset_name.replace("-", "").replace("_", "").isalnum() or len(asset_name) > 255:
        raise UsageError(f"data asset name {asset_name!r} is not valid: use {NAME_RULE}")
    report = check_data(
        app,
        path,
        model,
        validation=validation,
        allow_secrets=allow_secrets,
        quiet=part_of_checked,
        too_few_hint=too_few_hint,
    )
    sha = file_sha256(path)
    version = data_version(sha)

    def same(found: DataAssetInfo) -> bool:
        """A version of this name holds these bytes (its sha256 tag; one without the tag is trusted)."""
        return found.tags.get("sha256", sha) == sha

    existing = app.assets.find_data(asset_name, version)
    if existing is not None:
        if not same(existing):
            raise UsageError(
                f"data asset {asset_name}:{version} exists with different content",
                hint="pass --name with another asset name",
            )
        return Uploaded(existing, False)
    app.report.progress(f"uploading {path.name} as data asset {asset_name}:{version} ...")
    store = app.assets.default_datastore()
    secret = app.assets.blob_credential(store)
    blob_path = f"{TOOL_TAG}/data/{sha}/{path.name}"
    app.blobs.upload(store, path, blob_path, sha, secret)
    tags = {"source_file": source_name or path.name, **profile_tags(report, sha)}
    asset = app.assets.register_data(
        asset_name,
        version,
        short_uri(store.name, blob_path),
        description=f"{source_name or path.name} registered by foundry-ops (sha256 {sha})",
        tags=tags,
        same=same,
    )
    return Uploaded(asset, True)
