"""Billed training tokens and, only when the user supplies a price, cost.

Only examples without errors are billed: an example the validator calls invalid (any error-level
issue, too_long included) would make the service refuse the file, and once it is fixed or dropped
(`foundry-ops data fix`) it is not the example that was counted. How many were left out, and why, is
part of the estimate.

Phi fine-tuning prices are not published in a machine-readable place and change, so the toolkit
never carries one: the price per 1,000 tokens comes from --price-per-1k-tokens or the environment
variable FOUNDRY_PRICE_PER_1K_TOKENS (in whatever currency the user reads it in).
"""

import math
import os
from collections.abc import Mapping
from typing import Any, NamedTuple

from core.errors import UsageError

PRICE_ENV = "FOUNDRY_PRICE_PER_1K_TOKENS"


class Estimate(NamedTuple):
    tokens_per_epoch: int
    epochs: int
    exact: bool
    price_per_1k_tokens: float | None = None
    price_source: str | None = None
    excluded_examples: int = 0  # examples with errors, not counted
    excluded_categories: tuple[str, ...] = ()  # their error categories

    @property
    def excluded_reason(self) -> str | None:
        """Why examples were left out (for JSON); None when none was."""
        return f"examples {self._excluded(' are not billed')}" if self.excluded_examples else None

    def excluded_text(self) -> str:
        """One line for tables: how many examples were left out, and why."""
        n = self.excluded_examples
        if not n:
            return "none"
        return f"{n:,} {'example' if n == 1 else 'examples'} {self._excluded(', not billed')}"

    def _excluded(self, billed: str) -> str:
        """The wording both share: `with errors (<categories>)<billed>; <how to drop them>`."""
        return (
            f"with errors ({', '.join(self.excluded_categories)}){billed}; `foundry-ops data fix` drops them"
        )

    @property
    def billed_tokens(self) -> int:
        return self.tokens_per_epoch * self.epochs

    @property
    def cost(self) -> float | None:
        if self.price_per_1k_tokens is None:
            return None
        return round(self.billed_tokens / 1000 * self.price_per_1k_tokens, 6)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokens_per_epoch": self.tokens_per_epoch,
            "epochs": self.epochs,
            "billed_tokens": self.billed_tokens,
            "exact": self.exact,
            "price_per_1k_tokens": self.price_per_1k_tokens,
            "price_source": self.price_source,
            "cost": self.cost,
            "excluded": {"examples": self.excluded_examples, "reason": self.excluded_reason},
        }

    def summary(self) -> str:
        approx = "" if self.exact else "about "
        epochs = "epoch" if self.epochs == 1 else "epochs"
        text = f"{approx}{self.tokens_per_epoch:,} tokens x {self.epochs} {epochs}"
        text += f" = {self.billed_tokens:,} billed"
        if self.cost is None:
            return f"{text} (no price given: --price-per-1k-tokens or {PRICE_ENV})"
        cost = f"{self.cost:,.2f}" if self.cost >= 1 else f"{self.cost:.4g}"
        return f"{text}; at {self.price_per_1k_tokens:g} per 1K tokens: {approx}{cost}"


def parse_price(value: str, source: str) -> float:
    try:
        price = float(value)
    except ValueError:
        raise UsageError(f"{source}: {value!r} is not a number") from None
    if not math.isfinite(price) or price < 0:
        raise UsageError(f"{source}: the price must be a non-negative number, got {value!r}")
    return price


def make_estimate(
    tokens_per_epoch: int,
    epochs: int,
    *,
    exact: bool,
    price: float | None = None,
    env: Mapping[str, str] | None = None,
    excluded: int = 0,
    excluded_categories: tuple[str, ...] = (),
) -> Estimate:
    """An estimate with the price from the argument, else from FOUNDRY_PRICE_PER_1K_TOKENS, else none.

    `tokens_per_epoch` counts valid examples only; `excluded` says how many examples with errors
    (of `excluded_categories`) were left out."""
    if epochs < 1:
        raise UsageError(f"epochs must be at least 1, got {epochs}")
    source: str | None = None
    if price is not None:
        if not math.isfinite(price) or price < 0:
            raise UsageError(f"--price-per-1k-tokens must be a non-negative number, got {price}")
        source = "--price-per-1k-tokens"
    else:
        raw = (os.environ if env is None else env).get(PRICE_ENV, "").strip()
        if raw:
            price, source = parse_price(raw, PRICE_ENV), PRICE_ENV
    return Estimate(tokens_per_epoch, epochs, exact, price, source, excluded, excluded_categories)
