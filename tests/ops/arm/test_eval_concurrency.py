"""`eval` keeps --concurrency requests in flight, waits out 429s for their Retry-After, counts what fails.

The emulated endpoint takes `chat_latency_s` per answer and counts completions in flight
(`world.chat_gauge`); with `chat_concurrency_limit` it answers 429 + Retry-After beyond that many,
as a rate-limited deployment does. Times come from the emulator's request log (taken on arrival).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint


def heldout(tmp_path: Path, count: int) -> Path:
    path = tmp_path / "heldout.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"question {i}"},
                        {"role": "assistant", "content": f"bot answers: question {i}"},
                    ]
                }
            )
            + "\n"
            for i in range(count)
        ),
        encoding="utf-8",
    )
    return path


def chat_requests(emulator: Emulator) -> list[dict[str, Any]]:
    return sorted(
        (r for r in emulator.requests if r["path"].endswith("/chat/completions")), key=lambda r: r["time"]
    )


@pytest.mark.parametrize("concurrency", [1, 3])
def test_in_flight_requests_reach_and_never_pass_the_bound(
    run: Callable[..., Result],
    endpoint: dict[str, Any],
    azure_emulator: Emulator,
    tmp_path: Path,
    concurrency: int,
) -> None:
    azure_emulator.settings.chat_latency_s = 0.05
    data = heldout(tmp_path, 13)  # the probe, then 12 with the bound
    result = run("eval", "bot", "--file", str(data), "--concurrency", str(concurrency), "-o", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["failed"], scores["retries"]) == (13, 0, 0)
    assert scores["exact_match"] == 1.0
    assert azure_emulator.world.chat_gauge.peak == concurrency
    assert len(chat_requests(azure_emulator)) == 13
    assert scores["latency_ms"]["p50"] >= 50
    assert "bot: 13 request(s) in " in result.stderr


def test_a_throttled_request_waits_its_retry_after(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    settings = azure_emulator.settings
    settings.chat_latency_s, settings.chat_concurrency_limit, settings.chat_retry_after_s = 0.2, 1, 1
    data = heldout(tmp_path, 4)  # the probe alone, then 3 at once against a limit of 1
    result = run("eval", "bot", "--file", str(data), "--concurrency", "3", "-o", "json", real_time=True)
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["failed"]) == (4, 0)
    requests = chat_requests(azure_emulator)
    throttled = [r for r in requests if r["status"] == 429]
    assert scores["retries"] == len(throttled) >= 2
    retries = requests[4:]  # after the probe and the first three at once, every request is a retry
    assert len(retries) == len(throttled)
    for index, retry in enumerate(retries):  # each answers its own 429, a full second later
        waited = [r for r in throttled if r["time"] <= retry["time"] - 0.95]
        assert len(waited) >= index + 1, (retry, throttled)
    assert requests[-1]["time"] - throttled[0]["time"] >= 1.9  # two rounds of waiting
    assert "retries after throttling (429/503, Retry-After honoured)" in result.stderr


def test_an_endpoint_limit_below_the_concurrency_still_answers_everything(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    settings = azure_emulator.settings
    settings.chat_latency_s, settings.chat_concurrency_limit, settings.chat_retry_after_s = 0.05, 2, 1
    result = run(
        "eval", "bot", "--file", str(heldout(tmp_path, 9)), "--concurrency", "6", "-o", "json", real_time=True
    )
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["failed"], scores["exact_match"]) == (9, 0, 1.0)
    assert scores["retries"] == azure_emulator.world.chat_gauge.throttled > 0
    assert azure_emulator.world.chat_gauge.peak == 2


def test_throttling_past_the_retry_budget_counts_the_example_as_failed(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    # the probe passes; the next request is refused on all six attempts; the rest pass
    azure_emulator.faults.add(
        "status", method="POST", path="/chat/completions", status=429, retry_after=0, skip=1, count=6
    )
    data = heldout(tmp_path, 3)
    result = run("eval", "bot", "--file", str(data), "--concurrency", "1", "-o", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]["bot"]
    assert (scores["answered"], scores["failed"]) == (2, 1)
    assert scores["errors"][0].startswith("line 2: endpoint ")
    assert scores["errors"][0].endswith("answered 429: TooManyRequests: injected fault (after 6 attempts)")
    assert azure_emulator.count("POST", "/chat/completions", status=429) == 6


def test_an_endpoint_that_answers_nothing_fails_the_command(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    azure_emulator.faults.add(
        "status", method="POST", path="/chat/completions", status=429, retry_after=0, count=-1
    )
    result = run("eval", "bot", "--file", str(heldout(tmp_path, 2)), "-o", "json")
    assert result.exit_code == 1
    scores = json.loads(result.stdout)["endpoints"]["bot"]  # the counts still go to stdout
    assert (scores["answered"], scores["failed"]) == (0, 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1
    assert errors[0].startswith("Error: 2 of 2 requests to bot failed, the first: endpoint ")
    assert "Traceback" not in result.output


def test_the_baseline_is_evaluated_side_by_side(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    deploy_endpoint(azure_emulator, "base")
    azure_emulator.settings.chat_latency_s = 0.05
    data = heldout(tmp_path, 9)
    result = run("eval", "bot", "--file", str(data), "--baseline", "base", "--concurrency", "1", "-o", "json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["endpoints"]
    assert [scores[n]["answered"] for n in ("bot", "base")] == [9, 9]
    assert azure_emulator.world.chat_gauge.peak == 2  # one request per endpoint at a time, both at once
    assert "evaluating bot and base on 9 example(s) ..." in result.stderr
