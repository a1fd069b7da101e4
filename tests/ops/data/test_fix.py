"""`data fix FILE --out CLEAN`: every change reported with its line and reason, a copy that validates,
never FILE itself, never a half-written or silently replaced --out."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.cli import cli
from ops.data import fix as fix_module
from ops.data.fix import fix_file
from ops.data.tokens import load_encoding
from ops.data.validate import validate_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"
SYSTEM = "You are terse."
LONG = "hello" + " hello" * 16_999  # over Phi-4's 16,384 tokens (nothing to trim)


def msgs(user: str, answer: str, role: str = "user") -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": role, "content": user},
                {"role": "assistant", "content": answer},
            ]
        }
    )


def ex(i: int) -> str:
    return msgs(f"question {i}", f"answer {i}")


def long_tokens() -> int:
    enc = load_encoding("cl100k_base")
    return enc.count(SYSTEM) + enc.count("question 99") + enc.count(LONG) + 3 * 4


DIRTY: list[bytes] = [
    ex(0).encode(),  # 1 kept
    b"",  # 2 blank
    b"{broken",  # 3 invalid JSON
    msgs("  question 0  ", "answer 0").encode(),  # 4 equals line 1 once trimmed
    msgs("question 1", "answer 1\n").encode(),  # 5 trimmed, kept
    msgs("   ", "answer 2").encode(),  # 6 user message left empty by trimming
    ex(0).encode(),  # 7 exact duplicate of line 1
    msgs("question 99", LONG).encode(),  # 8 too long for Phi-4
    msgs("hi", "answer 3", role="bot").encode(),  # 9 unknown role
    b'{"messages": "caf\xe9"}',  # 10 not UTF-8
    *(ex(i).encode() for i in range(2, 14)),  # 11-22 kept
    b"\t",  # 23 blank
]


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "dirty.jsonl").write_bytes(b"\n".join(DIRTY) + b"\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def expected_changes() -> list[tuple[int | str, str, str]]:
    return [
        (2, "removed", "blank line"),
        (
            3,
            "dropped",
            "invalid_json: not valid JSON: Expecting property name enclosed in double quotes at column 2",
        ),
        (4, "dropped", "duplicate: same example as line 1 after trimming whitespace"),
        (5, "trimmed", "leading/trailing whitespace trimmed: message 3 (assistant)"),
        (6, "dropped", "empty_content: message 2 (user) has empty content after trimming whitespace"),
        (7, "dropped", "duplicate: same example as line 1"),
        (8, "dropped", f"too_long: {long_tokens():,} tokens, over the Phi-4 context length of 16,384"),
        (9, "dropped", "unknown_role: message 2 has role 'bot' (use system, user or assistant)"),
        (10, "dropped", "not_utf8: not UTF-8: byte 0xe9 at column 18"),
        (23, "removed", "blank line"),
    ]


def test_fix_reports_every_change_and_the_copy_validates(workdir: Path) -> None:
    code, out, err = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl", "-m", "Phi-4")
    assert (code, err) == (0, "")
    head, changes = out.split("\n\n")
    assert head.splitlines() == [
        "file     dirty.jsonl (23 lines, 21 examples)",
        "out      clean.jsonl (14 examples)",
        "model    Phi-4",
        "changes  7 dropped, 1 trimmed, 2 removed",
    ]
    rows = changes.splitlines()
    assert rows[0].split() == ["LINE", "ACTION", "REASON"]
    width = rows[0].index("REASON")
    assert [(r[:6].strip(), r[6:width].strip(), r[width:]) for r in rows[1:]] == [
        (str(line), action, reason) for line, action, reason in expected_changes()
    ]
    # the copy: the kept lines, unchanged bytes except the trimmed one
    assert (workdir / "clean.jsonl").read_text(encoding="utf-8").splitlines() == [
        ex(0),
        ex(1),
        *(ex(i) for i in range(2, 14)),
    ]
    # and it passes the validator with the same model
    code, out, err = run("data", "validate", "clean.jsonl", "-m", "Phi-4")
    assert (code, err) == (0, "")
    assert "result    OK: 0 errors, 0 warnings" in out


def test_fix_json(workdir: Path) -> None:
    code, out, _ = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl", "-m", "Phi-4", "-o", "json")
    assert code == 0
    data = json.loads(out)
    sha = hashlib.sha256((workdir / "clean.jsonl").read_bytes()).hexdigest()
    assert {k: v for k, v in data.items() if k != "changes"} == {
        "written": True,
        "file": "dirty.jsonl",
        "out": "clean.jsonl",
        "model": "Phi-4",
        "purpose": "training",
        "lines": 23,
        "examples": 21,
        "kept": 14,
        "sha256": sha,
        "counts": {"dropped": 7, "trimmed": 1, "removed": 2},
        "remaining": [],
    }
    assert [(c["line"], c["action"], c["reason"]) for c in data["changes"]] == expected_changes()
    assert [c["categories"] for c in data["changes"]] == [
        ["blank_line"],
        ["invalid_json"],
        ["duplicate"],
        [],
        ["empty_content"],
        ["duplicate"],
        ["too_long"],
        ["unknown_role"],
        ["not_utf8"],
        ["blank_line"],
    ]


def test_default_model_keeps_what_fits_its_context(workdir: Path) -> None:
    """Without --model, Phi-4-mini-instruct's 131,072 tokens apply: line 8 fits and is kept."""
    result = fix_file(workdir / "dirty.jsonl", workdir / "clean.jsonl")
    assert 8 not in {c.line for c in result.changes}
    assert result.kept == 15
    assert validate_file(workdir / "clean.jsonl").ok


