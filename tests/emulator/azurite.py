"""A real Azurite blob service on a free loopback port, over HTTPS with OAuth (`--oauth basic`).

Azurite 3.35 is pinned in package.json (later releases need node >= 22). `--blobPort 0` lets the OS
pick the port; Azurite prints it ("successfully listens on https://127.0.0.1:<port>"). With
`--oauth basic` it accepts bearer tokens after checking their claims (issuer, audience, lifetime),
so the real azure-storage-blob client authenticates with the emulator's Entra tokens.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

ACCOUNT = "devstoreaccount1"  # Azurite's built-in account
# Azurite's documented development-account key (public; see Azurite's README).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
REPO = Path(__file__).resolve().parents[2]
EXECUTABLE = REPO / "node_modules" / ".bin" / "azurite-blob"
_LISTENING = re.compile(r"listens on (https?)://127\.0\.0\.1:(\d+)")


class AzuriteError(RuntimeError):
    pass


class Azurite:
    def __init__(self, workdir: Path, cert: Path | None = None, key: Path | None = None) -> None:
        self.workdir = workdir
        self.cert = cert
        self.key = key
        self.process: subprocess.Popen[str] | None = None
        self.port: int | None = None
        self.scheme = "https" if cert else "http"
        self._output: list[str] = []

    @staticmethod
    def available() -> bool:
        return Azurite.missing() is None

    @staticmethod
    def missing() -> str | None:
        """One line naming what to install, or None when Azurite can start."""
        if shutil.which("node") is None:
            return "Azurite needs Node.js: `node` is not on PATH (install Node.js 18 or 20, then run `make install`)"
        if not EXECUTABLE.exists():
            rel = EXECUTABLE.relative_to(REPO)
            return f"Azurite is not installed: {rel} is missing (run `make install`, or `npm ci` in {REPO})"
        return None

    @property
    def blob_endpoint(self) -> str:
        """Path-style account URL, as a private-endpoint-style override would give it."""
        return f"{self.scheme}://127.0.0.1:{self.port}/{ACCOUNT}"

    def start(self, timeout: float = 15.0) -> Azurite:
        problem = self.missing()
        if problem is not None:
            raise AzuriteError(problem)
        location = self.workdir / "azurite"
        location.mkdir(parents=True, exist_ok=True)
        command = [
            str(EXECUTABLE),
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            "0",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
            "--location",
            str(location),
        ]
        if self.cert and self.key:
            command += ["--cert", str(self.cert), "--key", str(self.key), "--oauth", "basic"]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        found = threading.Event()
        threading.Thread(target=self._read, args=(found,), daemon=True).start()
        deadline = time.monotonic() + timeout
        while not found.wait(0.02):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AzuriteError("Azurite did not start: " + " | ".join(self._output[-5:]))
        return self

    def _read(self, found: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self._output.append(line.rstrip())
            match = _LISTENING.search(line)
            if match and not found.is_set():
                self.scheme, self.port = match.group(1), int(match.group(2))
                found.set()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self.process = None

    def __enter__(self) -> Azurite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
