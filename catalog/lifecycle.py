"""What the live registry says about fine-tuning a model, reconciled with the catalog.

Registry model versions carry lifecycle tags (strings): `FinetuneDeprecationDate`,
`FinetuneRetirementDate` (YYYY-MM-DD), and `maas-finetuning-deploy-regions` (where a model fine-tuned
serverless may be deployed). Spellings from the model specs in Azure/azureml-assets
(assets/models/system/phi-3-mini-4k-instruct/spec.yaml) and MicrosoftDocs/azure-ai-docs
fine-tune-serverless.md; the values of the region tag appear in no public source, so it is read
leniently (comma separated, or a list literal). Pure: the caller passes the tags and today's date.
"""

import datetime as dt
import re
from typing import NamedTuple

from catalog.models import Mode, ModelInfo

DEPRECATION_TAG = "FinetuneDeprecationDate"
RETIREMENT_TAG = "FinetuneRetirementDate"
DEPLOY_REGIONS_TAG = "maas-finetuning-deploy-regions"


class Lifecycle(NamedTuple):
    deprecation: dt.date | None = None
    retirement: dt.date | None = None
    deploy_regions: tuple[str, ...] = ()


class Verdict(NamedTuple):
    """Whether to go on: `refusal` stops a submission; `warnings` are said and let it go on."""

    refusal: str | None = None
    warnings: tuple[str, ...] = ()


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def read_tags(tags: dict[str, str]) -> Lifecycle:
    lowered = {k.lower(): v for k, v in tags.items()}
    regions = lowered.get(DEPLOY_REGIONS_TAG.lower(), "")
    return Lifecycle(
        deprecation=_date(lowered.get(DEPRECATION_TAG.lower())),
        retirement=_date(lowered.get(RETIREMENT_TAG.lower())),
        deploy_regions=tuple(r.lower() for r in re.findall(r"[A-Za-z0-9]+", regions)),
    )


def reconcile(
    info: ModelInfo, version: str, lifecycle: Lifecycle, mode: Mode, region: str, today: dt.date
) -> Verdict:
    """The registry wins over the catalog where they disagree; every disagreement is said.

    The registry's dates are the serverless (MaaS) offer's: Phi-3's FinetuneRetirementDate 2025-08-30 is
    the day serverless fine-tuning ended, while managed compute goes on (fine-tune-managed-compute.md).
    So on managed compute there is nothing to reconcile."""
    if mode is not Mode.SERVERLESS:
        return Verdict()
    label = f"{info.name} version {version}"
    retirement, deprecation = lifecycle.retirement, lifecycle.deprecation
    if retirement is not None and today >= retirement:
        return Verdict(
            refusal=f"the azureml registry says serverless fine-tuning of {label} retired on {retirement.isoformat()}"
        )
    warnings: list[str] = []
    if deprecation is not None and today >= deprecation:
        until = f"; it retires on {retirement.isoformat()}" if retirement else ""
        warnings.append(
            f"the registry marks fine-tuning of {label} deprecated since {deprecation.isoformat()}{until}"
        )
    catalog_end = info.serverless_retired_on
    if retirement != catalog_end and (retirement or catalog_end):
        warnings.append(
            f"the catalog and the registry disagree on when serverless fine-tuning of {info.name} retires "
            f"(catalog: {_fmt(catalog_end)}, registry: {_fmt(retirement)}); the registry is followed"
        )
    if lifecycle.deploy_regions and region.lower() not in lifecycle.deploy_regions:
        warnings.append(
            f"the registry lists {', '.join(lifecycle.deploy_regions)} as deploy regions for {label} after "
            f"fine-tuning, not {region}: the fine-tuned model may not deploy here"
        )
    return Verdict(warnings=tuple(warnings))


def _fmt(value: dt.date | None) -> str:
    return value.isoformat() if value else "none"
