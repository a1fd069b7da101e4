"""The data a fine-tuning job trains on: local files validated, split and uploaded, or data assets
checked against the model, as data asset references.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from catalog.models import ModelInfo
from core.errors import DataError, NotFoundError, UsageError
from ops.azure.records import DataAssetInfo
from ops.data.rules import MIN_EXAMPLES, too_few_examples
from ops.flows.naming import data_name
from ops.flows.upload import register_file
from ops.limits import DEFAULT_VALIDATION_FRACTION

if TYPE_CHECKING:
    from ops.app import App


def resolve_data(
    app: App,
    info: ModelInfo,
    train: str,
    validation: str | None,
    validation_fraction: float | None,
    allow_secrets: bool,
) -> tuple[str, str | None]:
    """Data asset references for training and validation, uploading local files as needed; a data
    asset is checked against the model before any job exists."""
    train_path = Path(train)
    missing = _not_a_file(train)
    if missing is not None:  # said first: it, not the missing validation data, is what is wrong
        raise missing
    if validation_fraction is not None and not train_path.is_file():
        raise UsageError("--validation-fraction needs --train to be a local file")
    if train_path.is_file() and validation is None:
        return split_and_upload(
            app, train_path, validation_fraction or DEFAULT_VALIDATION_FRACTION, info, allow_secrets
        )
    if validation is None:
        raise UsageError(
            "no validation data: pass --validation, or give --train as a local file so a split can be made"
        )
    train_ref = asset_or_file(app, train, info, allow_secrets=allow_secrets)
    valid_ref = asset_or_file(app, validation, info, validation=True, allow_secrets=allow_secrets)
    if valid_ref == train_ref:
        app.report.warn(
            f"--train and --validation are the same data ({train_ref}): the validation loss will measure "
            "what the model memorised, not how it does on examples it has not seen"
        )
    return train_ref, valid_ref


def split_and_upload(
    app: App, train: Path, fraction: float, info: ModelInfo, allow_secrets: bool
) -> tuple[str, str]:
    from ops.data.split import split_file
    from ops.flows.upload import check_data

    # Checked whole first, so that errors, credentials and warnings name the user's file and its lines,
    # not a part's in a temporary directory; the parts are then validated quietly, for their profiles.
    check_data(app, train, info.name, allow_secrets=allow_secrets)
    with tempfile.TemporaryDirectory(prefix="foundry-split-") as tmp:
        result = split_file(train, validation_fraction=fraction, seed=0, out_dir=tmp, model=info.name)
        enough_to_train(train, result.train.examples, result.validation.examples)
        base = re.sub(r"[-_.]?train(ing)?$", "", data_name(train), flags=re.I) or "dataset"
        parts = []
        for part, suffix, validation in (
            (result.train, "train", False),
            (result.validation, "validation", True),
        ):
            uploaded = register_file(
                app, Path(part.path), f"{base}-{suffix}", model=info.name, validation=validation,
                allow_secrets=allow_secrets, source_name=f"{train.name} ({suffix} part)",
                part_of_checked=True,
            )  # fmt: skip
            parts.append(uploaded.asset.ref)
    return parts[0], parts[1]


def enough_to_train(source: Path, train: int, held_out: int) -> None:
    """Say it in terms of the user's file, before anything is uploaded (the split is a temp file)."""

    if train < MIN_EXAMPLES:
        raise DataError(
            f"{source}: {train + held_out} example(s) leave {train} for training after holding out "
            f"{held_out} for validation; fine-tuning needs at least {MIN_EXAMPLES}",
            hint="add examples"
            + (
                ", or pass --validation FILE to keep them all for training"
                if train + held_out >= MIN_EXAMPLES
                else ""
            ),
        )


def asset_or_file(
    app: App, value: str, info: ModelInfo, *, validation: bool = False, allow_secrets: bool = False
) -> str:
    path = Path(value)
    if path.is_file():
        return register_file(
            app, path, model=info.name, validation=validation, allow_secrets=allow_secrets
        ).asset.ref
    missing = _not_a_file(value)
    if missing is not None:
        raise missing
    ref = value.removeprefix("azureml:")
    name, sep, version = ref.partition(":")
    if not sep or not name or not version:
        raise UsageError(f"{value!r} is neither a file nor a data asset NAME:VERSION")
    asset = app.assets.find_data(name, version)
    if asset is None:
        raise NotFoundError(f"data asset {name}:{version} not found in the project")
    check_asset(app, asset, info, validation=validation)
    return asset.ref


def _not_a_file(value: str) -> UsageError | None:
    """The error for a value that names a local path but no file; None for a file or a NAME:VERSION."""
    path = Path(value)
    if path.is_file():
        return None
    if path.is_dir():
        return UsageError(f"{value}: is a directory; give a JSONL file")
    if path.suffix.lower() in (".jsonl", ".json") or "/" in value or "\\" in value:
        return UsageError(f"{value}: no such file")
    return None


def check_asset(app: App, asset: DataAssetInfo, info: ModelInfo, *, validation: bool = False) -> None:
    """An example longer than the model's context, or too few examples, fail the job hours later: refuse
    them now. The profile the upload recorded (examples, tokenizer, longest example) answers when it was
    made with this model's tokenizer; otherwise the file is read back from the datastore and validated
    for this model."""
    tags = asset.tags
    examples = tags.get("examples", "")
    too_few = too_few_examples(int(examples), validation=validation) if examples.isdigit() else None
    if too_few is not None:  # e.g. validation data (one example will do) given as --train
        raise DataError(
            f"data asset {asset.name}:{asset.version}: {too_few}",
            hint=None
            if validation
            else f"give --train a file or data asset of at least {MIN_EXAMPLES} examples",
        )
    if tags.get("tokenizer") == info.tokenizer.value and tags.get("max_tokens", "").isdigit():
        longest = int(tags["max_tokens"])
        if longest > info.context_length:
            raise DataError(
                f"data asset {asset.name}:{asset.version} holds an example of {longest:,} tokens; "
                f"{info.name}'s context is {info.context_length:,}",
                hint=f"upload a file without it (`foundry-ops data fix -m {info.name}`)",
            )
        return
    from ops.azure.uris import stored_path
    from ops.flows.upload import check_data

    where = stored_path(asset.uri)
    if where is None or where.datastore is None:
        app.report.warn(
            f"data asset {asset.name}:{asset.version} was not checked against {info.name}: "
            f"its location {asset.uri} is not in a datastore"
        )
        return
    app.report.progress(
        f"reading data asset {asset.name}:{asset.version} to check it against {info.name} ..."
    )
    store = app.assets.datastore(where.datastore)
    secret = app.assets.blob_credential(store)
    with tempfile.TemporaryDirectory(prefix="foundry-asset-") as tmp:
        local = app.blobs.download(store, where.path, secret, Path(tmp) / Path(where.path).name)
        label = f"data asset {asset.name}:{asset.version}"
        check_data(
            app,
            local,
            info.name,
            validation=validation,
            allow_secrets=True,
            label=label,
        )
