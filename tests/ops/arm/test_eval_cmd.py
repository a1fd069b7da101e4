"""`eval`: exact match and token F1 against references, baseline side by side, perplexity honesty."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from hypothesis import given, settings
from hypothesis import strategies as st

from ops.flows.scoring import exact_match, normalize, percentile, perplexity, token_f1
from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint

EXAMPLES = [
    ("What is 2+2?", "4"),
    ("Capital of France?", "Paris"),
    ("Say hi", "hello there"),
]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "heldout.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
            for q, a in EXAMPLES
        ),
        encoding="utf-8",
    )
    return path


def test_squad_metrics() -> None:
    assert normalize("The  Capital, of France!") == "capital of france"
    assert exact_match("the Paris.", "paris") == 1.0
    assert token_f1("The capital is Paris.", "Paris") == pytest.approx(0.5)
    assert token_f1("", "") == 1.0
    assert token_f1("x", "") == 0.0
    assert perplexity([]) is None
    assert perplexity([-1.0, -1.0]) == pytest.approx(2.718281828)
    assert percentile([], 50) is None
    assert [percentile([4.0, 1.0, 3.0, 2.0], q) for q in (0, 50, 95, 100)] == [1.0, 2.0, 4.0, 4.0]


def test_side_by_side_with_baseline(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, data: Path
) -> None:
    deploy_endpoint(azure_emulator, "base")
    azure_emulator.settings.answers["base"] = {"Say hi": "hello"}
    result = run("eval", "bot", "--file", str(data), "--baseline", "base")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "METRIC             BOT    BASE",
        "exact match        0.333  0.000",
        "token F1           0.500  0.222",
        "perplexity         n/a    n/a",
        "answered           3      3",
        "blocked by filter  0      0",
        "failed             0      0",
    ]
    assert "bot: perplexity n/a (endpoint returns no log-probabilities)" in result.output


def test_json_with_logprobs_reports_perplexity(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, data: Path
) -> None:
    azure_emulator.settings.logprobs = True
    result = run("eval", "bot", "--file", str(data), "-o", "json", "--concurrency", "2")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert scores["exact_match"] == pytest.approx(1 / 3)
    assert scores["perplexity"] is not None and 1.0 < scores["perplexity"] < 1.2
    assert scores["perplexity_note"] is None


def test_blocked_and_throttled_examples(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "d.jsonl"
    rows = [("What is 2+2?", "4"), ("BLOCKME please", "no")]
    path.write_text(
        "\n".join(
            json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]})
            for q, a in rows
        ),
        encoding="utf-8",
    )
    azure_emulator.faults.add(
        "status", method="POST", path="/chat/completions", status=429, retry_after=0, count=3
    )
    result = run("eval", "bot", "--file", str(path), "-o", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["blocked"], scores["failed"]) == (1, 1, 0)
    assert scores["exact_match"] == 1.0


def test_reference_is_required(run: Callable[..., Result], tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n', encoding="utf-8")
    result = run("eval", "bot", "--file", str(path))
    assert result.exit_code == 1  # data with errors (usage errors are 2)
    assert "line 1: no assistant message to use as the reference answer" in result.output


def test_server_errors_are_counted_as_failed(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, data: Path
) -> None:
    # the second request gets a 500 on all of its 6 attempts (a 500 is retried, even for a POST)
    azure_emulator.faults.add("status", method="POST", path="/chat/completions", status=500, skip=1, count=6)
    result = run("eval", "bot", "--file", str(data), "-o", "json", "--concurrency", "1")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["failed"]) == (2, 1)
    assert scores["errors"] == [
        f"line 2: endpoint {endpoint['properties']['inferenceEndpoint']['uri']} answered 500: "
        "InternalServerError: injected fault (after 6 attempts)"
    ]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.text(max_size=40))
def test_metric_bounds(prediction: str, reference: str) -> None:
    f1 = token_f1(prediction, reference)
    assert 0.0 <= f1 <= 1.0
    assert token_f1(reference, prediction) == pytest.approx(f1)  # F1 is symmetric
    if exact_match(prediction, reference):
        assert f1 == 1.0
    assert exact_match(reference, reference) == 1.0
