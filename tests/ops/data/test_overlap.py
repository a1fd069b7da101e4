"""`data overlap`: training examples that also occur in the validation file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import cli
from ops.data.overlap import find_overlap
from ops.data.split import split_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(FIXTURES / "duplicate.jsonl", tmp_path / "train.jsonl")
    lines = (FIXTURES / "duplicate.jsonl").read_text().splitlines()
    # validation: line 2 of train re-encoded differently (same turns), a new example, an invalid line
    same = json.dumps(json.loads(lines[1]), ensure_ascii=True, indent=None, separators=(",", ":"))
    new = json.dumps(
        {"messages": [{"role": "user", "content": "new"}, {"role": "assistant", "content": "fresh"}]}
    )
    (tmp_path / "val.jsonl").write_text("\n".join([new, "{broken", same]) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_shared_examples_are_listed_with_both_lines(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "val.jsonl"])
    assert result.exit_code == 1
    # train.jsonl repeats its line 2 on line 13: both are shared with validation line 3
    assert result.stdout == (
        "train       train.jsonl (14 examples)\n"
        "validation  val.jsonl (2 examples)\n"
        "shared      2 training example(s) also in the validation file\n"
        "\n"
        "TRAIN LINE  VALIDATION LINE\n"
        "2           3\n"
        "13          3\n"
    )


def test_json_and_cap(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["data", "overlap", "train.jsonl", "val.jsonl", "--max-listed", "1", "-o", "json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["ok"], data["shared"], data["pairs"]) == (
        False,
        2,
        [{"train_line": 2, "validation_line": 3}],
    )


def test_no_overlap_exit_0(workdir: Path) -> None:
    (workdir / "other.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
        + "\n"
    )
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "other.jsonl"])
    assert result.exit_code == 0
    assert "shared      0 training example(s) also in the validation file" in result.stdout


def test_missing_file_is_usage_error(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "nope.jsonl"])
    assert (result.exit_code, result.stderr) == (2, "Error: nope.jsonl: no such file\n")


def test_split_outputs_never_overlap(tmp_path: Path) -> None:
    source = tmp_path / "all.jsonl"
    source.write_bytes((FIXTURES / "duplicate.jsonl").read_bytes())
    result = split_file(source, validation_fraction=0.3, seed=3, out_dir=tmp_path / "out")
    assert find_overlap(result.train.path, result.validation.path).shared == 0
    # and the split's own inputs do overlap with each side
    assert find_overlap(source, result.validation.path).shared >= result.validation.examples
