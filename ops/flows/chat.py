"""Talking to a deployed endpoint: its inference URI and key (both read through ARM), then chats."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.errors import UsageError
from ops.concurrency import batch_error, run_bounded
from ops.flows import found

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.inference import ChatResult


@dataclass(frozen=True)
class Target:
    name: str
    uri: str
    key: str


def target(app: App, name: str) -> Target:
    """The endpoint must be provisioned; its first key is used (never printed)."""
    endpoint = found.endpoint(app, name)
    state = endpoint.provisioning_state or "Unknown"
    if not endpoint.provisioned:
        raise UsageError(
            f"endpoint {name} is {state}, not ready for requests", hint=f"foundry-ops deploy show {name}"
        )
    if not endpoint.uri:
        raise UsageError(f"endpoint {name} has no inference URI yet")
    keys = app.endpoints.keys(name)
    key = keys.get("primary") or keys.get("secondary")
    if not key:
        raise UsageError(f"endpoint {name} returned no keys (is it AAD-only?)")
    return Target(name, endpoint.uri, key)


def chat_many(
    app: App,
    to: Target,
    conversations: Sequence[Sequence[dict[str, Any]]],
    *,
    concurrency: int,
    **options: Any,
) -> list[ChatResult]:
    """Every conversation, at most `concurrency` in flight; results keep the input order. Every request
    runs to its end even when another fails; then the failures are raised as one error."""
    items = list(conversations)
    outcomes = run_bounded(
        items, lambda m: app.inference.chat(to.uri, to.key, m, **options), concurrency=concurrency
    )
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise batch_error("requests", failed, len(items))
    return [o.unwrap() for o in outcomes]


def user_prompt(prompt: str, system: str | None = None) -> list[dict[str, Any]]:
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
