"""`data estimate` bills valid examples only, and says how many it left out.

The bug this guards: a file whose valid examples hold 37,077 tokens was billed 397,251 for 3 epochs,
because an example the validator had just called too long was counted anyway.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ops.cli import cli
from ops.data.tokens import load_encoding
from ops.data.validate import validate_file

SYSTEM = "You are terse."
LONG = "hello " * 17_000  # Phi-4's context is 16,384 tokens


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


def phi4_tokens(i: int, answer: str | None = None) -> int:
    enc = load_encoding("cl100k_base")
    return enc.count(SYSTEM) + enc.count(f"question {i}") + enc.count(answer or f"answer {i}") + 3 * 4


@pytest.fixture()
def one_too_long(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    lines = [ex(i) for i in range(12)]
    lines[4] = ex(4, LONG)
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOUNDRY_PRICE_PER_1K_TOKENS", raising=False)
    return tmp_path / "t.jsonl"


VALID = sum(phi4_tokens(i) for i in range(12) if i != 4)
ERROR = (
    "Error: t.jsonl has 1 error in 1 of 12 examples (1 too_long); the estimate counts its 11 valid "
    "example(s) only (hint: `foundry-ops data fix t.jsonl --out CLEAN` writes a copy without the invalid "
    "examples)\n"
)


def test_over_long_example_is_not_billed_table(one_too_long: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "estimate", "t.jsonl", "-m", "Phi-4", "--epochs", "3"])
    assert result.exit_code == 1
    assert result.stdout == (
        "file      t.jsonl\n"
        "model     Phi-4\n"
        "examples  11 valid\n"
        "excluded  1 example with errors (too_long), not billed; `foundry-ops data fix` drops them\n"
        "tokens    exact: cl100k_base with the phi-4 chat template's tokens\n"
        f"estimate  {VALID:,} tokens x 3 epochs = {3 * VALID:,} billed (no price given: "
        "--price-per-1k-tokens or FOUNDRY_PRICE_PER_1K_TOKENS)\n"
    )
    assert result.stderr == ERROR


def test_over_long_example_is_not_billed_json(one_too_long: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["data", "estimate", "t.jsonl", "-m", "Phi-4", "-e", "3", "--price-per-1k-tokens", "2", "-o", "json"],
    )
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "file": "t.jsonl",
        "model": "Phi-4",
        "examples": 11,
        "tokenizer": "cl100k_base",
        "method": "exact: cl100k_base with the phi-4 chat template's tokens",
        "tokens_per_epoch": VALID,
        "epochs": 3,
        "billed_tokens": 3 * VALID,
        "exact": True,
        "price_per_1k_tokens": 2.0,
        "price_source": "--price-per-1k-tokens",
        "cost": round(3 * VALID / 1000 * 2, 6),
        "excluded": {
            "examples": 1,
            "reason": "examples with errors (too_long) are not billed; `foundry-ops data fix` drops them",
        },
        "errors": 1,
    }
    assert result.stderr == ERROR


def test_the_over_long_example_would_have_dwarfed_the_bill(one_too_long: Path) -> None:
    """The statistics still describe it (the longest example), only the bill leaves it out."""
    report = validate_file(one_too_long, "Phi-4")
    assert report.tokens is not None and report.estimate is not None
    assert report.tokens.max == phi4_tokens(4, LONG) > 16_384
    assert report.tokens.total == VALID + phi4_tokens(4, LONG)
    assert report.estimate.tokens_per_epoch == VALID
    assert report.estimate.excluded_examples == 1
    # the same file fits Phi-4-mini's context: nothing is left out there
    mini = validate_file(one_too_long, "Phi-4-mini-instruct")
    assert mini.estimate is not None and mini.estimate.excluded_examples == 0
    assert mini.estimate.tokens_per_epoch == mini.tokens.total  # type: ignore[union-attr]


def test_validate_table_says_what_the_estimate_left_out(one_too_long: Path) -> None:
    result = CliRunner().invoke(cli, ["data", "validate", "t.jsonl", "-m", "Phi-4", "-o", "table"])
    assert result.exit_code == 1
    assert (
        "excluded  1 example with errors (too_long), not billed; `foundry-ops data fix` drops them\n"
        in result.stdout
    )
    assert f"estimate  {VALID:,} tokens x 1 epoch = {VALID:,} billed" in result.stdout


def test_structural_errors_are_excluded_too(tmp_path: Path) -> None:
    lines = [ex(i) for i in range(12)] + [
        "{broken",
        json.dumps({"messages": [{"role": "user", "content": "q"}]}),
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_file(path, "Phi-4")
    assert report.estimate is not None
    assert report.estimate.to_dict()["excluded"] == {
        "examples": 2,
        "reason": "examples with errors (invalid_json, no_assistant) are not billed; "
        "`foundry-ops data fix` drops them",
    }
    assert report.estimate.tokens_per_epoch == sum(phi4_tokens(i) for i in range(12))
