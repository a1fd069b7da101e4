"""The data layer's digests, without loading OpenSSL when it would cost more than it saves.

`import hashlib` first loads OpenSSL's libcrypto through `_hashlib`: about 3 ms, a large part of
what a data command adds to start-up on a small file.

- blake2b (the duplicate digests): `hashlib.blake2b` *is* CPython's `_blake2.blake2b` (hashlib
  never takes blake2 from OpenSSL), so it comes from `_blake2` directly.
- SHA-256 (what `data split` and `data fix` report of the files they write): OpenSSL's hashes
  ~1,700 MB/s here, CPython's own `_sha256` ~290 MB/s. Loading OpenSSL pays for itself from about
  1 MB on, so `sha256_for` takes the built-in one below SHA256_OPENSSL_FROM bytes and OpenSSL's
  from there. Both compute the same SHA-256 (tests/ops/data/test_digest.py checks it).

An interpreter built without these modules gets hashlib's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Protocol

    class Sha256(Protocol):
        def update(self, data: bytes, /) -> None: ...
        def digest(self) -> bytes: ...
        def hexdigest(self) -> str: ...


try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - every CPython since 3.6 builds it
    from hashlib import blake2b

SHA256_OPENSSL_FROM = 1 << 20  # bytes: loading OpenSSL ~3 ms; the built-in hash is ~2.9 ms slower per MB

__all__ = ["SHA256_OPENSSL_FROM", "blake2b", "sha256_for"]


def sha256_for(size: int) -> Sha256:
    """A new SHA-256 object for about `size` bytes of input: the cheaper one in total, start-up included."""
    if size < SHA256_OPENSSL_FROM:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found]  # no stub in typeshed
        except ImportError:  # pragma: no cover - every CPython builds it
            from hashlib import sha256
        new: Sha256 = sha256()
        return new
    import hashlib

    return hashlib.sha256()
