"""Spot credentials in training data: a fine-tuned model can repeat them to anyone who asks.

Heuristic, so it warns rather than fails. The matched text is never echoed, only its kind.
Scanning is staged so that clean text costs little: every pattern needs a run of at least 20
token-like characters ([A-Za-z0-9_-.~+/=]), which a whole block is checked for in one translate and
one search; only a block with such a run is searched for the patterns' literal markers, and only
lines of a block holding a marker are run through the matching expressions, which are compiled
then (by `re`'s own cache): most files never need them, and compiling all of them costs ~1 ms of start-up.
"""

import re
from typing import NamedTuple


class SecretPattern(NamedTuple):
    kind: str
    markers: tuple[str, ...]
    pattern: str  # a regular expression, compiled on first use


def _p(kind: str, markers: tuple[str, ...], pattern: str) -> SecretPattern:
    return SecretPattern(kind, markers, pattern)


PATTERNS: tuple[SecretPattern, ...] = (
    _p(
        "an OpenAI-style API key (sk-...)", ("sk-",), r"(?<![A-Za-z0-9])sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}"
    ),
    _p("an AWS access key id", ("AKIA", "ASIA"), r"(?<![A-Z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Z0-9])"),
    _p(
        "a GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})",
    ),
    _p("a Slack token", ("xox",), r"xox[abposr]-[A-Za-z0-9\-]{15,}"),
    _p("a Google API key", ("AIza",), r"AIza[0-9A-Za-z_\-]{35}"),
    _p("a bearer token", ("earer",), r"[Bb]earer\s+[A-Za-z0-9\-._~+/]{20,}=*"),
    _p("a private key", ("PRIVATE KEY-----",), r"-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----"),
    _p("an Azure storage account key", ("AccountKey=",), r"AccountKey=[A-Za-z0-9+/]{40,}={0,2}"),
    _p("a JSON web token", ("eyJ",), r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
)
_BYTE_MARKERS = tuple((p, tuple(m.encode() for m in p.markers)) for p in PATTERNS)


RUN = 20
_TOKEN_CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~+/="
_RUN_TABLE = bytes(ord("a") if i in _TOKEN_CHARS else ord(" ") for i in range(256))
_RUN_NEEDLE = b"a" * RUN


def candidates(block: bytes) -> tuple[SecretPattern, ...]:
    """The patterns whose markers occur somewhere in `block` (usually none)."""
    if _RUN_NEEDLE not in block.translate(_RUN_TABLE):
        return ()
    return tuple(p for p, markers in _BYTE_MARKERS if any(m in block for m in markers))


def find_secret(text: str, patterns: tuple[SecretPattern, ...] = PATTERNS) -> str | None:
    """The kind of the first credential-looking string in `text`, or None."""
    for p in patterns:
        if any(m in text for m in p.markers) and re.search(p.pattern, text):
            return p.kind
    return None
