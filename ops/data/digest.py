"""blake2b, the data layer's digest for duplicates, without loading OpenSSL.

`hashlib.blake2b` *is* CPython's `_blake2.blake2b` (hashlib never takes blake2 from OpenSSL), but
`import hashlib` first loads OpenSSL's libcrypto through `_hashlib`, about 3 ms: a large part of what
`data validate` adds to start-up on a small file. So the data commands take blake2b from `_blake2`
directly; the digests are the same (tests/ops/data/test_digest.py checks it). An interpreter without
`_blake2` gets hashlib's.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - every CPython since 3.6 builds it
    from hashlib import blake2b

__all__ = ["blake2b"]
