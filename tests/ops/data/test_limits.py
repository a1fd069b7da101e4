"""File-level and size rules: context length, 512 MB, over-long lines, issue caps, odd Unicode."""

from __future__ import annotations

import json
from pathlib import Path

from ops.data.rules import MAX_FILE_BYTES
from ops.data.tokens import load_encoding
from ops.data.validate import validate_file

SYSTEM = "You are terse."


def ex(i: int, answer: str | None = None) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": answer or f"answer {i}"},
            ]
        }
    )


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def phi4_tokens(answer: str, i: int) -> int:
    enc = load_encoding("cl100k_base")
    return enc.count(SYSTEM) + enc.count(f"question {i}") + enc.count(answer) + 3 * 4


def test_too_long_and_near_limit_for_phi4(tmp_path: Path) -> None:
    long_answer = "hello " * 17_000  # Phi-4's context is 16,384
    near_answer = "hello " * 15_000  # above 90% of it
    lines = [ex(i) for i in range(12)]
    lines[3] = ex(3, long_answer)
    lines[7] = ex(7, near_answer)
    report = validate_file(write(tmp_path / "t.jsonl", lines), "Phi-4")
    long_tokens, near_tokens = phi4_tokens(long_answer, 3), phi4_tokens(near_answer, 7)
    assert [(i.line, i.category, i.message) for i in report.errors] == [
        (4, "too_long", f"{long_tokens:,} tokens, over the Phi-4 context length of 16,384")
    ]
    assert [(i.line, i.category, i.message) for i in report.warnings] == [
        (8, "near_limit", f"{near_tokens:,} tokens, over 90% of the context length of 16,384")
    ]
    # the statistics describe every countable example, the over-long one included
    assert report.tokens is not None and report.tokens.max == long_tokens
    assert report.tokens.total == long_tokens + near_tokens + sum(
        phi4_tokens(f"answer {i}", i) for i in range(12) if i not in (3, 7)
    )
    # the same file fits Phi-4-mini's 131,072 tokens
    assert validate_file(tmp_path / "t.jsonl", "Phi-4-mini-instruct").ok


def test_phi3_says_its_count_is_an_estimate(tmp_path: Path) -> None:
    lines = [ex(i) for i in range(12)]
    lines[0] = ex(0, "word " * 4_000)
    report = validate_file(write(tmp_path / "t.jsonl", lines), "Phi-3-mini-4k-instruct")
    assert [(i.line, i.category) for i in report.errors] == [(1, "too_long")]
    assert "(estimated)" in report.errors[0].message
    assert report.tokens is not None and report.tokens.exact is False
    assert report.to_dict()["tokens"]["tokenizer"] == "llama2-sentencepiece (estimated from cl100k_base)"


def test_structure_only_counts_no_tokens(tmp_path: Path) -> None:
    lines = [ex(i) for i in range(12)]
    lines[0] = ex(0, "hello " * 17_000)
    report = validate_file(write(tmp_path / "t.jsonl", lines), "Phi-4", tokens=False)
    assert report.ok and report.tokens is None and report.estimate is None
    assert report.to_dict()["tokens"] is None


def test_file_over_512_mb(tmp_path: Path) -> None:
    path = write(tmp_path / "big.jsonl", [ex(i) for i in range(12)])
    with path.open("ab") as f:  # a sparse tail of NUL bytes takes the file past the limit, no disk used
        f.truncate(MAX_FILE_BYTES + 1)
    report = validate_file(path, tokens=False)
    assert (0, "file_too_large") in [(i.line, i.category) for i in report.errors]
    # the padding is one over-long line (13): reported, not read into memory
    assert [(i.line, i.category) for i in report.errors] == [(0, "file_too_large"), (13, "too_long")]


def test_over_long_line_is_not_read_into_memory(tmp_path: Path) -> None:
    from ops.data.scan import scan_range

    path = write(tmp_path / "t.jsonl", [ex(0), "x" * 5000, ex(1)])
    result = scan_range(str(path), 0, path.stat().st_size, None, cap=5, max_line=1000)
    assert result.issues == {
        "too_long": [
            (2, "line is 5,000 bytes; lines over 1,000 bytes are not read (no Phi context holds them)")
        ]
    }
    assert result.valid == 2


def test_issues_are_capped_per_category_and_all_counted(tmp_path: Path) -> None:
    lines = ["{bad" for _ in range(50)] + [ex(i) for i in range(12)] + ["[]" for _ in range(3)]
    report = validate_file(write(tmp_path / "t.jsonl", lines), cap=5, range_bytes=40, workers=2)
    assert report.error_counts == {"invalid_json": 50, "not_object": 3}
    assert [i.line for i in report.errors if i.category == "invalid_json"] == [1, 2, 3, 4, 5]
    assert [i.line for i in report.errors if i.category == "not_object"] == [63, 64, 65]


def test_lone_surrogate_escape_is_an_error(tmp_path: Path) -> None:
    lines = [ex(i) for i in range(12)]
    lines[2] = lines[2].replace("answer 2", "answer \\ud800")
    report = validate_file(write(tmp_path / "t.jsonl", lines))
    assert [(i.line, i.category) for i in report.errors] == [(3, "bad_content")]
    # found by the tokenizer, which cannot read it; a structure-only check does not look (documented)
    assert validate_file(tmp_path / "t.jsonl", tokens=False).ok


def test_many_system_messages_stay_bounded(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "messages": [
                    {"role": "system", "content": f"persona {i}"},
                    {"role": "user", "content": f"q {i}"},
                    {"role": "assistant", "content": f"a {i}"},
                ]
            }
        )
        for i in range(600)
    ]
    report = validate_file(write(tmp_path / "t.jsonl", lines), tokens=False)
    assert [(i.line, i.category, i.message) for i in report.warnings] == [
        (
            2,
            "inconsistent_system",
            "system message differs from the one on line 1 (257+ distinct system "
            "messages; 599 example(s) differ from the first)",
        )
    ]
