"""Split: exact shares, seeds, and nothing half-created when something goes wrong."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.errors import DataError, ToolkitError, UsageError
from ops.cli import cli
from ops.data import split as split_module
from ops.data.split import choose_boundary, split_file


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


# The split of write(path, 1000) with seed 1 and fraction 0.1, as every version since the split by keyed
# hash has made it (taken from the implementation that parsed the file three times): "same file and
# seed, same split" holds across versions, so a pipeline's train/validation files do not move on upgrade.
PINNED = (
    (900, "8de1548bd9dd9d8721e4e80de7ba91e7726c04b44f05b9a98e5266ca7698f5bb"),
    (100, "70d8f28474fd9d8410b082c681035168eab8b26c8d14264872c9f97575dd8337"),
)


def test_the_split_of_a_file_and_seed_never_changes(tmp_path: Path) -> None:
    result = split_file(
        write(tmp_path / "all.jsonl", 1000), validation_fraction=0.1, seed=1, out_dir=tmp_path / "o"
    )
    assert (
        (result.train.examples, result.train.sha256),
        (result.validation.examples, result.validation.sha256),
    ) == PINNED


def test_many_ranges_and_workers_split_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Digests come from the validation's ranges; across worker processes they must be the stable ones,
    in file order."""
    from ops.data import validate as validate_module

    real = validate_module.plan_ranges
    monkeypatch.setattr(validate_module, "plan_ranges", lambda size, _: real(size, 4096))
    source = write(tmp_path / "all.jsonl", 1000)
    assert len(real(source.stat().st_size, 4096)) > 20
    result = split_file(source, validation_fraction=0.1, seed=1, out_dir=tmp_path / "o", workers=2)
    assert (
        (result.train.examples, result.train.sha256),
        (result.validation.examples, result.validation.sha256),
    ) == PINNED


@pytest.mark.parametrize("existing", [False, True], ids=["new out dir", "outputs exist"])
def test_a_file_changed_while_split_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    if existing:
        out.mkdir()
        (out / "train.jsonl").write_text("old train\n")
        (out / "validation.jsonl").write_text("old validation\n")
    real = split_module.validate_file

    def then_append(*args, **kwargs):  # type: ignore[no-untyped-def]
        report = real(*args, **kwargs)
        with source.open("a") as f:  # another process adds an example after validation
            f.write(source.read_text().splitlines()[0] + "\n")
        return report

    monkeypatch.setattr(split_module, "validate_file", then_append)
    with pytest.raises(
        ToolkitError, match=r"all.jsonl: changed while it was being split; nothing was written"
    ):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=out, force=True)
    if existing:
        assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]
        assert (out / "train.jsonl").read_text() == "old train\n"
    else:
        assert not out.exists()


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
    with pytest.raises(DataError, match="identical examples must stay on one side"):
        split_file(source, validation_fraction=0.5, seed=0, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("examples", [0, 1])
def test_fewer_than_two_examples_is_a_data_error(tmp_path: Path, examples: int) -> None:
    """Whatever the fraction: the data, not the option, is what cannot be split (exit 1, not 2)."""
    source = tmp_path / "few.jsonl"
    source.write_text(write(tmp_path / "one.jsonl", 1).read_text() * examples)
    with pytest.raises(DataError, match=rf"few.jsonl has {examples} example\(s\); a split needs at least 2$"):
        split_file(source, validation_fraction=0.5, seed=0, out_dir=tmp_path / "out")
    assert DataError("x").exit_code == 1
    assert not (tmp_path / "out").exists()


def test_failure_mid_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    real = split_module._lines

    def failing(path: str):  # type: ignore[no-untyped-def]
        for i, item in enumerate(real(path)):
            if i == 20:  # half-way through the writing pass
                raise OSError("disk full")
            yield item

    monkeypatch.setattr(split_module, "_lines", failing)
    with pytest.raises(ToolkitError, match="new/out: cannot write: disk full"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path / "new" / "out")
    assert not (tmp_path / "new").exists()  # every directory the split created is gone again


def test_failure_keeps_existing_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    out.mkdir()
    (out / "train.jsonl").write_text("old train\n")
    (out / "validation.jsonl").write_text("old validation\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("rename failed")

    monkeypatch.setattr(split_module.os, "replace", broken_replace)
    with pytest.raises(ToolkitError, match="cannot write: rename failed"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=out, force=True)
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]
    assert (out / "train.jsonl").read_text() == "old train\n"


def old_pair(out: Path) -> None:
    out.mkdir()
    (out / "train.jsonl").write_text("old train\n")
    (out / "validation.jsonl").write_text("old validation\n")


def pair_state(out: Path) -> tuple[str, str]:
    """("old"/"new"/"none", ...) for train.jsonl and validation.jsonl."""

    def one(p: Path) -> str:
        if not p.exists():
            return "none"
        return "old" if p.read_text().startswith("old") else "new"

    return one(out / "train.jsonl"), one(out / "validation.jsonl")


def test_swap_never_shows_a_new_file_beside_an_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    old_pair(out)
    real = os.replace
    seen: list[tuple[str, str]] = []

    def watched(src: str, dst: str) -> None:
        real(src, dst)
        seen.append(pair_state(out))

    monkeypatch.setattr(split_module.os, "replace", watched)
    split_file(source, validation_fraction=0.2, seed=0, out_dir=out, force=True)
    assert seen[-1] == ("new", "new")
    assert not {("new", "old"), ("old", "new")} & set(seen), seen
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]  # staging gone


