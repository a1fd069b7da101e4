"""docs/infra.md documents what the code accepts and produces: every config key and every output key."""

from __future__ import annotations

import re
from pathlib import Path

from catalog.contract import OUTPUT_KEYS
from infra.config import StackConfig

README = (Path(__file__).resolve().parents[2] / "docs" / "infra.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert match, f"docs/infra.md has no section {title!r}"
    return match.group(1)


def _first_column_keys(section: str) -> set[str]:
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([A-Za-z_]+)`", line.split("|")[1]))
    return keys


def test_every_config_key_is_documented() -> None:
    assert set(StackConfig.KEYS) == _first_column_keys(_section("Configuration keys"))


def test_every_output_key_is_documented() -> None:
    assert set(OUTPUT_KEYS) == _first_column_keys(
        _section("Stack outputs (the contract `foundry-ops` reads)")
    )
