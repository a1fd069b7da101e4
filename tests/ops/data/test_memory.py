"""Memory does not follow file size: a 100k-line file is validated, and split, in a few MB of Python objects."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from ops.data.dedup import DuplicateFinder

PROBE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    from pathlib import Path
    path, workers = Path(sys.argv[1]), int(sys.argv[2])
    with path.open("w") as f:
        for i in range(100_000):
            f.write(json.dumps({"messages": [
                {"role": "system", "content": "You answer questions about bicycles."},
                {"role": "user", "content": f"question {i}: " + "which gear for climbing? " * (1 + i % 9)},
                {"role": "assistant", "content": f"answer {i}: " + "use a lower gear. " * (1 + i % 5)},
            ]}) + "\\n")
        f.write(json.dumps({"messages": [{"role": "user", "content": "question 1"}]}) + "\\n")
    from ops.data.validate import validate_file
    tracemalloc.start()
    report = validate_file(path, "Phi-4-mini-instruct", workers=workers)
    _, peak = tracemalloc.get_traced_memory()
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec
    hwm = [line for line in open("/proc/self/status") if line.startswith("VmHWM:")][0]
    print(json.dumps({"peak": peak, "rss_kb": int(hwm.split()[1]),
                      "size": path.stat().st_size, "examples": report.examples,
                      "errors": report.error_counts, "tokens": report.tokens.total}))
    """
)


def probe(tmp_path: Path, workers: int) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / f"big{workers}.jsonl"), str(workers)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    ).stdout
    result: dict[str, int] = json.loads(out)
    return result


def test_100k_lines_in_bounded_memory(tmp_path: Path) -> None:
    result = probe(tmp_path, workers=1)
    assert result["examples"] == 100_001
    assert result["errors"] == {"no_assistant": 1}
    assert result["size"] > 30 * 2**20
    # Python allocations (everything the validator holds) stay far below the file's 35 MB
    assert result["peak"] < 12 * 2**20, result["peak"]
    # the whole process, tokenizer included (~60 MB of o200k tables), stays under the 150 MB target
    assert result["rss_kb"] < 150 * 1024, result["rss_kb"]


def test_parallel_validation_in_bounded_memory(tmp_path: Path) -> None:
    result = probe(tmp_path, workers=2)
    assert result["errors"] == {"no_assistant": 1}
    assert result["peak"] < 12 * 2**20, result["peak"]
    assert result["rss_kb"] < 150 * 1024, result["rss_kb"]


def test_duplicate_finder_spills_to_disk(tmp_path: Path) -> None:
    from array import array

    with DuplicateFinder(buckets=4, spill_after=10) as finder:
        for start in range(0, 100, 10):
            digests = array("Q", [(start + i) % 37 for i in range(10)])
            finder.add(digests, array("Q", range(1, 11)), line_offset=start)
        assert finder._dir is not None  # spilled
        total, listed = finder.duplicates(cap=5)
    # digests 0..36 repeat every 37 lines: lines 38..100 repeat an earlier one
    assert total == 100 - 37
    assert listed == [(38, 1), (39, 2), (40, 3), (41, 4), (42, 5)]


SPLIT_PROBE = textwrap.dedent(
    """
    import json, sys, tracemalloc
    from pathlib import Path
    path, out = Path(sys.argv[1]), sys.argv[2]
    with path.open("w") as f:
        for i in range(100_000):
            f.write(json.dumps({"messages": [
                {"role": "user", "content": f"question {i}: " + "which gear for climbing? " * (1 + i % 9)},
                {"role": "assistant", "content": f"answer {i}: " + "use a lower gear. " * (1 + i % 5)},
            ]}) + "\\n")
    from ops.data.split import split_file
    tracemalloc.start()
    result = split_file(path, validation_fraction=0.1, seed=0, out_dir=out, workers=1)
    _, peak = tracemalloc.get_traced_memory()
    print(json.dumps({"peak": peak, "examples": result.train.examples + result.validation.examples}))
    """
)


def test_split_of_100k_lines_in_bounded_memory(tmp_path: Path) -> None:
    """4 bytes kept per example, the 2^20-bucket histogram and its running sums (4 MB each, as arrays:
    as a list of ints the sums alone took ~36 MB), and the validator's few MB."""
    out = subprocess.run(
        [sys.executable, "-c", SPLIT_PROBE, str(tmp_path / "big.jsonl"), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
    ).stdout
    result = json.loads(out)
    assert result["examples"] == 100_000
    assert result["peak"] < 16 * 2**20, result["peak"]
