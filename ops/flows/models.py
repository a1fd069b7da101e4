"""The model catalog as rows, and the same models as the live registry sees them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from catalog.lifecycle import read_tags, reconcile
from catalog.models import Mode, ModelInfo
from core.errors import ToolkitError

if TYPE_CHECKING:
    from ops.app import App


def region_name(value: str) -> str:
    """Azure's programmatic name of a region: "East US 2", "EastUS2" and "eastus2" are all "eastus2"."""
    return "".join(value.split()).lower()


def region_note(region: str) -> str | None:
    """What to say about a region no catalog model can be fine-tuned serverless in (None for one that
    can). No "did you mean": westus2 is as near westus as a typo is, and the catalog knows no other
    regions; the list shows a typo for what it is."""
    from catalog.models import CATALOG

    listed = list(dict.fromkeys(r for info in CATALOG.values() for r in info.serverless_regions))
    if region in listed:
        return None
    return (
        f"{region} is not a serverless fine-tuning region ({', '.join(listed)}); managed compute there "
        "depends on its GPU quota"
    )


def catalog_row(info: ModelInfo, region: str | None, today: dt.date) -> dict[str, Any]:
    row: dict[str, Any] = {
        "model": info.name,
        "family": info.family,
        "serverless_regions": list(info.serverless_regions_today(today)),
        "serverless_regions_listed": list(info.serverless_regions),
        "serverless_retired_on": info.serverless_retired_on.isoformat()
        if info.serverless_retired_on
        else None,
        "managed_compute": info.managed_compute,
        "context_length": info.context_length,
        "tokenizer": info.tokenizer.value,
        "exact_token_counts": info.tokens_exact,
        "notes": info.notes,
        "sources": list(info.sources),
    }
    if region:
        row["region"] = region
        row["modes_here"] = [m.value for m in info.modes(region, today)]
    return row


def live_row(app: App, info: ModelInfo, region: str | None, today: dt.date) -> dict[str, Any]:
    """The newest registry version, its lifecycle tags, and how they agree with the catalog."""
    try:
        found = app.registry.model(info.registry, info.name)
    except ToolkitError as exc:
        return {"error": exc.one_line(), "summary": f"error: {exc.one_line()}"}
    life = read_tags(found.tags)
    mode = Mode.SERVERLESS if info.serverless_regions else Mode.MANAGED_COMPUTE
    verdict = reconcile(info, found.version, life, mode, region or info.serverless_regions[0], today)
    summary = f"v{found.version}"
    if life.retirement:
        summary += f", fine-tuning retires {life.retirement.isoformat()}"
    if verdict.refusal:
        summary += " (retired)"
    elif verdict.warnings:
        summary += f" ({len(verdict.warnings)} disagreement(s))"
    return {
        "version": found.version,
        "uri": found.uri,
        "finetune_deprecation": life.deprecation.isoformat() if life.deprecation else None,
        "finetune_retirement": life.retirement.isoformat() if life.retirement else None,
        "deploy_regions": list(life.deploy_regions),
        "retired": verdict.refusal is not None,
        "disagreements": list(verdict.warnings) + ([verdict.refusal] if verdict.refusal else []),
        "summary": summary,
    }
