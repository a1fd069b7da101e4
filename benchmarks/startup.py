"""Startup: median wall time of `foundry-ops --help` and offline commands against a bare interpreter.

Target (issue 6): `foundry-ops --help` within 2.5x of `python -c pass` on the same machine. The Click
path (`python -m ops.cli --help`, no cached help) is printed too, so the figure can't hide it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 21
TARGET_RATIO = 2.5
BIN = Path(sys.executable).parent


def median_ms(cmd: list[str], runs: int = RUNS) -> float:
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
    )  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def sample_file(directory: Path) -> Path:
    path = directory / "train.jsonl"
    example = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    }
    path.write_text("\n".join(json.dumps(example) for _ in range(20)) + "\n")
    return path


def main() -> None:
    cli = str(BIN / "foundry-ops")
    with tempfile.TemporaryDirectory() as tmp:
        data = str(sample_file(Path(tmp)))
        rows = [
            ("python -c pass", [sys.executable, "-c", "pass"]),
            ("foundry-ops --help", [cli, "--help"]),
            ("foundry-ops --help (through Click)", [sys.executable, "-m", "ops.cli", "--help"]),
            ("foundry-ops models list", [cli, "models", "list"]),
            ("foundry-ops data validate (20 lines)", [cli, "data", "validate", data]),
        ]
        results = {label: median_ms(cmd) for label, cmd in rows}
    base = results["python -c pass"]
    print(f"median of {RUNS} runs each")
    for label, ms in results.items():
        print(f"  {label:<40} {ms:7.1f} ms  {ms / base:5.2f}x")
    ratio = results["foundry-ops --help"] / base
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"target: --help within {TARGET_RATIO}x of python -c pass: {ratio:.2f}x ({verdict})")


if __name__ == "__main__":
    main()
