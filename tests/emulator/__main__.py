"""Standalone launcher: `python -m tests.emulator [--env-file FILE] [--no-azurite]`.

Starts the emulator (and Azurite), writes the stack outputs JSON and a shell-sourceable env file,
prints the variables, and serves until interrupted (Ctrl-C / SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path

from tests.emulator.azurite import AzuriteError
from tests.emulator.stack import EmulatedStack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--env-file", type=Path, help="write `export KEY=VALUE` lines here")
    parser.add_argument(
        "--workdir", type=Path, help="certificates, Azurite data, outputs.json (default: temp)"
    )
    parser.add_argument("--no-azurite", action="store_true", help="do not start Azurite")
    args = parser.parse_args(argv)
    if args.env_file:  # an old file must not pass for this run's: it appears, whole, once all is up
        args.env_file.unlink(missing_ok=True)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="foundry-emulator-"))
    try:
        stack = EmulatedStack(workdir, blob=not args.no_azurite).start()
    except AzuriteError as exc:  # one line naming what to install (or use --no-azurite)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        lines = [f"export {k}={shlex.quote(v)}" for k, v in stack.env().items()]
        if args.env_file:
            partial = args.env_file.with_name(args.env_file.name + ".partial")
            partial.write_text("\n".join(lines) + "\n", encoding="utf-8")
            partial.replace(args.env_file)
        print("\n".join(lines), flush=True)
        print(
            f"# emulator on {stack.emulator.base_url}; stop it with Ctrl-C or kill {os.getpid()}",
            file=sys.stderr,
            flush=True,
        )
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        if args.env_file:
            args.env_file.unlink(missing_ok=True)  # its endpoints and login are gone with the emulator
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
