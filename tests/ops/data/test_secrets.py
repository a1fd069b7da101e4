"""The credential scan: each kind is found through the block pre-checks, ordinary text is not flagged."""

from __future__ import annotations

import pytest

from ops.data.secrets import PATTERNS, candidates, find_secret

SAMPLES = {
    "an OpenAI-style API key (sk-...)": "key: sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12",
    "an AWS access key id": "aws AKIAIOSFODNN7EXAMPLE here",
    "a GitHub token": "token ghp_" + "a1B2c3D4e5" * 4,
    "a Slack token": "xoxb-123456789012-abcdefghij",
    "a Google API key": "AIza" + "Sy" + "B1c2D3e4F5g6H7i8J9k0L1m2N3o4P5q6r",
    "a bearer token": "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123456789",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----\\nMIIEowIBAAKCAQEA7bq98fGh3kLmNoPqRsTuVwXyZ0123456789abcdefgh\\n",
    "an Azure storage account key": "AccountKey=" + "Zm9vYmFyYmF6cXV4" * 4 + "==",
    "a JSON web token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
}


def test_every_kind_has_a_sample() -> None:
    assert set(SAMPLES) == {p.kind for p in PATTERNS}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_each_kind_is_found_through_the_block_checks(kind: str) -> None:
    line = '{"messages": [{"role": "user", "content": "' + SAMPLES[kind] + '"}]}'
    block = ("ordinary text. " * 1000 + line + "\n" + "more text. " * 1000).encode()
    patterns = candidates(block)
    assert patterns, kind
    assert find_secret(line, patterns) == kind


def test_ordinary_text_has_no_candidates() -> None:
    text = "The task-based approach to risk-free bearer bonds: ask-price and desk-top eyJ AKIA xox. " * 500
    assert candidates(text.encode()) == ()
    assert find_secret(text) is None
