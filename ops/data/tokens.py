"""Token counts per model, the way the fine-tuning service will see the example.

The count of an example is the content tokens plus the fixed tokens its model's chat template puts
around every message (catalog ChatTemplate), because that rendered text is what is trained on and
billed:

- Phi-4 (cl100k_base): `<|im_start|>{role}<|im_sep|>{content}<|im_end|>`, i.e. three special tokens
  plus the role's own tokens (one each) per message. Exact.
- Phi-4-mini and Phi-4-multimodal (o200k_base): `<|{role}|>{content}<|end|>` per message, then the
  EOS token once. Exact.
- Phi-3 family (Llama-2 SentencePiece, 32,064 tokens): no such tokenizer ships offline, so counts are
  ESTIMATES: the content's cl100k_base count times PHI3_RATIO, rounded up, plus the Phi-3 template's
  `<|{role}|>\\n ... <|end|>\\n` (4 tokens) per message and BOS and EOS (2) per example. The ratio was
  measured once against llama-tokenizer-js 1.2.2 (the Llama-2 vocabulary Phi-3 extends): English prose
  1.14, Markdown 1.17, Python code 1.25, the benchmark's chat text 1.25, short German/Japanese/Russian
  samples 0.9-1.04, Chinese 1.33. 1.25 therefore errs high for prose and matches code; single texts
  vary (p95 up to 1.43), so totals are closer than per-example counts.

Special-token text typed inside content (e.g. a literal "<|end|>") is counted as ordinary text.
bpe_openai's tokenizer is loaded on first use only (see _load_bindings for how, and why).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable
from functools import cache
from typing import Any, Protocol

from catalog.models import ChatTemplate, ModelInfo, Tokenizer

PHI3_RATIO = 1.25
PHI3_PER_MESSAGE = 4
PHI3_PER_EXAMPLE = 2


class _Backend(Protocol):
    def count(self, text: str) -> int: ...
    def encode(self, text: str) -> list[int]: ...


def _load_bindings() -> Any:
    """bpe_openai's Rust extension module, without running the package's __init__.

    That __init__ eagerly builds Python dicts of every encoding's 100k-200k ranks (~1 s and ~55 MB
    per process) for its tiktoken-compatible wrapper, which counting does not need. Loading the
    extension file on its own skips that; if the layout ever differs, the normal import is used.
    """
    loaded = sys.modules.get("bpe_openai._bindings")
    if loaded is not None:
        return loaded
    import importlib.machinery
    import importlib.util

    spec = importlib.util.find_spec("bpe_openai")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for folder in locations:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(folder, "_bindings" + suffix)
            if os.path.exists(path):
                loader = importlib.machinery.ExtensionFileLoader("bpe_openai._bindings", path)
                module_spec = importlib.util.spec_from_file_location(
                    "bpe_openai._bindings", path, loader=loader
                )
                if module_spec is None:  # pragma: no cover
                    break
                module = importlib.util.module_from_spec(module_spec)
                loader.exec_module(module)
                return module
    from bpe_openai import _bindings  # pragma: no cover - fallback

    return _bindings  # pragma: no cover


@cache
def load_encoding(name: str) -> _Backend:
    """The offline BPE tokenizer `name` (cl100k_base or o200k_base), loaded once per process."""
    backend: _Backend = _load_bindings().tokenizer_for_encoding(name)
    return backend


class TokenCounter:
    """Counts the tokens of an example (a sequence of (role, content) pairs) for one model."""

    def __init__(self, info: ModelInfo) -> None:
        self.model = info.name
        self.context_length = info.context_length
        self.exact = info.tokens_exact
        template = info.chat_template or ChatTemplate.PHI4_MINI
        self.template = template
        if info.tokenizer is Tokenizer.LLAMA2_SP:
            self.tokenizer = f"{Tokenizer.LLAMA2_SP.value} (estimated from {Tokenizer.CL100K.value})"
            self._encoding = load_encoding(Tokenizer.CL100K.value)
        else:
            self.tokenizer = info.tokenizer.value
            self._encoding = load_encoding(info.tokenizer.value)
        self._ratio = 1.0 if self.exact else PHI3_RATIO
        if template is ChatTemplate.PHI4:
            self._per_role = {r: 3 + self._encoding.count(r) for r in ("system", "user", "assistant")}
            self._per_example = 0
        elif template is ChatTemplate.PHI4_MINI:
            self._per_role = dict.fromkeys(("system", "user", "assistant"), 2)
            self._per_example = 1
        else:
            self._per_role = dict.fromkeys(("system", "user", "assistant"), PHI3_PER_MESSAGE)
            self._per_example = PHI3_PER_EXAMPLE

    @property
    def method(self) -> str:
        """One sentence saying how the counts are made (shown to users next to the numbers)."""
        if self.exact:
            return f"exact: {self.tokenizer} with the {self.template.value} chat template's tokens"
        return (
            f"estimate: {Tokenizer.CL100K.value} count x {PHI3_RATIO} plus the {self.template.value} chat "
            "template's tokens (no Llama-2 SentencePiece tokenizer offline)"
        )

    def count_text(self, text: str) -> int:
        """Tokens of plain content text (scaled for estimated tokenizers)."""
        raw = self._encoding.count(text)
        return raw if self.exact else math.ceil(raw * self._ratio)

    def count_example(self, messages: Iterable[tuple[str, str]]) -> int:
        per_role = self._per_role
        count = self._encoding.count
        content = 0
        overhead = self._per_example
        for role, text in messages:
            content += count(text)
            overhead += per_role[role]
        if not self.exact:
            content = math.ceil(content * self._ratio)
        return content + overhead
