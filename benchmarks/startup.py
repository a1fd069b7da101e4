"""Startup: median wall time of every offline command against `python -c "import click"`.

Target (issue 11): each offline command within 1.3x of `python -c "import click"` on the same machine:
Click is the floor every command stands on, so the ratio shows what the toolkit adds on top of it
(there is no cached help any more; `--help` goes through Click like everything else).
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
TARGET_RATIO = 1.3
BIN = Path(sys.executable).parent
FLOOR, PLAIN = "import click", "pass"


def _time_ms(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


def medians_ms(commands: dict[str, list[str]], runs: int = RUNS) -> dict[str, float]:
    """Median wall time of each command, the commands interleaved round by round (floor included), so
    that a neighbour's burst on a shared machine lands on all of them alike instead of on one."""
    for cmd in commands.values():
        _time_ms(cmd)  # warm the file cache
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, cmd in commands.items():
            samples[label].append(_time_ms(cmd))
    return {label: statistics.median(values) for label, values in samples.items()}


def sample_file(directory: Path) -> Path:
    path = directory / "train.jsonl"
    example = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    }
    path.write_text("\n".join(json.dumps(example) for _ in range(20)) + "\n")
    return path


def offline_commands(data: str) -> list[tuple[str, list[str]]]:
    return [
        ("--help", ["--help"]),
        ("--version", ["--version"]),
        ("models list", ["models", "list"]),
        ("finetune --help", ["finetune", "--help"]),
        ("deploy --help", ["deploy", "--help"]),
        ("run --help", ["run", "--help"]),
        ("data validate --structure-only", ["data", "validate", data, "--structure-only"]),
    ]


def main() -> None:
    cli = str(BIN / "foundry-ops")
    with tempfile.TemporaryDirectory() as tmp:
        data = str(sample_file(Path(tmp)))
        floors = {FLOOR: [sys.executable, "-c", "import click"], PLAIN: [sys.executable, "-c", "pass"]}
        commands = {label: [cli, *args] for label, args in offline_commands(data)}
        results = medians_ms({**floors, **commands})
    base, plain = results.pop(FLOOR), results.pop(PLAIN)
    print(
        f"median of {RUNS} interleaved runs each; floor: python -c 'import click' {base:.1f} ms (python -c pass {plain:.1f} ms)"
    )
    worst = 0.0
    for label, ms in results.items():
        ratio = ms / base
        worst = max(worst, ratio)
        print(f"  foundry-ops {label:<32} {ms:7.1f} ms  {ratio:5.2f}x")
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(
        f"target: every offline command within {TARGET_RATIO}x of import click: worst {worst:.2f}x ({verdict})"
    )


if __name__ == "__main__":
    main()
