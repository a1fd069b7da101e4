"""Fine-tuning as the service means it: hyperparameters, the pinned base model, the registry's lifecycle
tags, data assets checked against the model, and the job's training metrics."""

from __future__ import annotations

import csv
import io
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.emulator.server import Emulator
from tests.emulator.stack import EmulatedStack
from tests.ops.ml.helpers import FakeClock, invoke, write_jsonl

PHI4 = "Phi-4-mini-instruct"


@pytest.fixture
def assets(emulated_stack: EmulatedStack, tmp_path: Path) -> tuple[str, str]:
    train = invoke("data", "upload", str(write_jsonl(tmp_path / "train.jsonl")), "-o", "json").json()["ref"]
    valid = invoke("data", "upload", str(write_jsonl(tmp_path / "valid.jsonl", 12, "shipping")), "-o", "json")
    return train, valid.json()["ref"]


def outputs_with_compute(stack: EmulatedStack, tmp_path: Path) -> Path:
    """The stack's outputs with a GPU cluster, so that managed-compute fine-tuning can be submitted."""
    import json

    outputs = tmp_path / "with-compute.json"
    outputs.write_text(json.dumps({**stack.emulator.outputs(), "compute_name": "gpu"}), encoding="utf-8")
    return outputs


def body(emulator: Emulator, name: str) -> dict[str, Any]:
    job: dict[str, Any] = emulator.world.jobs[(emulator.scenario.project_name.lower(), name)]["submitted"]
    return job


def submit(*args: str) -> Any:
    return invoke("finetune", "submit", "--model", PHI4, *args, "-o", "json")


