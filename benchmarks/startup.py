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

RUNS = 31
TARGET_RATIO = 1.3
BIN = Path(sys.executable).parent
FLOOR, PLAIN = "import click", "pass"


def _time_ms(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


def timings_ms(commands: dict[str, list[str]], runs: int = RUNS) -> dict[str, tuple[float, float]]:
    """(median, best) wall time of each command, the commands interleaved round by round (floor
    included), so that a neighbour's burst on a shared machine lands on all of them alike. The median
    is the verdict; the best run is shown beside it as the cost with the least noise in it."""
    for cmd in commands.values():
        _time_ms(cmd)  # warm the file cache
    samples: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, cmd in commands.items():
            samples[label].append(_time_ms(cmd))
    return {label: (statistics.median(values), min(values)) for label, values in samples.items()}


def sample_file(directory: Path) -> Path:
    path = directory / "train.jsonl"
    example = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    }
    path.write_text("\n".join(json.dumps(example) for _ in range(20)) + "\n")
    return path


def offline_commands(data: str) -> list[tuple[str, list[str]]]:
    """The root's help and version, every command group's help, and two commands that do offline work."""
    from ops.cli.root import COMMANDS

    groups = [(f"{name} --help", [name, "--help"]) for name in COMMANDS]
    return [
        ("--help", ["--help"]),
        ("--version", ["--version"]),
        *groups,
        ("models list", ["models", "list"]),
        ("data validate --structure-only", ["data", "validate", data, "--structure-only"]),
    ]


def main() -> None:
    cli = str(BIN / "foundry-ops")
    with tempfile.TemporaryDirectory() as tmp:
        data = str(sample_file(Path(tmp)))
        floors = {FLOOR: [sys.executable, "-c", "import click"], PLAIN: [sys.executable, "-c", "pass"]}
        commands = {label: [cli, *args] for label, args in offline_commands(data)}
        results = timings_ms({**floors, **commands})
    (base, base_best), (plain, _) = results.pop(FLOOR), results.pop(PLAIN)
    print(
        f"{RUNS} interleaved runs each; floor python -c 'import click': median {base:.1f} ms, best "
        f"{base_best:.1f} ms (python -c pass {plain:.1f} ms)"
    )
    print(f"  {'command':<44} {'median':>9} {'ratio':>6} {'best':>9} {'ratio':>6}")
    worst = 0.0
    for label, (ms, best) in results.items():
        ratio = ms / base
        worst = max(worst, ratio)
        print(f"  foundry-ops {label:<32} {ms:6.1f} ms {ratio:5.2f}x {best:6.1f} ms {best / base_best:5.2f}x")
    verdict = "met" if worst <= TARGET_RATIO else "MISSED"
    print(
        f"target: every offline command within {TARGET_RATIO}x of import click (medians): worst {worst:.2f}x ({verdict})"
    )


if __name__ == "__main__":
    main()
