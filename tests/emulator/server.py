"""The loopback HTTPS server: a threaded http.server that hands requests to the router.

Faults are applied here, around the router: status answers, resets before or after processing,
delays. Every request is logged (method, path, api-version, status, fault) for tests to count.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import ssl
import struct
import threading
import time
from pathlib import Path
from typing import Any

from tests.emulator.certs import CertFiles, make_certs
from tests.emulator.faults import Faults
from tests.emulator.http import ApiError, Request, Response, Router
from tests.emulator.routes import build_router
from tests.emulator.routes.arm import seed_workspaces
from tests.emulator.routes.authorization import seed_role_assignments
from tests.emulator.routes.common import Context, require_token
from tests.emulator.routes.registry import seed_registry
from tests.emulator.state import Scenario, Settings, World


class _Reset(Exception):
    """Drop the connection with a TCP reset instead of answering."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = (
        True  # headers and body go out in separate writes; avoid 40 ms delayed-ACK stalls
    )
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # the request log replaces stderr chatter

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.path,
            "api_version": request.api_version,
            "status": None,
            "fault": None,
            "time": time.time(),
        }
        clock = self.server.emulator.settings.clock
        if clock is not None:
            entry["at"] = clock()  # simulated time (tests/emulator/timeline.py)
        try:
            response = self.server.emulator.respond(request, entry)
        except _Reset:
            entry["status"] = "reset"
            self.server.emulator.record(entry)
            self._reset()
            return
        entry["status"] = response.status
        self.server.emulator.record(entry)
        payload = response.encoded()
        self.send_response(response.status)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-ms-request-id": str(id(entry)),
            **response.headers,
        }
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _reset(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):  # linger 0: close() sends a TCP reset
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    do_GET = do_PUT = do_POST = do_DELETE = do_PATCH = do_HEAD = _handle


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    emulator: Emulator

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = self.socket.accept()
        return self.ssl_context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    ssl_context: ssl.SSLContext

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Handshake failures (a client that does not trust the CA) and resets are expected noise."""
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, ssl.SSLError | ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)


class Emulator:
    """One emulated Azure (ARM + Entra ID + serverless inference) on https://127.0.0.1:<port>."""

    def __init__(
        self, workdir: Path, scenario: Scenario | None = None, settings: Settings | None = None
    ) -> None:
        self.workdir = workdir
        self._build(World(scenario, settings))
        self.certs: CertFiles
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()

    # --- lifecycle ---
    def start(self) -> Emulator:
        self.certs, context = make_certs(self.workdir / "tls")
        server = _Server(("127.0.0.1", 0), _Handler)
        server.ssl_context = context
        server.emulator = self
        self._server = server
        self.ctx.base_url = f"https://127.0.0.1:{server.server_address[1]}"
        self._seed()
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="azure-emulator", daemon=True
        )
        self._thread.start()
        return self

    def reset(self) -> None:
        """Forget all state, faults, settings and the request log: a fresh emulator on the same address
        and certificates (cheaper than a restart when an attached Azurite should be kept)."""
        blob_endpoint, base_url = self.world.blob_endpoint, self.ctx.base_url
        self._build(World(self.world.scenario, Settings()))
        self.world.blob_endpoint, self.ctx.base_url = blob_endpoint, base_url
        self._seed()

    def _build(self, world: World) -> None:
        self.world = world
        self.faults = Faults()
        self.ctx = Context(self.world, self.faults)
        self.router: Router = build_router(self.ctx)

    def _seed(self) -> None:
        """What a provisioned stack already holds: its workspaces and role assignments; and the `azureml`
        registry's models."""
        seed_workspaces(self.ctx)
        seed_role_assignments(self.ctx)
        seed_registry(self.ctx)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests read ---
    @property
    def base_url(self) -> str:
        return self.ctx.base_url

    @property
    def scenario(self) -> Scenario:
        return self.world.scenario

    @property
    def settings(self) -> Settings:
        return self.world.settings

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._log_lock:
            return list(self.ctx.log)

    def count(self, method: str, path_contains: str, status: int | None = None) -> int:
        """How many logged requests match; e.g. count("PUT", "/jobs/") to prove no duplicate submit."""
        return sum(
            1
            for r in self.requests
            if r["method"] == method
            and path_contains.lower() in r["path"].lower()
            and (status is None or r["status"] == status)
        )

    def record(self, entry: dict[str, Any]) -> None:
        if entry["path"].startswith("/_emulator/"):
            return  # the emulator's own control routes are not Azure traffic
        with self._log_lock:
            self.ctx.log.append(entry)

    def env(self) -> dict[str, str]:
        """Ordinary configuration that points the toolkit and the SDKs at this emulator."""
        sc = self.scenario
        env = {
            "FOUNDRY_CLOUD": "custom",
            "FOUNDRY_ARM_ENDPOINT": self.base_url + "/",
            "FOUNDRY_AUTHORITY_HOST": self.base_url,
            "FOUNDRY_CA_BUNDLE": str(self.certs.ca),
            "REQUESTS_CA_BUNDLE": str(self.certs.ca),
            "SSL_CERT_FILE": str(self.certs.ca),
            "AZURE_TENANT_ID": sc.tenant_id,
            "AZURE_CLIENT_ID": sc.client_id,
            "AZURE_CLIENT_SECRET": sc.client_secret,
            "AZURE_AUTHORITY_HOST": self.base_url,
            "ARM_CLOUD_METADATA_URL": self.base_url + "/metadata/endpoints?api-version=2022-09-01",
            # Where registries are discovered: the toolkit's setting (a real user sets it only for a
            # private cloud) and azure-ai-ml's own for a cloud it does not know.
            "FOUNDRY_REGISTRY_ENDPOINT": self.base_url + "/",
            "REGISTRY_DISCOVERY_ENDPOINT_URL": self.base_url + "/",
        }
        if self.world.blob_endpoint:
            env["FOUNDRY_BLOB_ENDPOINT"] = self.world.blob_endpoint
        return env

    def outputs(self) -> dict[str, Any]:
        return self.scenario.outputs()

    # --- request handling ---
    def respond(self, request: Request, entry: dict[str, Any]) -> Response:
        control = request.path.startswith("/_emulator/")
        fault = (
            None
            if control
            else self.faults.take(
                request.method, request.path, ("status", "reset", "delay", "reset_after", "replay")
            )
        )
        if fault is not None:
            entry["fault"] = fault.kind
            if fault.kind == "reset":
                raise _Reset
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            if fault.kind == "replay":
                require_token(self.ctx, request)  # a recorded answer still needs a signed-in caller
                return Response(
                    fault.status, fault.body, {"Content-Type": "application/json", **fault.headers}
                )
            if fault.kind == "status":
                headers = {} if fault.retry_after is None else {"Retry-After": _seconds(fault.retry_after)}
                code = fault.code or {
                    429: "TooManyRequests",
                    500: "InternalServerError",
                    503: "ServiceUnavailable",
                }.get(fault.status, "InjectedFault")
                return ApiError(fault.status, code, fault.message, headers).response()
        try:
            response = self.router.dispatch(request)
        except ApiError as exc:
            response = exc.response(self.scenario.location)
        if fault is not None and fault.kind == "reset_after":
            raise _Reset
        return response

    def routes(self) -> list[tuple[str, str]]:
        return self.router.describe()


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
