"""`models list`: which Phi models can be fine-tuned how, where and until when (from catalog/models.py).

Offline. With --stack/--outputs the stack's region is read from its outputs (no Azure call) and each
model is marked with what that region can do today.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from catalog.models import CATALOG, ModelInfo
from ops.options import output_option, pass_app, stack_options

if TYPE_CHECKING:
    from ops.app import App


@click.group(help="Which Phi models can be fine-tuned how and where.")
def models() -> None:
    pass


@models.command("list")
@click.option("--region", help="Mark what this region can do (default: the stack's region, if given).")
@stack_options
@output_option
@pass_app
def list_models(app: App, region: str | None) -> None:
    """The model catalog: fine-tuning modes, serverless regions, context, tokenizer, retirement.

    \b
    Examples:
      foundry-ops models list
      foundry-ops models list --outputs outputs.json      # marks what the stack's region can do
      foundry-ops models list --region westus3 -o json
    """
    where = region or (app.outputs.location if app.has_outputs_source else None)
    today = dt.date.today()
    data = [_row(info, where, today) for info in CATALOG.values()]
    columns = ["model", "serverless", "managed_compute", "context", "tokenizer", "retired_serverless"]
    if where:
        columns.append(f"here ({where})")
        rows = [{**_table_row(r), f"here ({where})": ", ".join(r["modes_here"]) or "none"} for r in data]
    else:
        rows = [_table_row(r) for r in data]
    app.output.result({"region": where, "models": data}, rows=rows, columns=columns)


def _row(info: ModelInfo, region: str | None, today: dt.date) -> dict[str, Any]:
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


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    serverless = ", ".join(row["serverless_regions"]) or "-"
    return {
        "model": row["model"],
        "serverless": serverless,
        "managed_compute": row["managed_compute"],
        "context": f"{row['context_length']:,}",
        "tokenizer": row["tokenizer"],
        "retired_serverless": row["serverless_retired_on"],
    }
