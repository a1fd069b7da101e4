"""Run every benchmark module in this package, printing a header for each.

`startup` runs first, the rest in name order: it times 50 ms processes against a floor, and the heavy
benchmarks leave the machine busier for a while after they end: in a `make bench` on a clean clone of
9cec56b, where it ran after them, its medians came out 0.1-0.2x higher than in a run of its own two
minutes later.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

import benchmarks

FIRST = ("startup",)


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(benchmarks.__file__).parent)]))
    names = [n for n in names if not n.startswith("_") and (not wanted or n in wanted)]
    names.sort(key=lambda n: n not in FIRST)
    print(f"machine: {machine()}")
    failed = 0
    for name in names:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        environ = dict(os.environ)  # benchmarks point the SDKs at their own emulator: undo it after
        try:
            module.main()
        except SystemExit as exc:
            failed += int(bool(exc.code))
        finally:
            os.environ.clear()
            os.environ.update(environ)
        print(f"({name}: {time.perf_counter() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