def test_a_clean_file_is_copied_unchanged(tmp_path: Path) -> None:
    source = FIXTURES / "valid.jsonl"
    result = fix_file(source, tmp_path / "copy.jsonl")
    assert (result.written, result.changes, result.counts()) == (True, [], {})
    assert (tmp_path / "copy.jsonl").read_bytes() == source.read_bytes()


def test_line_ends_and_byte_order_mark_are_normalised_and_reported(tmp_path: Path) -> None:
    result = fix_file(FIXTURES / "bom_crlf.jsonl", tmp_path / "a.jsonl")
    crlf = (FIXTURES / "bom_crlf.jsonl").read_bytes().count(b"\r\n")
    assert [(c.line, c.action, c.reason) for c in result.changes] == [
        (0, "normalised", "UTF-8 byte-order mark removed"),
        (0, "normalised", f"{crlf} CRLF line end(s) written as LF"),
    ]
    assert b"\r" not in (tmp_path / "a.jsonl").read_bytes()
    assert not (tmp_path / "a.jsonl").read_bytes().startswith(b"\xef\xbb\xbf")

    source = FIXTURES / "no_final_newline.jsonl"
    lines = source.read_bytes().count(b"\n") + 1
    result = fix_file(source, tmp_path / "b.jsonl")
    assert [(c.line, c.action, c.reason) for c in result.changes] == [
        (lines, "normalised", "newline added at the end of the last line")
    ]
    assert (tmp_path / "b.jsonl").read_bytes() == source.read_bytes() + b"\n"


def test_existing_out_is_only_replaced_with_force(workdir: Path) -> None:
    (workdir / "clean.jsonl").write_text("old\n")
    code, out, err = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl")
    assert (code, out) == (2, "")
    assert err == "Error: clean.jsonl: already exists; pass --force to replace it\n"
    assert (workdir / "clean.jsonl").read_text() == "old\n"
    code, _, _ = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl", "--force")
    assert code == 0
    assert (workdir / "clean.jsonl").read_text().startswith(ex(0))


@pytest.mark.parametrize("spelling", ["dirty.jsonl", "./dirty.jsonl", "link.jsonl", "{tmp}/dirty.jsonl"])
def test_out_is_never_the_input(workdir: Path, spelling: str) -> None:
    (workdir / "link.jsonl").symlink_to(workdir / "dirty.jsonl")
    before = (workdir / "dirty.jsonl").read_bytes()
    out = spelling.format(tmp=workdir)
    code, stdout, err = run("data", "fix", "dirty.jsonl", "--out", out, "--force")
    assert (code, stdout) == (2, "")
    assert err == f"Error: {Path(out)}: is the input file; write the cleaned copy to another --out\n"
    assert (workdir / "dirty.jsonl").read_bytes() == before


