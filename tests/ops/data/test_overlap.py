"""`data overlap`: training examples that also occur in the validation file."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import cli
from ops.data import overlap as overlap_module
from ops.data.checks import normalise
from ops.data.dedup import SpillingBuckets
from ops.data.overlap import find_overlap
from ops.data.split import split_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


TOPICS = [
    "chain",
    "brakes",
    "saddle",
    "tyres",
    "spokes",
    "pedals",
    "gears",
    "lights",
    "bell",
    "frame",
    "fork",
    "grips",
]


def example(topic: str) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You are a concise assistant for a bicycle shop."},
                {"role": "user", "content": f"How do I look after the {topic}?"},
                {"role": "assistant", "content": f"Clean the {topic} and check it before every ride."},
            ]
        }
    )


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # train: 12 distinct examples, line 13 repeats line 2, line 14 is one more
    train = [example(t) for t in TOPICS] + [example(TOPICS[1]), example("basket")]
    (tmp_path / "train.jsonl").write_text("\n".join(train) + "\n")
    # validation: line 2 of train re-encoded differently (same turns), a new example, an invalid line
    same = json.dumps(json.loads(train[1]), ensure_ascii=True, indent=None, separators=(",", ":"))
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
        "near        0 training example(s) nearly the same as a validation example (case, whitespace, digits)\n"
        "skipped     val.jsonl: 1 line(s) not usable examples\n"
        "\n"
        "TRAIN LINE  VALIDATION LINE  MATCH\n"
        "2           3                exact\n"
        "13          3                exact\n"
    )
    assert result.stderr == (
        "Error: train.jsonl: 2 example(s) also in val.jsonl; val.jsonl: 1 line(s) are not usable examples and "
        "were not compared (hint: `foundry-ops data validate` explains unusable lines)\n"
    )


def test_json_and_cap(workdir: Path) -> None:
    result = CliRunner().invoke(
        cli, ["data", "overlap", "train.jsonl", "val.jsonl", "--max-listed", "1", "-o", "json"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data == {
        "ok": False,
        "train": "train.jsonl",
        "validation": "val.jsonl",
        "train_examples": 14,
        "validation_examples": 2,
        "shared": 2,
        "pairs": [{"train_line": 2, "validation_line": 3}],
        "near": 0,
        "near_pairs": [],
        "skipped": {"train": 0, "validation": 1},
    }


def test_no_overlap_exit_0(workdir: Path) -> None:
    (workdir / "other.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]})
        + "\n\n"
    )
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "other.jsonl"])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == (
        "train       train.jsonl (14 examples)\n"
        "validation  other.jsonl (1 example)\n"
        "shared      0 training example(s) also in the validation file\n"
        "near        0 training example(s) nearly the same as a validation example (case, whitespace, digits)\n"
    )


def chat(user: str, answer: str = "We are on it.", system: str | None = "Support bot.") -> str:
    messages = [{"role": "system", "content": system}] if system is not None else []
    messages += [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    return json.dumps({"messages": messages})


@pytest.fixture()
def near_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    train = [
        chat("Order 123 is late"),  # 1 near validation 2
        chat("Where is my parcel?"),  # 2 exact validation 1
        chat("Totally new question"),  # 3 no match
        chat("Refund for invoice 77, please.", "Done: refund 77 issued."),  # 4 near validation 3
        chat("Order 123 is late", system=None),  # 5 other roles: no match
        chat("where is my   PARCEL?"),  # 6 near validation 1 (its exact twin is line 2)
    ]
    validation = [
        chat("Where is my parcel?"),
        chat("order 456  is LATE"),
        chat("refund for INVOICE 9,  please.", "done: refund 9 issued."),
    ]
    (tmp_path / "train.jsonl").write_text("\n".join(train) + "\n")
    (tmp_path / "val.jsonl").write_text("\n".join(validation) + "\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_near_duplicates_are_found_and_counted_apart(near_files: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "val.jsonl"])
    assert result.exit_code == 1
    assert result.stdout == (
        "train       train.jsonl (6 examples)\n"
        "validation  val.jsonl (3 examples)\n"
        "shared      1 training example(s) also in the validation file\n"
        "near        3 training example(s) nearly the same as a validation example (case, whitespace, digits)\n"
        "\n"
        "TRAIN LINE  VALIDATION LINE  MATCH\n"
        "1           2                near\n"
        "2           1                exact\n"
        "4           3                near\n"
        "6           1                near\n"
    )
    assert result.stderr == (
        "Error: train.jsonl: 1 example(s) also in val.jsonl, 3 nearly the same as one in val.jsonl "
        "(case, whitespace, digits)\n"
    )


def test_near_duplicates_json(near_files: Path) -> None:
    result = CliRunner().invoke(
        cli, ["data", "overlap", "train.jsonl", "val.jsonl", "-o", "json", "--max-listed", "2"]
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (data["ok"], data["shared"], data["near"]) == (False, 1, 3)
    assert data["pairs"] == [{"train_line": 2, "validation_line": 1}]
    assert data["near_pairs"] == [
        {"train_line": 1, "validation_line": 2},
        {"train_line": 4, "validation_line": 3},
    ]


def test_only_near_overlap_still_exits_1(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text(chat("Order 123 is late") + "\n")
    (tmp_path / "v.jsonl").write_text(chat("order 456  is LATE") + "\n")
    result = find_overlap(tmp_path / "t.jsonl", tmp_path / "v.jsonl")
    assert (result.shared, result.near, result.near_pairs, result.ok) == (0, 1, [(1, 1)], False)
    run = CliRunner().invoke(cli, ["data", "overlap", str(tmp_path / "t.jsonl"), str(tmp_path / "v.jsonl")])
    assert run.exit_code == 1


def test_normalisation() -> None:
    assert normalise("Order 123 is late") == normalise("order 456  is LATE") == "order 0 is late"
    assert normalise("  Straße\t\n42 ") == "strasse 0"
    assert normalise("v1.2.3") == "v0.0.0"
    assert normalise("hello") != normalise("hallo")


def test_spilled_buckets_give_the_same_answer(near_files: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = find_overlap("train.jsonl", "val.jsonl")
    monkeypatch.setattr(overlap_module, "SpillingBuckets", partial(SpillingBuckets, buckets=3, spill_after=2))
    spilled = find_overlap("train.jsonl", "val.jsonl")
    assert spilled == whole


def test_missing_file_is_usage_error(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "overlap", "train.jsonl", "nope.jsonl"])
    assert (result.exit_code, result.stderr) == (2, "Error: nope.jsonl: no such file\n")


def test_split_outputs_never_overlap(tmp_path: Path) -> None:
    source = tmp_path / "all.jsonl"
    source.write_bytes((FIXTURES / "duplicate.jsonl").read_bytes())
    result = split_file(source, validation_fraction=0.3, seed=3, out_dir=tmp_path / "out")
    found = find_overlap(result.train.path, result.validation.path)
    assert found.shared == 0
    # split keeps exact twins together, not near ones: these templated examples differ only in digits
    assert found.near == found.train_examples
    # and the split's own inputs do overlap with each side
    assert find_overlap(source, result.validation.path).shared >= result.validation.examples
