"""The startup promise: `--help` and offline commands never load heavy SDKs (the time it takes is a
benchmark, benchmarks/startup.py, not a test)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = (
    "azure.ai.ml",
    "azure.identity",
    "azure.mgmt",
    "azure.core",
    "pulumi",
    "pulumi_azure_native",
    "requests",
)

PROBE = """
import __future__, json, sys
sys.argv = ["foundry-ops", *json.loads(sys.argv[1])]
from ops.cli import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
ours = {n: m for n, m in list(sys.modules.items()) if n.split(".")[0] in ("ops", "core", "catalog")}
string_annotated_records = sorted(
    f"{name}.{value.__name__}"
    for name, module in ours.items()
    if getattr(module, "annotations", None) is __future__.annotations
    for value in vars(module).values()
    if isinstance(value, type) and issubclass(value, tuple) and hasattr(value, "_fields")
    and value.__module__ == name
)
print("\\n@@MODULES@@" + json.dumps([code, sorted(sys.modules), string_annotated_records]), file=sys.stderr)
"""


def probe(args: list[str], cwd: Path) -> tuple[set[str], list[str]]:
    """The modules `foundry-ops ARGS` loaded, and the NamedTuples among ours defined under
    `from __future__ import annotations`."""
    env = {**os.environ, "COLUMNS": "80"}
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(args)], capture_output=True, text=True, cwd=cwd, env=env
    )
    marker = proc.stderr.rsplit("@@MODULES@@", 1)
    assert len(marker) == 2, proc.stderr
    code, modules, string_annotated = json.loads(marker[1])
    assert code == 0, f"foundry-ops {' '.join(args)} exited {code}: {marker[0][-2000:]}"
    return set(modules), string_annotated


def loaded_modules(args: list[str], cwd: Path) -> set[str]:
    return probe(args, cwd)[0]


def heavy_in(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_root_help_loads_no_sdk() -> None:
    assert heavy_in(loaded_modules(["--help"], ROOT)) == []


@pytest.mark.parametrize(
    "args",
    [
        ["models", "list", "--output", "json"],
        ["data", "--help"],
        ["finetune", "--help"],
        ["deploy", "--help"],
        ["teardown", "--help"],
        ["run", "--help"],
        ["infra", "--help"],
    ],
)
def test_offline_commands_load_no_heavy_sdk(args: list[str]) -> None:
    assert heavy_in(loaded_modules(args, ROOT)) == []


def test_data_validate_loads_no_heavy_sdk(tmp_path: Path) -> None:
    sample = tmp_path / "train.jsonl"
    line = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]}
    sample.write_text("\n".join(json.dumps(line) for _ in range(12)) + "\n")
    assert heavy_in(loaded_modules(["data", "validate", str(sample)], ROOT)) == []


# What a small data command does not need at start-up (benchmarks/startup.py times it): OpenSSL (the
# duplicate digests are blake2b from _blake2, and a small file's SHA-256 CPython's own: ops/data/digest.py),
# pathlib (~4 ms with urllib.parse and ipaddress), dataclasses (~1 ms to define each class; records
# here are NamedTuples) and shlex (only hints that quote a path use it, on the way to an error).
NOT_AT_STARTUP = ("_hashlib", "pathlib", "dataclasses", "multiprocessing", "bpe_openai", "shlex")


@pytest.mark.parametrize(
    "args",
    [
        ["data", "validate", "{train}", "--structure-only"],
        ["data", "overlap", "{train}", "{valid}"],
        ["data", "split", "{train}", "-d", "{out}", "-f", "0.25"],
        ["--help"],
        ["models", "list"],
    ],
    ids=["validate --structure-only", "overlap", "split", "--help", "models list"],
)
def test_small_offline_commands_load_only_what_they_use(args: list[str], tmp_path: Path) -> None:
    files = {}
    for name, word in (("train", "first"), ("valid", "second")):
        path = tmp_path / f"{name}.jsonl"
        rows = [
            {
                "messages": [
                    {"role": "user", "content": f"{word} {i}"},
                    {"role": "assistant", "content": f"ok {i}"},
                ]
            }
            for i in range(12)
        ]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        files[name] = str(path)
    modules, string_annotated = probe([a.format(out=tmp_path / "out", **files) for a in args], ROOT)
    assert sorted(m for m in modules if m.split(".")[0] in NOT_AT_STARTUP) == []
    # A NamedTuple whose module has `from __future__ import annotations` gets its field types as
    # strings, which typing compiles one by one when the class is defined: ~1.5 ms for the data
    # commands' records. Their modules evaluate annotations instead (quoting only what must wait).
    assert string_annotated == []