def test_second_rename_failing_keeps_the_old_pair(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new train.jsonl is already in place when the new validation.jsonl cannot follow: it is
    moved back out and the old pair restored, through the CLI."""
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    old_pair(out)
    real = os.replace
    seen: list[tuple[str, str]] = []

    def second_new_fails(src: str, dst: str) -> None:
        if Path(dst) == out / "validation.jsonl" and ".split." in str(src) and "old-" not in str(src):
            assert pair_state(out) == ("new", "none")  # the first new file is in, the old pair aside
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)
        seen.append(pair_state(out))

    monkeypatch.setattr(split_module.os, "replace", second_new_fails)
    result = CliRunner().invoke(
        cli, ["data", "split", str(source), "-f", "0.2", "-d", str(out), "--force"], catch_exceptions=False
    )
    assert result.exit_code == 1
    assert result.stderr == f"Error: {out}: cannot write: Input/output error\n"
    assert result.stdout == ""
    assert pair_state(out) == ("old", "old")
    assert (out / "train.jsonl").read_text() == "old train\n"
    assert (out / "validation.jsonl").read_text() == "old validation\n"
    assert sorted(p.name for p in out.iterdir()) == ["train.jsonl", "validation.jsonl"]
    assert not {("new", "old"), ("old", "new")} & set(seen), seen


def test_an_undo_that_fails_too_says_where_the_old_files_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write(tmp_path / "all.jsonl", 50)
    out = tmp_path / "out"
    old_pair(out)
    real = os.replace

    def stuck(src: str, dst: str) -> None:
        # the new validation.jsonl cannot go in, nor can the new train.jsonl go back out, nor the old
        # validation.jsonl come back
        if Path(dst) == out / "validation.jsonl" or (
            Path(src) == out / "train.jsonl" and "old-" not in str(dst)
        ):
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(split_module.os, "replace", stuck)
    result = CliRunner().invoke(
        cli, ["data", "split", str(source), "-f", "0.2", "-d", str(out), "--force"], catch_exceptions=False
    )
    assert result.exit_code == 1
    [staging] = out.glob(".split.*.tmp")
    assert result.stderr == (
        f"Error: {out}: swapping in the new files failed ([Errno 5] Input/output error) and could not be "
        f"undone (hint: the previous files are in {staging}; move them back by hand)\n"
    )
    assert (staging / "old-validation.jsonl").read_text() == "old validation\n"
    assert pair_state(out) == ("old", "none")  # never a new file beside an old one


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


def _boundary_by_definition(histogram: list[int], wanted: int, total: int) -> tuple[int, int]:
    """choose_boundary's contract, spelt out: try every boundary, keep the first best."""
    below = [sum(histogram[:b]) for b in range(len(histogram) + 1)]
    scores = [(0 if 0 < n < total else 1, abs(n - wanted), b) for b, n in enumerate(below)]
    best = min(scores)[2]
    return best, below[best]


def test_choose_boundary_matches_its_definition() -> None:
    """The bisect search against trying every boundary: sparse and dense histograms, ties, runs of
    empty buckets, all examples in one bucket, every wanted count."""
    import random
    from array import array

    rng = random.Random(7)
    cases = [[0, 5, 0], [2, 3, 5], [0, 0, 1, 0, 0, 1, 0], [1, 1], [3], [0, 0, 0, 4, 0, 0]]
    for _ in range(300):
        size = rng.randint(1, 40)
        density = rng.choice([0.05, 0.3, 0.9])
        cases.append([rng.randint(1, 3) if rng.random() < density else 0 for _ in range(size)])
    for histogram in cases:
        total = sum(histogram)
        for wanted in range(total + 1):
            expected = _boundary_by_definition(histogram, wanted, total)
            assert choose_boundary(array("I", histogram), wanted, total) == expected, (histogram, wanted)


def test_data_errors_are_data_errors(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 20)
    with source.open("a") as f:
        f.write("{broken\n")
    with pytest.raises(DataError, match=r"has errors \(1 invalid_json\); the first, line 21"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_out_dir_under_a_file(tmp_path: Path) -> None:
    source = write(tmp_path / "all.jsonl", 20)
    with pytest.raises(UsageError, match=r"sub: cannot create the directory: .*all.jsonl is not a directory"):
        split_file(source, validation_fraction=0.2, seed=0, out_dir=tmp_path / "all.jsonl" / "sub")