def test_nothing_valid_left_writes_nothing(workdir: Path) -> None:
    (workdir / "bad.jsonl").write_bytes(b"{broken\n\n[1]\n")
    code, out, err = run("data", "fix", "bad.jsonl", "--out", "clean.jsonl")
    assert code == 1
    assert out == (
        "file     bad.jsonl (3 lines, 2 examples)\n"
        "out      clean.jsonl: not written, no valid example left\n"
        "model    Phi-4-mini-instruct\n"
        "changes  2 dropped, 1 removed\n"
        "\n"
        "LINE  ACTION   REASON\n"
        "1     dropped  invalid_json: not valid JSON: Expecting property name enclosed in double quotes at column 2\n"
        "2     removed  blank line\n"
        "3     dropped  not_object: expected a JSON object with `messages`, got a list\n"
    )
    assert err == (
        "Error: bad.jsonl: no valid example left; clean.jsonl was not written "
        "(hint: `foundry-ops data validate bad.jsonl` lists the errors)\n"
    )
    assert sorted(p.name for p in workdir.iterdir()) == ["bad.jsonl", "dirty.jsonl"]


def test_too_few_examples_left_is_said(workdir: Path) -> None:
    (workdir / "few.jsonl").write_text("\n".join(ex(i) for i in range(3)) + "\n{broken\n")
    code, out, err = run("data", "fix", "few.jsonl", "--out", "clean.jsonl", "-o", "json")
    assert code == 0
    assert json.loads(out)["remaining"] == [
        {"category": "too_few_examples", "message": "3 example(s) left; fine-tuning needs at least 10"}
    ]
    assert err == (
        "warning: clean.jsonl: 3 example(s) left; fine-tuning needs at least 10 "
        "(too_few_examples; `data validate` still reports it)\n"
    )


def test_a_failed_write_leaves_the_old_out_and_no_temporary_file(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "clean.jsonl").write_text("old\n")
    real = fix_module._retrimmed

    def disk_full(raw: bytes) -> bytes:
        # the copy is being written: --out still holds the old content, the new one is elsewhere
        assert (workdir / "clean.jsonl").read_text() == "old\n"
        assert [p.name for p in workdir.glob(".clean.jsonl.*.tmp")]
        real(raw)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(fix_module, "_retrimmed", disk_full)
    code, _, err = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl", "--force")
    assert code == 1
    assert err == "Error: clean.jsonl: cannot write: No space left on device\n"
    assert (workdir / "clean.jsonl").read_text() == "old\n"
    assert sorted(p.name for p in workdir.iterdir()) == ["clean.jsonl", "dirty.jsonl"]


def test_a_failed_rename_leaves_the_old_out(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "clean.jsonl").write_text("old\n")

    def no_rename(src: str, dst: str) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", src, None, dst)

    monkeypatch.setattr("ops.data.files.os.replace", no_rename)
    code, _, err = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl", "--force")
    assert code == 2
    assert err == "Error: clean.jsonl: cannot write: Permission denied\n"
    assert (workdir / "clean.jsonl").read_text() == "old\n"
    assert sorted(p.name for p in workdir.iterdir()) == ["clean.jsonl", "dirty.jsonl"]


