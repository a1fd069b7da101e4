"""Run every benchmark module in this package, in name order, printing a header for each."""

from __future__ import annotations

import importlib
import os
import pkgutil
import platform
import sys
import time
from pathlib import Path

import benchmarks


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(benchmarks.__file__).parent)]))
    names = [n for n in names if not n.startswith("_") and (not wanted or n in wanted)]
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
