"""`models list`: which Phi models can be fine-tuned how, where and until when.

Offline from catalog/models.py by default. With --stack/--outputs the stack's region is read from its
outputs (no Azure call) and each model is marked with what that region can do today. With --live the
azureml registry is asked too: the newest version of each model and its fine-tuning lifecycle tags,
side by side with the catalog, with every disagreement said.
"""

from __future__ import annotations

from typing import Any

import click

from ops.app import App
from ops.cli.options import global_options, out, pass_app


@click.group(help="Which Phi models can be fine-tuned how and where.")
@global_options
def models() -> None:
    pass


@models.command("list")
@click.option("--region", help="Mark what this region can do (default: the stack's region, if given).")
@click.option(
    "--live", is_flag=True, help="Also read each model's newest version and lifecycle tags from the registry."
)
@global_options
@pass_app
def list_models(app: App, region: str | None, live: bool) -> None:
    """The model catalog: fine-tuning modes, serverless regions, context, tokenizer, retirement.

    \b
    Examples:
      foundry-ops models list
      foundry-ops models list --outputs outputs.json      # marks what the stack's region can do
      foundry-ops models list --live -o json              # with the registry's versions and tags
    """
    from catalog.models import CATALOG
    from core.errors import UsageError
    from ops.flows import models as flow

    if region is not None and not region.strip():
        raise UsageError("--region is empty; give a region such as eastus2")
    where = region or (app.outputs.location if app.has_outputs_source else None)
    if where:
        where = flow.region_name(where)
        note = flow.region_note(where)
        if note is not None:
            app.report.warn(note)
    today = app.clock.today()
    data = [flow.catalog_row(info, where, today) for info in CATALOG.values()]
    columns = ["model", "serverless", "managed", "context", "tokenizer", "retired"]
    rows = [_table_row(r) for r in data]
    if where:
        columns.append("here")
        for row, full in zip(rows, data, strict=True):
            row["here"] = ", ".join(full["modes_here"]) or "none"
    if live:
        for row, full in zip(rows, data, strict=True):
            full["registry"] = reg = flow.live_row(app, CATALOG[full["model"]], where, today)
            row["registry"] = reg["summary"]
        columns.append("registry")
    out(app).result({"region": where, "models": data}, rows=rows, columns=columns)


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "model": row["model"],
        "serverless": ", ".join(row["serverless_regions"]) or "-",
        "managed": row["managed_compute"],
        "context": f"{row['context_length']:,}",
        "tokenizer": row["tokenizer"],
        "retired": row["serverless_retired_on"],
    }
