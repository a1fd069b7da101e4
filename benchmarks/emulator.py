"""Azure emulation used by the tests and `make demo`: start-up times and request throughput.

Figures: emulator start (trustme CA + server cert + bind), Azurite start (node process until it prints
its port), a client-credentials token, ARM GETs per second over HTTPS with keep-alive, chat
completions per second at concurrency 1 and 8 through ops.azure.inference.
Run: `python -m benchmarks.emulator`.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path


def main(rounds: int = 5) -> None:
    from tests.emulator.azurite import Azurite
    from tests.emulator.server import Emulator

    with tempfile.TemporaryDirectory() as tmp:
        starts = []
        for i in range(rounds):
            t0 = time.perf_counter()
            emulator = Emulator(Path(tmp) / f"e{i}").start()
            starts.append(time.perf_counter() - t0)
            emulator.stop()
        print(
            f"emulator start: first {starts[0] * 1000:.0f} ms, median of rest "
            f"{statistics.median(starts[1:]) * 1000:.0f} ms"
        )
        emulator = Emulator(Path(tmp) / "main").start()
        try:
            if Azurite.available():
                t0 = time.perf_counter()
                azurite = Azurite(Path(tmp) / "az", emulator.certs.cert, emulator.certs.key).start()
                print(f"azurite start (https, oauth basic): {(time.perf_counter() - t0) * 1000:.0f} ms")
                azurite.stop()
            _requests(emulator)
        finally:
            emulator.stop()


def _requests(emulator: object) -> None:
    from ops.app import App
    from ops.flows import chat
    from tests.emulator.server import Emulator
    from tests.ops.arm.helpers import deploy_endpoint

    assert isinstance(emulator, Emulator)
    os.environ.update(emulator.env())
    outputs = emulator.workdir / "outputs.json"
    outputs.write_text(json.dumps(emulator.outputs()), encoding="utf-8")
    app = App(outputs_file=outputs)
    try:
        t0 = time.perf_counter()
        app.credential.get_token(app.cloud.arm_scope)
        print(
            f"first token (OIDC discovery + client credentials): {(time.perf_counter() - t0) * 1000:.0f} ms"
        )
        app.workspaces.get()
        n = 200
        t0 = time.perf_counter()
        for _ in range(n):
            app.workspaces.get()
        print(
            f"ARM GET workspace over HTTPS: {n / (time.perf_counter() - t0):.0f} req/s (sequential, keep-alive)"
        )
        deploy_endpoint(emulator, "bench")
        to = chat.target(app, "bench")
        prompts = [[{"role": "user", "content": f"question {i}"}] for i in range(200)]
        for concurrency in (1, 8):
            t0 = time.perf_counter()
            chat.chat_many(app, to, prompts, concurrency=concurrency)
            print(
                f"chat completions at concurrency {concurrency}: "
                f"{len(prompts) / (time.perf_counter() - t0):.0f} req/s"
            )
    finally:
        app.close()


if __name__ == "__main__":
    main()
