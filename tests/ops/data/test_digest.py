"""The data layer's digests (ops/data/digest.py, taken so that a small file does not load OpenSSL) are
hashlib's: blake2b is the same function, so duplicates found across processes and runs are unchanged,
and both SHA-256 objects `sha256_for` hands out give the published digests."""

from __future__ import annotations

import hashlib

import pytest

from ops.data.checks import example_key
from ops.data.digest import SHA256_OPENSSL_FROM, blake2b, sha256_for


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


# FIPS 180-2, appendix B.1 and B.2: the one-block and the two-block message
FIPS_180_2 = {
    b"abc": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq": (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    ),
}


@pytest.mark.parametrize("size", [0, SHA256_OPENSSL_FROM - 1, SHA256_OPENSSL_FROM, 10 * SHA256_OPENSSL_FROM])
def test_sha256_for_any_size_gives_the_published_digests(size: int) -> None:
    for message, expected in FIPS_180_2.items():
        digest = sha256_for(size)
        digest.update(message[:1])
        digest.update(message[1:])  # in pieces, as the writers feed it
        assert digest.hexdigest() == expected
    big = bytes(range(256)) * 5000
    digest = sha256_for(size)
    digest.update(big)
    assert digest.hexdigest() == hashlib.sha256(big).hexdigest()


def test_sha256_for_loads_openssl_only_for_large_inputs() -> None:
    """Below the threshold CPython's own SHA-256; from it on OpenSSL's, which hashes ~6x faster."""
    assert type(sha256_for(0)).__module__ == "_sha256"
    assert type(sha256_for(SHA256_OPENSSL_FROM - 1)).__module__ == "_sha256"
    assert type(sha256_for(SHA256_OPENSSL_FROM)) is type(hashlib.sha256())
    assert type(hashlib.sha256()).__module__ == "_hashlib"
