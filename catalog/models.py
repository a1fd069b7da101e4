"""Which Phi model can be fine-tuned how, where and until when: the one source of truth.

Serverless fine-tuning of the Phi-3 family was retired on 2025-08-30; those models remain
fine-tunable on managed compute (a GPU cluster in a hub project). Every rule the toolkit applies
about models (config validation, preflight, submit, token counting, policy) reads this table.
"""

import datetime as dt
from enum import StrEnum
from typing import NamedTuple


class Mode(StrEnum):
    """How a model is fine-tuned."""

    SERVERLESS = "serverless"
    MANAGED_COMPUTE = "managed-compute"


class Tokenizer(StrEnum):
    O200K = "o200k_base"
    CL100K = "cl100k_base"
    LLAMA2_SP = "llama2-sentencepiece"


class ChatTemplate(StrEnum):
    """How the model's chat template (tokenizer_config.json `chat_template`) wraps each message.

    Token counting adds the template's fixed tokens to the content tokens (ops/data/tokens.py).
    """

    PHI4 = "phi-4"  # <|im_start|>{role}<|im_sep|>{content}<|im_end|>  (no BOS, no EOS)
    PHI4_MINI = "phi-4-mini"  # <|{role}|>{content}<|end|> per message, then the EOS token
    PHI3 = "phi-3"  # <s> then <|{role}|>\n{content}<|end|>\n per message, then the EOS token


SERVERLESS_REGIONS: tuple[str, ...] = (
    "eastus2",
    "eastus",
    "northcentralus",
    "southcentralus",
    "westus",
    "westus3",
)
PHI3_SERVERLESS_RETIRED = dt.date(2025, 8, 30)

_DOCS = "MicrosoftDocs/azure-ai-docs articles/ai-foundry"
SOURCES_SERVERLESS = (
    f"{_DOCS}/how-to/fine-tune-serverless.md",
    f"{_DOCS}/includes/region-availability-maas.md",
)
SOURCES_MANAGED = (f"{_DOCS}/how-to/fine-tune-managed-compute.md",)
SOURCES_RETIREMENT = (f"{_DOCS}/concepts/model-lifecycle-retirement.md",)


class ModelInfo(NamedTuple):
    """A fine-tunable model and the facts the toolkit needs about it (a NamedTuple: the table is built
    on every start-up of the data commands, where a frozen dataclass costs ~0.8 ms to define)."""

    name: str
    family: str
    tokenizer: Tokenizer
    context_length: int
    serverless_regions: tuple[str, ...]
    serverless_retired_on: dt.date | None
    managed_compute: bool
    sources: tuple[str, ...]
    registry: str = "azureml"
    notes: str = ""
    chat_template: ChatTemplate | None = None

    @property
    def tokens_exact(self) -> bool:
        """Exact counts need the model's own tokenizer offline; only the Phi-4 family has one here."""
        return self.tokenizer in (Tokenizer.O200K, Tokenizer.CL100K)

    def serverless_available(self, region: str, today: dt.date | None = None) -> bool:
        today = today or dt.date.today()
        if self.serverless_retired_on is not None and today >= self.serverless_retired_on:
            return False
        return region.lower() in self.serverless_regions

    def modes(self, region: str, today: dt.date | None = None) -> tuple[Mode, ...]:
        """Fine-tuning modes open to this model in `region` on `today`."""
        found: list[Mode] = []
        if self.serverless_available(region, today):
            found.append(Mode.SERVERLESS)
        if self.managed_compute:
            found.append(Mode.MANAGED_COMPUTE)
        return tuple(found)

    def serverless_regions_today(self, today: dt.date | None = None) -> tuple[str, ...]:
        """Regions where serverless fine-tuning is open on `today` (empty once retired)."""
        return tuple(r for r in self.serverless_regions if self.serverless_available(r, today))

    def registry_uri(self, version: str) -> str:
        return f"azureml://registries/{self.registry}/models/{self.name}/versions/{version}"


