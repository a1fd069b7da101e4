"""Deterministic names: the basis of idempotent submit/deploy/upload."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from ops.flows.naming import (
    ENDPOINT_NAME_MAX,
    data_name,
    data_version,
    digest,
    endpoint_name,
    file_sha256,
    job_name,
    output_model_name,
    slug,
)


def test_job_name_is_stable_and_input_sensitive() -> None:
    inputs = {"model": "m", "train": "azureml:t:1", "hyperparameters": {"a": "1"}}
    assert job_name("Phi-4-mini-instruct", inputs) == job_name(
        "Phi-4-mini-instruct", dict(reversed(inputs.items()))
    )
    assert job_name("Phi-4-mini-instruct", inputs).startswith("ft-phi-4-mini-instruct-")
    changed = {**inputs, "hyperparameters": {"a": "2"}}
    assert job_name("Phi-4-mini-instruct", inputs) != job_name("Phi-4-mini-instruct", changed)


def test_new_job_names_differ_each_time() -> None:
    inputs = {"x": 1}
    first, second = job_name("Phi-4", inputs, new=True), job_name("Phi-4", inputs, new=True)
    assert first != second
    assert first.startswith(job_name("Phi-4", inputs) + "-")


def test_endpoint_name_fits_and_carries_model_hash() -> None:
    name = endpoint_name(
        "phi-4-mini-instruct-ft-a-very-long-suffix-indeed", "azureml://x/models/m/versions/1"
    )
    assert len(name) <= ENDPOINT_NAME_MAX
    assert name.endswith("-" + digest("azureml://x/models/m/versions/1")[:6])
    assert endpoint_name("m", "id-1") != endpoint_name("m", "id-2")


@given(st.text(max_size=80))
def test_slug_is_always_a_valid_name(text: str) -> None:
    value = slug(text, 30)
    assert re.fullmatch(r"[a-z][a-z0-9-]*", value), value
    assert len(value) <= 30
    assert "--" not in value


def test_data_version_is_content_addressed(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    b = tmp_path / "b.jsonl"
    a.write_text('{"messages": []}\n')
    b.write_text('{"messages": []}\n')
    assert data_version(file_sha256(a)) == data_version(file_sha256(b))
    b.write_text('{"messages": [1]}\n')
    assert data_version(file_sha256(a)) != data_version(file_sha256(b))
    assert data_version(file_sha256(a)) == file_sha256(a)[:12]


def test_data_name_and_output_model_name() -> None:
    assert data_name(Path("my train (v2).jsonl")) == "my-train-v2"
    assert data_name(Path("....jsonl")) == "dataset"
    assert output_model_name("Phi-4-mini-instruct", "Support Bot", {}) == "phi-4-mini-instruct-ft-support-bot"
    assert output_model_name("Phi-4", None, {"a": 1}) == "phi-4-ft-" + digest({"a": 1})[:8]
