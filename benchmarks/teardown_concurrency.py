"""`foundry-ops teardown` wall time for 8 endpoints at --concurrency 1, 2, 4 and 8.

Each endpoint DELETE takes 0.3 s at the emulated service and its long-running operation answers
"InProgress" twice before it succeeds (polled every 0.2 s, `--poll-interval 0.2`), a stand-in for the
minutes a real serverless endpoint deletion takes. The figure compared with is concurrency 1 (one
deletion after another, what the toolkit did before); the ideal speed-up is the concurrency, less the
fixed cost of planning, listing and the final gone-check. Run: `python -m benchmarks.teardown_concurrency`.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

ENDPOINTS = 8
LEVELS = (1, 2, 4, 8)
DELETE_S = 0.3


def main() -> None:
    from click.testing import CliRunner

    from ops.azure.records import TOOL_TAG
    from ops.cli import cli
    from tests.emulator.server import Emulator
    from tests.emulator.stack import FOREIGN_ENV
    from tests.ops.arm.helpers import deploy_endpoint

    for name in FOREIGN_ENV:
        os.environ.pop(name, None)
    print(f"{ENDPOINTS} endpoints; each DELETE takes {DELETE_S} s, then 2 operation polls 0.2 s apart")
    print(f"{'concurrency':>11} {'wall s':>7} {'speed-up':>8} {'DELETEs':>7} {'GETs':>5}")
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        for concurrency in LEVELS:
            emulator = Emulator(Path(tmp) / f"e{concurrency}").start()
            try:
                outputs = Path(tmp) / f"outputs{concurrency}.json"
                outputs.write_text(json.dumps(emulator.outputs()), encoding="utf-8")
                os.environ.update(
                    {
                        **emulator.env(),
                        "FOUNDRY_OUTPUTS": str(outputs),
                        "XDG_CACHE_HOME": str(Path(tmp) / f"cache{concurrency}"),
                    }
                )
                for i in range(ENDPOINTS):
                    deploy_endpoint(emulator, f"ep-{i}", tags={TOOL_TAG: "1"})
                emulator.settings.lro_polls = 2
                emulator.faults.add(
                    "delay", method="DELETE", path="/serverlessEndpoints/", seconds=DELETE_S, count=-1
                )
                args = ["teardown", "--yes", "--concurrency", str(concurrency), "--poll-interval", "0.2"]
                started = time.perf_counter()
                result = CliRunner().invoke(cli, args, catch_exceptions=False)
                wall = time.perf_counter() - started
                if result.exit_code != 0 or emulator.world.endpoints:
                    raise SystemExit(f"teardown failed at concurrency {concurrency}: {result.output}")
                base = base or wall
                deletes = emulator.count("DELETE", "/serverlessEndpoints/")
                gets = sum(1 for r in emulator.requests if r["method"] == "GET")
                print(
                    f"{concurrency:>11} {wall:>7.2f} {base / wall:>7.2f}× {deletes:>7} {gets:>5}", flush=True
                )
            finally:
                emulator.stop()


if __name__ == "__main__":
    main()
