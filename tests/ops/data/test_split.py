"""Split: exact shares, seeds, and nothing half-created when something goes wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ops.data import split as split_module
from ops.data.split import choose_boundary, split_file
from ops.errors import UsageError


def write(path: Path, n: int) -> Path:
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": "S"},
                    {"role": "user", "content": f"question {i}"},
                    {"role": "assistant", "content": f"answer {i}"},
                ]
            }
        )
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_fraction_is_met_closely(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 1000)
    result = split_file(source, validation_fraction=0.1, seed=1, out_dir=tmp_path / "out")
    assert result.train.examples + result.validation.examples == 1000
    assert abs(result.validation.examples - 100) <= 2
    assert result.to_dict()["validation"]["path"] == str(tmp_path / "out" / "validation.jsonl")


def test_other_seed_other_split(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 200)
    a = split_file(source, validation_fraction=0.2, seed=1, out_dir=tmp_path / "a")
    b = split_file(source, validation_fraction=0.2, seed=2, out_dir=tmp_path / "b")
    assert a.validation.sha256 != b.validation.sha256


def test_too_small_to_split(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 3)
    with pytest.raises(
        UsageError, match=r"cannot be split with a validation fraction of 0\.01: one side would get 0"
    ):
        split_file(source, validation_fraction=0.01, seed=0, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_all_identical_cannot_be_split(tmp_path: Path) -> None:
    source = tmp_path / "all.jsonl"
    source.write_text((write(tmp_path / "one.jsonl", 1).read_text()) * 12)
    with pytest.raises(UsageError, match="identical examples must stay on one side"):
        split_file(source, validation_fraction=0.5, seed=0, out_dir=tmp_path / "out")


def test_failure_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    real = split_module._examples
    calls = {"n": 0}

    def failing(path: Path, seed: int):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        for i, item in enumerate(real(path, seed)):
            if calls["n"] == 2 and i == 20:  # second pass = the writing pass
                raise OSError("disk full")
            yield item

    monkeypatch.setattr(split_module, "_examples", failing)
    with pytest.raises(OSError, match="disk full"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path / "new" / "out")
    assert not (tmp_path / "new" / "out").exists()


def test_failure_keeps_existing_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.jsonl").write_text("old train\n")
    (out / "validation.jsonl").write_text("old validation\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(split_module.os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]
    assert (out / "train.jsonl").read_text() == "old train\n"


def test_input_cannot_be_an_output(tmp_path: Path) -> None:
    source = write(tmp_path / "train.jsonl", 20)
    with pytest.raises(UsageError, match="is the input file"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path, force=True)


def test_out_dir_that_is_a_file(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 20)
    (tmp_path / "f").write_text("")
    with pytest.raises(UsageError, match="exists and is not a directory"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path / "f")


def test_choose_boundary_prefers_non_empty_sides() -> None:
    from array import array

    # all examples in one bucket (all duplicates): no boundary gives two non-empty sides
    assert choose_boundary(array("I", [0, 5, 0]), wanted=1, total=5) == (0, 0)
    assert choose_boundary(array("I", [2, 3, 5]), wanted=4, total=10) == (2, 5)
    assert choose_boundary(array("I", [2, 3, 5]), wanted=0, total=10) == (1, 2)
