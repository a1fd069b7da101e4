"""One fixture file per rule: each must give exactly its planted (line, category) pairs, no more."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops.data.validate import validate_file

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"

# file -> (errors, warnings), each a list of (line, category) in report order
EXPECTED: dict[str, tuple[list[tuple[int, str]], list[tuple[int, str]]]] = {
    "valid.jsonl": ([], []),
    "bom_crlf.jsonl": ([], []),
    "no_final_newline.jsonl": ([], []),
    "not_utf8.jsonl": ([(3, "not_utf8")], []),
    "invalid_json.jsonl": ([(5, "invalid_json")], []),
    "not_object.jsonl": ([(2, "not_object"), (3, "not_object")], []),
    "bad_messages.jsonl": ([(4, "bad_messages"), (5, "bad_messages"), (6, "bad_messages")], []),
    "bad_message.jsonl": ([(6, "bad_message")], []),
    "bad_role.jsonl": ([(7, "bad_role"), (8, "bad_role")], []),
    "unknown_role.jsonl": ([(8, "unknown_role")], []),
    "bad_content.jsonl": ([(9, "bad_content"), (10, "bad_content"), (11, "bad_content")], []),
    "empty_content.jsonl": ([(10, "empty_content")], []),
    "unknown_key.jsonl": ([(11, "unknown_key"), (12, "unknown_key")], []),
    "no_assistant.jsonl": ([(12, "no_assistant")], []),
    "consecutive_assistant.jsonl": ([(13, "consecutive_assistant")], []),
    "too_few_examples.jsonl": ([(0, "too_few_examples")], []),
    "blank_line.jsonl": ([], [(4, "blank_line"), (7, "blank_line")]),
    "no_system.jsonl": ([], [(2, "no_system")]),
    "inconsistent_system.jsonl": ([], [(9, "inconsistent_system")]),
    "consecutive_roles.jsonl": ([], [(3, "consecutive_roles")]),
    "duplicate.jsonl": ([], [(13, "duplicate"), (14, "duplicate")]),
    "short_answer.jsonl": ([], [(6, "short_answer"), (7, "short_answer")]),
    "secret.jsonl": ([], [(7, "secret"), (8, "secret")]),
    "mixed.jsonl": (
        [
            (3, "invalid_json"),
            (4, "consecutive_assistant"),
            (7, "not_utf8"),
            (9, "unknown_role"),
            (9, "empty_content"),
            (9, "no_assistant"),
        ],
        [(2, "blank_line"), (5, "duplicate"), (6, "no_system"), (6, "short_answer"), (9, "no_system")],
    ),
}


def pairs(issues: list) -> list[tuple[int, str]]:
    return [(i.line, i.category) for i in issues]


def test_every_fixture_has_expectations() -> None:
    assert {p.name for p in FIXTURES.glob("*.jsonl")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_gives_exactly_its_issues(name: str) -> None:
    report = validate_file(FIXTURES / name, "Phi-4")
    errors, warnings = EXPECTED[name]
    assert pairs(report.errors) == errors
    assert pairs(report.warnings) == warnings
    assert report.ok is (not errors)


@pytest.mark.parametrize(
    "name", ["mixed.jsonl", "duplicate.jsonl", "inconsistent_system.jsonl", "bom_crlf.jsonl"]
)
def test_parallel_ranges_give_the_same_report(name: str) -> None:
    """Tiny ranges force lines to straddle range boundaries; two processes must agree with one."""
    whole = validate_file(FIXTURES / name, workers=1).to_dict()
    for range_bytes in (1, 7, 64, 333):
        assert validate_file(FIXTURES / name, workers=2, range_bytes=range_bytes).to_dict() == whole


def test_messages_name_the_problem() -> None:
    report = validate_file(FIXTURES / "mixed.jsonl")
    messages = {(i.line, i.category): i.message for i in report.errors + report.warnings}
    assert messages[(3, "invalid_json")] == "not valid JSON: Expecting value at column 15"
    assert messages[(4, "consecutive_assistant")] == "messages 3 and 4 are both assistant messages"
    assert messages[(7, "not_utf8")] == "not UTF-8: byte 0xff at column 1"
    assert messages[(9, "unknown_role")] == "message 1 has role 'bot' (use system, user or assistant)"
    assert messages[(9, "empty_content")] == "message 2 (user) has empty content"
    assert messages[(5, "duplicate")] == "same example as line 1"
    assert messages[(6, "short_answer")] == "assistant message 2 is whitespace only"


def test_secret_text_is_never_echoed() -> None:
    report = validate_file(FIXTURES / "secret.jsonl")
    text = repr(report.to_dict())
    assert "abcdefghijklmnopqrstuvwxyz0123456789" not in text
    assert "aB3dE5gH7jK9mN1pQ3sT5vW7yZ" not in text
    assert [i.message for i in report.warnings] == [
        "contains what looks like a bearer token; keep credentials out of training data",
        "contains what looks like an OpenAI-style API key (sk-...); keep credentials out of training data",
    ]


def test_counts_cover_every_example() -> None:
    report = validate_file(FIXTURES / "mixed.jsonl")
    assert report.lines == 13
    assert report.examples == 12  # the blank line is not an example
    assert report.valid_examples == 8  # lines 1, 5, 6, 8, 10-13
    assert report.error_counts == {
        "invalid_json": 1,
        "consecutive_assistant": 1,
        "not_utf8": 1,
        "unknown_role": 1,
        "empty_content": 1,
        "no_assistant": 1,
    }


def test_every_rule_is_documented_and_has_a_fixture_or_test() -> None:
    from ops.data.rules import RULES

    docs = (Path(__file__).resolve().parents[3] / "docs" / "data.md").read_text(encoding="utf-8")
    tested_elsewhere = {"too_long", "near_limit", "file_too_large"}  # test_limits.py builds those files
    planted = {c for errors, warnings in EXPECTED.values() for _, c in errors + warnings}
    for category in RULES:
        assert f"| `{category}` |" in docs, category
        assert category in planted | tested_elsewhere, category
