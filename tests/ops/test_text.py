"""Timestamps and "did you mean": one implementation, used by every command that shows them."""

from __future__ import annotations

import datetime as dt

import pytest

from core.words import closest
from ops.text import did_you_mean, iso, iso_z, parse_iso


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        (
            "2024-11-25T07:36:17.1234567+00:00",
            "2024-11-25T07:36:17Z",
        ),  # as the ML resource provider writes it
        ("2024-11-25T07:36:17Z", "2024-11-25T07:36:17Z"),
        ("2024-11-25 07:36:17", "2024-11-25T07:36:17Z"),  # job properties.StartTimeUtc, naive = UTC
        ("2024-11-25T09:36:17+02:00", "2024-11-25T07:36:17Z"),
        ("not a time", "not a time"),
    ],
)
def test_iso_z(stamp: str, shown: str) -> None:
    assert iso_z(stamp) == shown


def test_parse_iso_and_iso_round_trip() -> None:
    moment = dt.datetime(2026, 12, 6, 10, 41, 15, 999, tzinfo=dt.UTC)
    assert parse_iso(iso(moment)) == moment.replace(microsecond=0)
    assert parse_iso(None) is None and parse_iso("soon") is None


@pytest.mark.parametrize(
    ("word", "meant"),
    [
        ("Support-Bot", "support-bot"),  # case
        ("token-f1", "token_f1"),  # `_` and `-`
        ("bot", "support-bot"),  # the one choice that contains it
        ("suport-bot", "support-bot"),  # a close match
        ("xyz", None),
    ],
)
def test_closest(word: str, meant: str | None) -> None:
    assert closest(word, ["support-bot", "token_f1", "exact_match"]) == meant


def test_did_you_mean_ends_a_message_or_adds_nothing() -> None:
    assert did_you_mean("suport-bot", ["support-bot"]) == "; did you mean support-bot?"
    assert did_you_mean("xyz", ["support-bot"]) == ""
