"""`endpoint test` through ARM (URI, keys) and chat completions on the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.emulator.server import Emulator
from tests.ops.arm.helpers import deploy_endpoint


def _jsonl(path: Path, rows: list[list[tuple[str, str]]]) -> Path:
    path.write_text(
        "\n".join(json.dumps({"messages": [{"role": r, "content": c} for r, c in row]}) for row in rows)
        + "\n",
        encoding="utf-8",
    )
    return path


def test_prompt_prints_the_answer(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    result = run("endpoint", "test", "bot", "--prompt", "What is 2+2?")
    assert result.exit_code == 0
    assert result.stdout == "4\n"
    assert azure_emulator.count("POST", "/listKeys") == 1
    key = azure_emulator.world.endpoints[("proj-foundry-dev", "bot")]["_keys"]["primaryKey"]
    assert key not in result.output


def test_blocked_prompt_is_reported_distinctly(run: Callable[..., Result], endpoint: dict[str, Any]) -> None:
    result = run("endpoint", "test", "bot", "--prompt", "tell me BLOCKME", "-o", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["blocked"] == 1
    assert data["results"][0]["status"] == "blocked"
    assert data["results"][0]["categories"] == "violence"
    assert "1 of 1 request(s) blocked by the content filter" in result.output


def test_file_sends_each_conversation_without_its_reference(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    data = _jsonl(
        tmp_path / "smoke.jsonl",
        [
            [("system", "Be brief."), ("user", "What is 2+2?"), ("assistant", "4")],
            [("user", "Capital of France?")],
        ],
    )
    result = run("endpoint", "test", "bot", "--file", str(data))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "#  STATUS  PROMPT              ANSWER",
        "1  OK      What is 2+2?        4",
        "2  OK      Capital of France?  The capital is Paris.",
    ]
    sent = [c["messages"] for c in azure_emulator.world.chat_calls]
    assert [m["role"] for m in sent[0]] == ["system", "user"] or [m["role"] for m in sent[1]] == [
        "system",
        "user",
    ]


def test_a_file_s_long_answers_are_whole_in_a_pipe(
    run: Callable[..., Result], endpoint: dict[str, Any], tmp_path: Path
) -> None:
    question = "Explain, step by step and with every detail you know, how to reset a router " * 2
    data = _jsonl(tmp_path / "long.jsonl", [[("user", question.strip())]])
    result = run("endpoint", "test", "bot", "--file", str(data))
    assert result.exit_code == 0, result.output
    assert question.strip() in result.stdout and "…" not in result.stdout  # the emulator echoes it back


def test_throttling_is_retried(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator
) -> None:
    azure_emulator.faults.add(
        "status", method="POST", path="/chat/completions", status=429, retry_after=0, count=2
    )
    azure_emulator.faults.add("reset", method="POST", path="/listKeys")
    result = run("endpoint", "test", "bot", "--prompt", "What is 2+2?")
    assert result.exit_code == 0, result.output
    assert [r["status"] for r in azure_emulator.requests if r["path"].endswith("/chat/completions")] == [
        429,
        429,
        200,
    ]


def test_endpoint_not_ready(
    run: Callable[..., Result], azure_emulator: Emulator, emulator_env: dict[str, str]
) -> None:
    azure_emulator.settings.lro_polls = 1000
    assert (
        deploy_endpoint(azure_emulator, "slow", wait=False)["properties"]["provisioningState"] == "Creating"
    )
    result = run("endpoint", "test", "slow", "--prompt", "hi")
    assert result.exit_code == 2
    assert result.output.startswith("Error: endpoint slow is Creating, not ready for requests")


def test_needs_prompt_or_file(run: Callable[..., Result]) -> None:
    result = run("endpoint", "test", "bot")
    assert result.exit_code == 2
    assert result.output == "Error: give exactly one of --prompt or --file\n"


def test_bad_file_lines_are_numbered(run: Callable[..., Result], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": []}\nnot json\n', encoding="utf-8")
    result = run("endpoint", "test", "bot", "--file", str(bad))
    assert result.exit_code == 1  # data with errors (usage errors are 2)
    assert "line 1: needs a non-empty 'messages' list" in result.output
    assert "line 2: not JSON" in result.output


def test_failed_requests_of_a_file_are_counted_after_all_ran(
    run: Callable[..., Result], endpoint: dict[str, Any], azure_emulator: Emulator, tmp_path: Path
) -> None:
    path = _jsonl(tmp_path / "smoke.jsonl", [[("user", f"question {i}")] for i in range(4)])
    # requests 2 and 3 get a 500 on every one of their 6 attempts (a 500 is retried, even for a POST)
    azure_emulator.faults.add("status", method="POST", path="/chat/completions", status=500, skip=1, count=12)
    result = run("endpoint", "test", "bot", "--file", str(path), "--concurrency", "1")
    assert result.exit_code == 1
    assert result.stdout == ""
    uri = endpoint["properties"]["inferenceEndpoint"]["uri"]
    assert result.stderr.splitlines()[-1] == (
        f"Error: 2 of 4 requests failed, the first: endpoint {uri} answered 500: "
        "InternalServerError: injected fault (after 6 attempts)"
    )
    assert azure_emulator.count("POST", "/chat/completions") == 1 + 6 + 6 + 1  # the others still ran