def test_input_changing_while_fixed_writes_nothing(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = fix_module._retrimmed

    def meddle(raw: bytes) -> bytes:
        with (workdir / "dirty.jsonl").open("ab") as f:
            f.write(ex(77).encode() + b"\n")
        return real(raw)

    monkeypatch.setattr(fix_module, "_retrimmed", meddle)
    code, _, err = run("data", "fix", "dirty.jsonl", "--out", "clean.jsonl")
    assert code == 1
    assert err == "Error: dirty.jsonl: changed while it was being fixed; clean.jsonl was not written\n"
    assert not (workdir / "clean.jsonl").exists()


# Lines a generated file is made of: clean, padded, broken in every way the validator names.
POOL = [
    ex(0),
    ex(1),
    msgs(" question 0", "answer 0 "),
    msgs("question 2", "\n\n"),
    msgs("question 3", "answer 3", role="tool"),
    msgs("", "answer 4"),
    '{"messages": []}',
    '{"messages": [{"role": "user", "content": "q"}]}',
    '{"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a!"}, '
    '{"role": "assistant", "content": "b!"}]}',
    '{"messages": [{"role": "user", "content": ["parts"]}, {"role": "assistant", "content": "abc"}]}',
    '{"messages": [{"role": "user", "content": "q", "name": "x"}, {"role": "assistant", "content": "abc"}]}',
    '{"messages": [{"role": "user", "content": "q \\ud800"}, {"role": "assistant", "content": "abc"}]}',
    "[1, 2]",
    "{nope",
    "",
    "   ",
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    picks=st.lists(st.integers(min_value=0, max_value=len(POOL) + 11), min_size=1, max_size=40),
    crlf=st.booleans(),
)
def test_generated_files_fix_to_a_copy_that_validates(picks: list[int], crlf: bool) -> None:
    lines = [POOL[p].encode() if p < len(POOL) else ex(p).encode() for p in picks]
    lines = [b"\xff\xfe" if p == len(POOL) + 11 else line for p, line in zip(picks, lines, strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_bytes((b"\r\n" if crlf else b"\n").join(lines) + b"\n")
        result = fix_file(source, target)
        touched = {c.line for c in result.changes if c.action in ("dropped", "removed")}
        assert result.kept == len(lines) - len(touched)
        if not result.written:
            assert result.kept == 0 and not target.exists()
            return
        report = validate_file(target)
        assert set(report.error_counts) <= {"too_few_examples"}
        assert report.examples == report.valid_examples == result.kept
        assert "duplicate" not in report.warning_counts
        # fixing the copy again changes nothing
        again = fix_file(target, Path(tmp) / "again.jsonl")
        assert again.changes == []
        shutil.rmtree(tmp, ignore_errors=True)


def _fixed(source: Path, target: Path, **options: object) -> tuple[object, bytes | None]:
    result = fix_file(source, target, force=True, **options)  # type: ignore[arg-type]
    copy = target.read_bytes() if result.written else None
    return result._replace(out=""), copy


def test_ranges_in_workers_fix_as_one_pass_does(workdir: Path) -> None:
    # the dirty file five times over: duplicates, drops and trims land in ranges far from their originals
    source = workdir / "five.jsonl"
    source.write_bytes((b"\n".join(DIRTY) + b"\n") * 5)
    whole = _fixed(source, workdir / "whole.jsonl", workers=1)
    for workers, range_bytes in ((2, 200), (2, 4096), (1, 333)):
        assert _fixed(source, workdir / "ranged.jsonl", workers=workers, range_bytes=range_bytes) == whole
    result = whole[0]
    assert isinstance(result, fix_module.FixResult)
    assert result.kept == 15  # the first copy's lines 1, 5, 8 (fits the default model) and 11-22
    of_line_1 = [c.line for c in result.changes if c.reason.split(" after")[0].endswith("as line 1")]
    assert of_line_1 == [4, 7] + [n + 23 * k for k in range(1, 5) for n in (1, 4, 7)]


@settings(max_examples=25, deadline=None)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=len(POOL) + 11), min_size=1, max_size=120),
    range_bytes=st.integers(min_value=1, max_value=2048),
)
def test_generated_files_fix_the_same_in_ranges(picks: list[int], range_bytes: int) -> None:
    lines = [POOL[p].encode() if p < len(POOL) else ex(p).encode() for p in picks]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "in.jsonl"
        source.write_bytes(b"\n".join(lines) + b"\n")
        whole = _fixed(source, Path(tmp) / "whole.jsonl", workers=1)
        ranged = _fixed(source, Path(tmp) / "ranged.jsonl", workers=2, range_bytes=range_bytes)
        assert ranged == whole