def test_hyperparameters_not_given_are_not_sent_and_show_as_the_service_default(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    train, valid = assets
    run = submit("--train", train, "--validation", valid, "--epochs", "2")
    assert run.code == 0, run
    sent = body(emulated_stack.emulator, run.json()["name"])["fineTuningDetails"]["hyperParameters"]
    assert sent == {"num_train_epochs": "2"}
    shown = invoke("finetune", "show", run.json()["name"]).out
    assert "learning_rate=service default" in shown and "per_device_train_batch_size=service default" in shown
    assert "num_train_epochs=2" in shown
    as_json = invoke("finetune", "show", run.json()["name"], "-o", "json").json()["hyperparameters"]
    assert as_json == {"num_train_epochs": "2", "learning_rate": None, "per_device_train_batch_size": None}


def test_a_learning_rate_is_absolute_and_a_large_one_needs_force(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    train, valid = assets
    refused = submit("--train", train, "--validation", valid, "--learning-rate", "1")
    assert refused.code == 2
    assert "a learning rate of 1 is an absolute rate" in refused.err and "--force" in refused.err
    assert emulated_stack.emulator.world.created["jobs"] == 0
    forced = submit("--train", train, "--validation", valid, "--learning-rate", "0.05", "--force")
    assert forced.code == 0, forced
    sent = body(emulated_stack.emulator, forced.json()["name"])["fineTuningDetails"]["hyperParameters"]
    assert sent == {"learning_rate": "0.05"}
    for bad in ("0", "-0.1"):
        assert submit("--train", train, "--validation", valid, "--learning-rate", bad).code == 2


@pytest.mark.parametrize(
    ("old", "new"),
    [("--learning-rate-multiplier", "--learning-rate"), ("--batch-size-multiplier", "--batch-size")],
)
def test_the_old_spellings_say_what_replaced_them(
    azure_emulator: Emulator, emulator_env: Any, old: str, new: str
) -> None:
    run = invoke("finetune", "submit", "--model", PHI4, "--train", "t:1", old, "1")
    assert run.code == 2
    assert f"{old} is gone; use {new}" in run.err
    assert "Traceback" not in run.err


def test_the_base_model_is_pinned_to_the_registry_version(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    versions = emulator.world.registry_models[("azureml", PHI4)]
    newest = max(versions, key=lambda v: versions[v].created)
    latest = submit("--train", train, "--validation", valid)
    assert latest.code == 0, latest
    uri = body(emulator, latest.json()["name"])["fineTuningDetails"]["model"]["uri"]
    assert uri == f"azureml://registries/azureml/models/{PHI4}/versions/{newest}"
    assert f"base model {PHI4} version {newest}" in latest.err
    oldest = min(versions, key=lambda v: versions[v].created)
    pinned = submit("--train", train, "--validation", valid, "--model-version", oldest)
    assert pinned.json()["model_version"] == oldest != newest
    label = submit("--train", train, "--validation", valid, "--model-version", "stable")
    assert label.code == 2 and "give a version number or 'latest'" in label.err
    # the discovery and model routes azure-ai-ml's registry client takes
    paths = [r["path"] for r in emulator.requests]
    assert any(p.endswith("/registrymanagement/v1.0/registries/azureml/discovery") for p in paths)
    assert any(f"/registries/azureml/models/{PHI4}/versions" in p for p in paths)


def test_the_registry_wins_over_the_catalog_and_says_so(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulator = emulated_stack.emulator
    train, valid = assets
    regions = "eastus2,eastus,westus3"
    emulator.world.add_registry_version(
        "azureml", PHI4, "99",
        tags={"FinetuneDeprecationDate": "2026-01-01", "FinetuneRetirementDate": "2027-06-30",
              "maas-finetuning-deploy-regions": regions},
    )  # fmt: skip
    warned = submit("--train", train, "--validation", valid)
    assert warned.code == 0, warned
    assert "deprecated since 2026-01-01; it retires on 2027-06-30" in warned.err
    assert "disagree on when serverless fine-tuning of Phi-4-mini-instruct retires" in warned.err
    emulator.world.add_registry_version(
        "azureml", PHI4, "100", tags={"maas-finetuning-deploy-regions": "westus3"}
    )
    elsewhere = submit("--train", train, "--validation", valid)
    assert (
        "deploy regions for Phi-4-mini-instruct version 100" in elsewhere.err
        and "not eastus2" in elsewhere.err
    )
    # the service itself refuses, as recorded (finetuning-serverless-put-400.json)
    assert elsewhere.code == 1 and "Serverless FineTuning not supported in eastus2" in elsewhere.err
    emulator.world.add_registry_version("azureml", PHI4, "101", tags={"FinetuneRetirementDate": "2026-11-30"})
    refused = submit("--train", train, "--validation", valid, "--new")
    assert refused.code == 2, refused
    assert "serverless fine-tuning of Phi-4-mini-instruct version 101 retired on 2026-11-30" in refused.err
    assert emulator.world.created["jobs"] == 1


def test_a_retirement_date_does_not_stop_managed_compute(
    emulated_stack: EmulatedStack, assets: tuple[str, str], tmp_path: Path
) -> None:
    """Phi-3's FinetuneRetirementDate (2025-08-30, the real spec's value) ended serverless fine-tuning only."""
    outputs = outputs_with_compute(emulated_stack, tmp_path)
    train, valid = assets
    run = invoke(
        "--outputs", str(outputs), "finetune", "submit", "-m", "Phi-3-mini-4k-instruct", "--train", train,
        "--validation", valid, "-o", "json",
    )  # fmt: skip
    assert run.code == 0, run
    assert run.json()["mode"] == "managed-compute"


def test_deploying_a_managed_compute_model_serverless_is_warned_about(
    emulated_stack: EmulatedStack, assets: tuple[str, str], tmp_path: Path
) -> None:
    """Microsoft documents serverless deployment for serverless fine-tunes only: said, not refused (no source
    says the service refuses it), and not said for a serverless fine-tune."""
    outputs = outputs_with_compute(emulated_stack, tmp_path)
    train, valid = assets
    managed = invoke(
        "--outputs", str(outputs), "finetune", "submit", "-m", "Phi-3-mini-4k-instruct", "--train", train,
        "--validation", valid, "--wait", "-o", "json",
    ).json()["name"]  # fmt: skip
    deployed = invoke(
        "--outputs", str(outputs), "deploy", "create", "--job", managed, "--ttl", "1h", "-o", "json"
    )
    assert deployed.code == 0, deployed
    warned = [line for line in deployed.err.splitlines() if "managed compute" in line]
    assert warned == [
        f"warning: job {managed} was fine-tuned on managed compute (gpu); Microsoft documents serverless "
        "deployment for models fine-tuned serverless only (fine-tune-serverless.md), so the service may refuse "
        "this one: a managed online endpoint, outside this toolkit, serves it"
    ]
    model = deployed.json()["model_id"].split("/models/")[1].replace("/versions/", ":")
    assert invoke("--outputs", str(outputs), "deploy", "delete", deployed.json()["name"], "--yes").code == 0
    by_model = invoke("--outputs", str(outputs), "deploy", "create", "--model", model, "--ttl", "1h")
    assert by_model.code == 0, by_model  # the model version names its job: the same warning
    assert [line for line in by_model.err.splitlines() if "managed compute" in line] == warned
    serverless = submit("--train", train, "--validation", valid, "--wait").json()["name"]
    plain = invoke("deploy", "create", "--job", serverless, "--ttl", "1h")
    assert plain.code == 0 and "managed compute" not in plain.err


def test_models_list_live_shows_the_registry_beside_the_catalog(emulated_stack: EmulatedStack) -> None:
    run = invoke("models", "list", "--live", "-o", "json")
    assert run.code == 0, run
    rows = {m["model"]: m for m in run.json()["models"]}
    phi3 = rows["Phi-3-mini-4k-instruct"]["registry"]
    assert phi3["finetune_retirement"] == "2025-08-30" and phi3["retired"] is True
    assert rows[PHI4]["registry"]["retired"] is False and rows[PHI4]["registry"]["version"]
    table = invoke("models", "list", "--live")
    assert "REGISTRY" in table.out.splitlines()[0] and "(retired)" in table.out


def test_a_data_asset_too_long_for_the_model_is_refused_before_any_job(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    """The upload records the profile; a 20,000-token example fits Phi-4-mini (131k) but not Phi-4 (16k)."""
    path = write_jsonl(tmp_path / "long.jsonl", 12)
    long = (
        '{"messages": [{"role": "user", "content": "'
        + "word " * 20000
        + '"}, {"role": "assistant", "content": "ok then"}]}\n'
    )
    path.write_text(path.read_text(encoding="utf-8") + long, encoding="utf-8")
    asset = invoke("data", "upload", str(path), "-m", "Phi-4-mini-instruct", "-o", "json").json()["ref"]
    valid = invoke("data", "upload", str(write_jsonl(tmp_path / "v.jsonl", 12)), "-o", "json").json()["ref"]
    mini = invoke("finetune", "submit", "-m", PHI4, "--train", asset, "--validation", valid, "-o", "json")
    assert mini.code == 0, mini
    phi4 = invoke("finetune", "submit", "-m", "Phi-4", "--train", asset, "--validation", valid)
    assert phi4.code == 1, phi4  # another tokenizer: the file is read back from the datastore and validated
    assert (
        f"Error: data asset {asset.removeprefix('azureml:')}: invalid training data for Phi-4 (1 too_long)"
        in phi4.err
    )
    assert emulated_stack.emulator.world.created["jobs"] == 1


def test_a_validation_asset_read_back_is_checked_as_validation_data(
    emulated_stack: EmulatedStack, tmp_path: Path
) -> None:
    """A data asset recorded for another tokenizer is read back and validated for the model; one given as
    --validation is validation data whatever its name (4 examples: too few to train on, enough to validate)."""
    train = invoke("data", "upload", str(write_jsonl(tmp_path / "t.jsonl", 12)), "-o", "json").json()["ref"]
    held_out = write_jsonl(tmp_path / "holdout.jsonl", 4, "shipping")
    valid = invoke("data", "upload", str(held_out), "--for", "validation", "-o", "json").json()["ref"]
    run = invoke("finetune", "submit", "-m", "Phi-4", "--train", train, "--validation", valid, "-o", "json")
    assert run.code == 0, run  # Phi-4 counts with cl100k: both assets are read back and validated
    assert emulated_stack.emulator.world.created["jobs"] == 1
    ref = valid.removeprefix("azureml:")
    hint = "(hint: give --train a file or data asset of at least 10 examples)"
    for model in ("Phi-4", PHI4):  # read back (another tokenizer), and from the upload's tags (the same)
        swapped = invoke("finetune", "submit", "-m", model, "--train", valid, "--validation", train)
        assert swapped.code == 1, swapped  # as training data the 4 examples are too few
        assert swapped.errors == [
            f"Error: data asset {ref}: 4 example(s); fine-tuning needs at least 10 {hint}"
        ]
    assert emulated_stack.emulator.world.created["jobs"] == 1


def test_metrics_of_a_job_that_has_logged_nothing_yet_say_so(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    emulated_stack.emulator.settings.polls_per_step = 50  # it stays where it starts
    train, valid = assets
    job = submit("--train", train, "--validation", valid).json()["name"]
    status = invoke("finetune", "show", job, "-o", "json").json()["status"]
    run = invoke("finetune", "metrics", job, "-o", "json")
    assert run.code == 0, run
    assert run.json()["metrics"] == {}
    assert run.err == f"warning: job {job} has logged no metrics (it is {status}); they appear as it trains\n"


def test_metrics_per_step_as_table_json_csv_and_a_png(
    emulated_stack: EmulatedStack, assets: tuple[str, str], tmp_path: Path
) -> None:
    train, valid = assets
    job = submit("--train", train, "--validation", valid, "--wait").json()["name"]
    as_json = invoke("finetune", "metrics", job, "-o", "json")
    assert as_json.code == 0, as_json
    data = as_json.json()
    assert data["training_loss"] == "loss" and data["validation_loss"] == "eval_loss"  # Trainer's names
    losses = [p["value"] for p in data["metrics"]["loss"]]
    assert len(losses) == emulated_stack.emulator.settings.metric_steps and losses[-1] < losses[0]
    table = invoke("finetune", "metrics", job).out.splitlines()
    assert table[0].split()[:2] == ["STEP", "EPOCH"] and len(table) == 1 + len(losses)
    rows = list(csv.DictReader(io.StringIO(invoke("finetune", "metrics", job, "-o", "csv").out)))
    assert len(rows) == len(losses) and float(rows[0]["loss"]) == losses[0]
    png = tmp_path / "curves.png"
    assert invoke("finetune", "metrics", job, "--plot", str(png)).code == 0
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", head[16:24]) == (800, 450)
    from PIL import Image

    with Image.open(png) as image:  # both curves were drawn: more than two colours besides white/grey
        colours = {c for _, c in (image.convert("RGB").getcolors(1 << 20) or [])}
    assert len(colours) > 20


def test_metrics_in_azure_openai_names_are_read_too(
    emulated_stack: EmulatedStack, assets: tuple[str, str]
) -> None:
    from tests.emulator.state import AZURE_OPENAI_METRICS

    emulated_stack.emulator.settings.metric_names = AZURE_OPENAI_METRICS
    train, valid = assets
    job = submit("--train", train, "--validation", valid, "--wait").json()["name"]
    data = invoke("finetune", "metrics", job, "-o", "json").json()
    assert (data["training_loss"], data["validation_loss"]) == ("train_loss", "valid_loss")


def test_wait_shows_the_latest_loss_a_few_times_an_hour(
    emulated_stack: EmulatedStack, assets: tuple[str, str], clock: FakeClock
) -> None:
    emulated_stack.emulator.settings.polls_per_step = 30
    train, valid = assets
    job = submit("--train", train, "--validation", valid).json()["name"]
    run = invoke("finetune", "wait", job)
    assert run.code == 0, run
    assert "loss " in run.err and " at step " in run.err
    searches = emulated_stack.emulator.count("POST", "/runs/search")
    polls = emulated_stack.emulator.count("GET", f"/jobs/{job}")
    assert 0 < searches <= 1 + clock.t / 300 and searches < polls  # at most one metrics read per 5 minutes
