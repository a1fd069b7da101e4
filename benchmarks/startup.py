"""Startup: wall time of every offline command against `python -c "import click"`.

Target (issue 11): each offline command within 1.3x of `python -c "import click"` on the same machine:
Click is the floor every command stands on, so the ratio shows what the toolkit adds on top of it
(there is no cached help any more; `--help` goes through Click like everything else). The ratio judged
is the paired one (see timings_ms): each run against a run of the floor just before it.

Every offline command is timed: the root's help and version, every command group's help, `models list`,
and every `data` command but `upload` on a 20-example file, and `infra plan`. Some do work that no
start-up can avoid, and are also shown against a second floor that does that work and nothing else:
counting tokens (`data validate` without --structure-only, `data estimate`, and `data fix`, which drops
over-long examples) loads the o200k tokenizer in bpe_openai's Rust extension; `data split` writes its
two files durably (each fsynced before it is renamed into place, then the directory fsynced, so a
crash never leaves a new train.jsonl beside an old validation.jsonl), so its floor writes the same
lines the same way; `infra plan` imports the Pulumi SDKs and runs the whole program under the mock
engine, so its floor is that same plan built without the CLI (infra.plan.build_plan; the program's own
cost is the infra_program benchmark).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

RUNS = 31
TARGET_RATIO = 1.3
BIN = Path(sys.executable).parent
FLOOR, PLAIN = "import click", "pass"


def _time_ms(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return (time.perf_counter() - started) * 1000


class Timing(NamedTuple):
    median: float  # ms
    best: float  # ms
    paired: float  # median over rounds of this run / the `import click` run just before it


def timings_ms(commands: dict[str, list[str]], runs: int = RUNS) -> dict[str, Timing]:
    """Median and best wall time of each command, interleaved round by round, and its paired ratio:
    every run is preceded by a run of the floor (`import click`), and the ratio of the two is taken
    run by run. On a shared machine a neighbour's burst slows whatever runs during it; a ratio of runs
    a few milliseconds apart cancels most of that, where a ratio of medians taken over minutes does
    not. The paired ratio is the verdict; the best run is shown as the cost with the least noise in it."""
    for label, cmd in commands.items():  # warm the file cache, and time only commands that work
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{label} exited {done.returncode}: {done.stderr.strip()[-500:]}")
    floor = commands[FLOOR]
    samples: dict[str, list[float]] = {label: [] for label in commands}
    ratios: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(runs):
        for label, cmd in commands.items():
            before = _time_ms(floor)
            took = _time_ms(cmd)
            samples[label].append(took)
            ratios[label].append(took / before)
    return {
        label: Timing(statistics.median(values), min(values), statistics.median(ratios[label]))
        for label, values in samples.items()
    }


def sample_files(directory: Path) -> tuple[str, str]:
    """A 20-example training file and a 5-example validation file, none alike."""

    def write(name: str, rows: int, word: str) -> str:
        path = directory / name
        lines = (
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "Answer briefly."},
                        {"role": "user", "content": f"{word} question {i}?"},
                        {"role": "assistant", "content": f"The {word} answer is {i * 7}."},
                    ]
                }
            )
            for i in range(rows)
        )
        path.write_text("\n".join(lines) + "\n")
        return str(path)

    return write("train.jsonl", 20, "first"), write("valid.jsonl", 5, "second")


# Floors for the work some commands cannot start without (see the module docstring).
TOKENIZER = "import click + o200k tokenizer"
DURABLE = "import click + two files written durably"
PULUMI = "import click + the plan without the CLI"
# The durable-write floor takes the training file and a directory: it writes the file's first 16 lines
# and its last 4 (the 20-example file split 0.2) into a staging directory, fsyncs each file, renames
# both into the directory and fsyncs it: the three fsyncs `data split` makes, and nothing else.
DURABLE_CODE = """import click, os, sys
source, out = sys.argv[1:3]
lines = open(source, 'rb').readlines()
staging = os.path.join(out, 'staging')
os.makedirs(staging, exist_ok=True)
for name, part in (('train.jsonl', lines[:16]), ('validation.jsonl', lines[16:])):
    with open(os.path.join(staging, name), 'wb') as handle:
        handle.writelines(part)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(os.path.join(staging, name), os.path.join(out, name))
