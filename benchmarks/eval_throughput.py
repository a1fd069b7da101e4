"""`foundry-ops eval` throughput against the emulated serverless endpoint, at several --concurrency levels.

The endpoint takes 50 ms per completion (settings.chat_latency_s), so one request at a time caps at
20 requests/s and N at a time at 20·N ("ideal"). Each level runs the real command in-process on the
same 161-example file (the log-probability probe, then 160 with the bound): wall time, requests/s,
speed-up over concurrency 1, the share of ideal reached, latency p50/p95 as the command reports them,
and the most completions the endpoint saw in flight. The last rows give the endpoint a limit of 4
completions at once (429 + Retry-After: 1 beyond it) to show what asking for more than it serves costs.
Run: `python -m benchmarks.eval_throughput`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY_S = 0.05
EXAMPLES = 161
LEVELS = (1, 2, 4, 8, 16)
LIMITED = ((4, 4), (8, 4), (16, 4))  # (concurrency, endpoint limit)


def main() -> None:
    import multiprocessing

    from tests.emulator.stack import FOREIGN_ENV

    for name in FOREIGN_ENV:  # settings an earlier benchmark or the caller's shell left behind
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory() as tmp:
        ours, theirs = multiprocessing.Pipe()
        server = multiprocessing.get_context("spawn").Process(
            target=_serve, args=(theirs, Path(tmp)), daemon=True
        )
        server.start()  # its own process: the client's threads do not share a GIL with the server's
        try:
            if not ours.poll(120):
                raise SystemExit("the emulator process did not start (see its error above)")
            os.environ.update(ours.recv())
            data = _heldout(Path(tmp) / "heldout.jsonl")
            _run(ours, data, 1, 0, "--limit", "5")  # warm-up: token, endpoint keys, imports
            print(
                f"{EXAMPLES} examples, {LATENCY_S * 1000:.0f} ms per completion, emulator in its own "
                "process; ideal = min(concurrency, limit) / latency"
            )
            print(
                f"{'concurrency':>11} {'limit':>5} {'wall s':>7} {'req/s':>7} {'speed-up':>8} "
                f"{'of ideal':>8} {'p50 ms':>7} {'p95 ms':>7} {'in flight':>9} {'429s':>5}"
            )
            base = None
            for concurrency, limit in [(c, 0) for c in LEVELS] + list(LIMITED):
                row = _run(ours, data, concurrency, limit)
                base = base or row["rate"]
                ideal = min(concurrency, limit or concurrency) / LATENCY_S
                print(
                    f"{concurrency:>11} {limit or '-':>5} {row['wall']:>7.2f} {row['rate']:>7.1f} "
                    f"{row['rate'] / base:>7.2f}× {row['rate'] / ideal:>8.0%} {row['p50']:>7.0f} "
                    f"{row['p95']:>7.0f} {row['peak']:>9} {row['throttled']:>5}",
                    flush=True,
                )
        finally:
            if server.is_alive():
                ours.send(("stop",))
            server.join(10)


def _serve(conn: Any, tmp: Path) -> None:
    """The emulator process: start, deploy `bench`, then obey (configure | gauge | stop) messages."""
    from tests.emulator.server import Emulator
    from tests.emulator.state import Gauge
    from tests.ops.arm.helpers import deploy_endpoint

    emulator = Emulator(tmp / "emulator").start()
    try:
        outputs = tmp / "outputs.json"
        outputs.write_text(json.dumps(emulator.outputs()), encoding="utf-8")
        deploy_endpoint(emulator, "bench")
        conn.send({**emulator.env(), "FOUNDRY_OUTPUTS": str(outputs)})
        while True:
            message = conn.recv()
            if message[0] == "configure":
                emulator.settings.chat_latency_s, emulator.settings.chat_concurrency_limit = message[1:]
                emulator.world.chat_gauge = Gauge()
                conn.send(None)
            elif message[0] == "gauge":
                conn.send((emulator.world.chat_gauge.peak, emulator.world.chat_gauge.throttled))
            else:
                return
    finally:
        emulator.stop()


def _heldout(path: Path) -> Path:
    lines = (
        json.dumps(
            {
                "messages": [
                    {"role": "user", "content": f"question {i}"},
                    {"role": "assistant", "content": f"bench answers: question {i}"},
                ]
            }
        )
        for i in range(EXAMPLES)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(conn: Any, data: Path, concurrency: int, limit: int, *extra: str) -> dict[str, float]:
    from click.testing import CliRunner

    from ops.cli import cli

    conn.send(("configure", LATENCY_S, limit))
    conn.recv()
    args = ["eval", "bench", "--file", str(data), "--concurrency", str(concurrency), "-o", "json", *extra]
    started = time.perf_counter()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    wall = time.perf_counter() - started
    if result.exit_code != 0:
        raise SystemExit(f"eval failed at concurrency {concurrency}: {result.output}")
    report = json.loads(result.stdout)
    scores = report["endpoints"]["bench"]
    if scores["answered"] != report["examples"]:
        raise SystemExit(f"only {scores['answered']} answered at concurrency {concurrency}")
    conn.send(("gauge",))
    peak, throttled = conn.recv()
    return {
        "wall": wall,
        "rate": report["examples"] / wall,
        "p50": scores["latency_ms"]["p50"],
        "p95": scores["latency_ms"]["p95"],
        "peak": peak,
        "throttled": throttled,
    }


if __name__ == "__main__":
    main()