def _phi4(name: str, tokenizer: Tokenizer, context: int, managed: bool) -> ModelInfo:
    template = ChatTemplate.PHI4 if tokenizer is Tokenizer.CL100K else ChatTemplate.PHI4_MINI
    return ModelInfo(
        name=name,
        family="phi-4",
        tokenizer=tokenizer,
        context_length=context,
        serverless_regions=SERVERLESS_REGIONS,
        serverless_retired_on=None,
        managed_compute=managed,
        sources=SOURCES_SERVERLESS + (SOURCES_MANAGED if managed else ()),
        chat_template=template,
    )


def _phi3(name: str, context: int) -> ModelInfo:
    return ModelInfo(
        name=name,
        family="phi-3",
        tokenizer=Tokenizer.LLAMA2_SP,
        context_length=context,
        serverless_regions=("eastus2",),
        serverless_retired_on=PHI3_SERVERLESS_RETIRED,
        managed_compute=True,
        sources=SOURCES_RETIREMENT + SOURCES_MANAGED,
        notes="serverless fine-tuning retired 2025-08-30; managed compute (GPU quota) only",
        chat_template=ChatTemplate.PHI3,
    )


CATALOG: dict[str, ModelInfo] = {
    m.name: m
    for m in (
        _phi4("Phi-4-mini-instruct", Tokenizer.O200K, 131_072, managed=True),
        _phi4("Phi-4", Tokenizer.CL100K, 16_384, managed=True),
        _phi4("Phi-4-multimodal-instruct", Tokenizer.O200K, 131_072, managed=False),
        _phi3("Phi-3-mini-4k-instruct", 4_096),
        _phi3("Phi-3-mini-128k-instruct", 131_072),
        _phi3("Phi-3-medium-4k-instruct", 4_096),
        _phi3("Phi-3-medium-128k-instruct", 131_072),
        _phi3("Phi-3.5-mini-instruct", 131_072),
        _phi3("Phi-3.5-MoE-instruct", 131_072),
    )
}


class UnknownModelError(ValueError):
    """A model name the catalog does not know."""


def get_model(name: str) -> ModelInfo:
    """Look a model up by name (case-insensitive); the error lists the known names."""
    for known, info in CATALOG.items():
        if known.lower() == name.lower():
            return info
    from core.words import closest  # only on the way to an error

    meant = closest(name, CATALOG)
    guess = f" (did you mean {meant!r}?)" if meant else ""
    raise UnknownModelError(f"unknown model {name!r}{guess}; known models: {', '.join(CATALOG)}")


def fine_tuning_regions() -> tuple[str, ...]:
    """Regions where at least one catalog model can be fine-tuned serverless today."""
    regions: list[str] = []
    for info in CATALOG.values():
        for region in info.serverless_regions_today():
            if region not in regions:
                regions.append(region)
    return tuple(regions)


def explain(info: ModelInfo, region: str, today: dt.date | None = None) -> str:
    """One sentence saying how `info` can be fine-tuned in `region`, and what to do otherwise."""
    modes = info.modes(region, today)
    if Mode.SERVERLESS in modes:
        return f"{info.name}: serverless fine-tuning available in {region}"
    reasons: list[str] = []
    if info.serverless_retired_on and (today or dt.date.today()) >= info.serverless_retired_on:
        reasons.append(f"serverless fine-tuning retired on {info.serverless_retired_on.isoformat()}")
    else:
        reasons.append(
            f"serverless fine-tuning not offered in {region} (regions: {', '.join(info.serverless_regions)})"
        )
    if Mode.MANAGED_COMPUTE in modes:
        reasons.append("use --mode managed-compute on the stack's GPU cluster")
    alternatives = [m.name for m in CATALOG.values() if Mode.SERVERLESS in m.modes(region, today)]
    if alternatives:
        reasons.append(f"serverless alternatives here: {', '.join(alternatives)}")
    return f"{info.name}: " + "; ".join(reasons)
