"""The data layer's blake2b (ops/data/digest.py, taken from `_blake2` to spare start-up OpenSSL) is
hashlib's: same function, same digests, so duplicates found across processes and runs are unchanged."""

from __future__ import annotations

import hashlib

import pytest

from ops.data.checks import example_key
from ops.data.digest import blake2b


def test_it_is_hashlibs_own_blake2b() -> None:
    assert blake2b is hashlib.blake2b


@pytest.mark.parametrize("size", [8, 16, 64])
@pytest.mark.parametrize("data", [b"", b"hello", "Grüße, 世界".encode(), bytes(range(256)) * 40])
def test_digests_match_hashlib(data: bytes, size: int) -> None:
    assert blake2b(data, digest_size=size).digest() == hashlib.blake2b(data, digest_size=size).digest()


def test_example_key_is_hashlibs_digest_of_the_turns() -> None:
    """Worked out with hashlib itself: roles and contents, unit and record separators, 8 bytes."""
    turns = [("user", "hi"), ("assistant", "Grüße")]
    expected = hashlib.blake2b(b"user\x1fhi\x1eassistant\x1f" + "Grüße".encode() + b"\x1e", digest_size=8)
    assert example_key(turns) == expected.digest()
