"""A throwaway certificate authority (trustme) and server certificates for 127.0.0.1/localhost.

One CA per process signs the emulator's and Azurite's certificates, so a single CA file trusts both.
Clients trust it the ordinary way: FOUNDRY_CA_BUNDLE, REQUESTS_CA_BUNDLE / SSL_CERT_FILE or
`connection_verify=`.
"""

from __future__ import annotations

import functools
import ssl
from dataclasses import dataclass
from pathlib import Path

try:
    import trustme
except ImportError as exc:  # pragma: no cover - a broken environment
    raise ImportError("trustme is missing: run `make install` (it is pinned in requirements.lock)") from exc


@dataclass(frozen=True)
class CertFiles:
    ca: Path  # the CA certificate clients trust
    cert: Path  # server certificate chain (PEM)
    key: Path  # server private key (PEM)


@functools.cache
def _ca() -> trustme.CA:
    return trustme.CA(organization_name="foundry-emulator test CA")


def make_certs(directory: Path) -> tuple[CertFiles, ssl.SSLContext]:
    directory.mkdir(parents=True, exist_ok=True)
    ca = _ca()
    server = ca.issue_cert("127.0.0.1", "localhost")
    files = CertFiles(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca.cert_pem.write_to_path(str(files.ca))
    server.private_key_pem.write_to_path(str(files.key))
    with files.cert.open("wb") as handle:
        for blob in server.cert_chain_pems:
            handle.write(blob.bytes())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.configure_cert(context)
    return files, context