fd = os.open(out, os.O_RDONLY)
os.fsync(fd)
os.close(fd)
"""
FLOOR_CODE = {
    FLOOR: "import click",
    PLAIN: "pass",
    TOKENIZER: "import click; from ops.data.tokens import load_encoding; load_encoding('o200k_base')",
    DURABLE: DURABLE_CODE,
    PULUMI: "import click; from infra.plan import STACKS_DIR, build_plan; build_plan('dev', STACKS_DIR)",
}


def offline_commands(train: str, valid: str, out: str) -> list[tuple[str, list[str], str]]:
    """(label, arguments, floor) of every offline command: help and version, every command group's
    help, and every command that works without Azure."""
    from ops.cli.root import COMMANDS

    groups = [(f"{name} --help", [name, "--help"], FLOOR) for name in COMMANDS]
    return [
        ("--help", ["--help"], FLOOR),
        ("--version", ["--version"], FLOOR),
        *groups,
        ("models list", ["models", "list"], FLOOR),
        ("data validate --structure-only", ["data", "validate", train, "--structure-only"], FLOOR),
        ("data fix", ["data", "fix", train, "--out", f"{out}/clean.jsonl", "--force"], TOKENIZER),
        ("data split", ["data", "split", train, "-d", f"{out}/split", "-f", "0.2", "--force"], DURABLE),
        ("data overlap", ["data", "overlap", train, valid], FLOOR),
        ("data validate", ["data", "validate", train], TOKENIZER),
        ("data estimate", ["data", "estimate", train, "-e", "1"], TOKENIZER),
        ("infra plan", ["infra", "plan", "--stack", "dev"], PULUMI),
    ]


def main() -> None:
    cli = str(BIN / "foundry-ops")
    with tempfile.TemporaryDirectory() as tmp:
        train, valid = sample_files(Path(tmp))
        listed = offline_commands(train, valid, tmp)
        floors = {label: [sys.executable, "-c", code] for label, code in FLOOR_CODE.items()}
        floors[DURABLE] += [train, tmp]
        commands = {label: [cli, *args] for label, args, _ in listed}
        results = timings_ms({**floors, **commands})
    base, base_best, _ = results[FLOOR]
    print(
        f"{RUNS} rounds, each command run right after the floor python -c 'import click' (floor: median "
        f"{base:.1f} ms, best {base_best:.1f} ms; python -c pass {results[PLAIN].median:.1f} ms)"
    )
    for extra in (TOKENIZER, DURABLE, PULUMI):
        print(
            f"  work floor {extra}: median {results[extra].median:.1f} ms, best {results[extra].best:.1f} ms"
        )
    print(
        f"  {'command':<44} {'median':>9} {'best':>9} {'paired':>7} {'medians':>8} {'bests':>6}  vs work floor"
    )
    missed: list[str] = []
    over_own: list[str] = []
    for label, _, floor in listed:
        ms, best, paired = results[label]
        # Against a work floor: this command's paired ratio over the floor's (both against the
        # `import click` run just before them), so the pairing cancels the noise there too.
        own = paired / results[floor].paired if floor != FLOOR else paired
        work = f"  {own:5.2f}x {floor}" if floor != FLOOR else ""
        print(
            f"  foundry-ops {label:<32} {ms:6.1f} ms {best:6.1f} ms {paired:6.2f}x {ms / base:7.2f}x "
            f"{best / base_best:5.2f}x{work}"
        )
        if paired > TARGET_RATIO:
            missed.append(f"{label} {paired:.2f}x")
        if own > TARGET_RATIO:
            over_own.append(f"{label} {own:.2f}x")
    verdict = "met by every command" if not missed else "missed by " + ", ".join(missed)
    print(f"target: every offline command within {TARGET_RATIO}x of import click (paired ratios): {verdict}")
    own_verdict = "met by every command" if not over_own else "missed by " + ", ".join(over_own)
    print(
        f"  what the toolkit adds: every command within {TARGET_RATIO}x of its own floor (import click, or "
        f"import click plus the work no start-up avoids): {own_verdict}"
    )


if __name__ == "__main__":
    main()
