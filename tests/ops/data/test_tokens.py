"""Token counts: the tokenizers' ids for fixed strings, and the chat templates' fixed tokens."""

from __future__ import annotations

import math
import re

import pytest

from catalog.models import CATALOG, ChatTemplate, Tokenizer, get_model
from ops.data.tokens import PHI3_PER_EXAMPLE, PHI3_PER_MESSAGE, PHI3_RATIO, TokenCounter, load_encoding

CONVERSATION = [
    ("system", "You are a concise assistant."),
    ("user", "hello world"),
    ("assistant", "Hi! How can I help with your bicycle today?"),
    ("user", "Naïve café question: 日本語 and emoji 🚲?"),
    ("assistant", "Sure."),
]


def test_known_token_ids() -> None:
    # Published ids of "hello world" in tiktoken's encodings.
    assert load_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    assert load_encoding("o200k_base").encode("hello world") == [24912, 2375]
    assert load_encoding("cl100k_base").encode("<|im_start|>") == [27, 91, 318, 5011, 91, 29]  # plain text


def test_backend_agrees_with_the_public_bpe_openai_api() -> None:
    import bpe_openai

    for name in ("cl100k_base", "o200k_base"):
        public = bpe_openai.get_encoding(name)
        for _, text in CONVERSATION:
            assert load_encoding(name).count(text) == len(public.encode_ordinary(text))


# The chat templates as the models' tokenizer_config.json renders them for training (no generation prompt).
def render(template: ChatTemplate, turns: list[tuple[str, str]]) -> str:
    if template is ChatTemplate.PHI4:
        return "".join(f"<|im_start|>{r}<|im_sep|>{c}<|im_end|>" for r, c in turns)
    if template is ChatTemplate.PHI4_MINI:
        return "".join(f"<|{r}|>{c}<|end|>" for r, c in turns) + "<|endoftext|>"
    raise AssertionError(template)


SPECIAL = re.compile(r"<\|(?:im_start|im_sep|im_end|system|user|assistant|end|endoftext)\|>")


def count_rendered(text: str, encoding: str) -> int:
    """Count like the model's tokenizer does: special tokens are one id each, text between them is BPE'd."""
    specials = SPECIAL.findall(text)
    pieces = SPECIAL.split(text)
    return len(specials) + sum(load_encoding(encoding).count(p) for p in pieces if p)


@pytest.mark.parametrize("name", ["Phi-4", "Phi-4-mini-instruct", "Phi-4-multimodal-instruct"])
def test_exact_count_matches_the_rendered_template(name: str) -> None:
    info = get_model(name)
    counter = TokenCounter(info)
    assert counter.exact
    assert info.chat_template is not None
    rendered = render(info.chat_template, CONVERSATION)
    assert counter.count_example(CONVERSATION) == count_rendered(rendered, info.tokenizer.value)


def test_phi4_overhead_is_four_tokens_a_message() -> None:
    counter = TokenCounter(get_model("Phi-4"))
    enc = load_encoding("cl100k_base")
    content = sum(enc.count(c) for _, c in CONVERSATION)
    assert counter.count_example(CONVERSATION) == content + 4 * len(CONVERSATION)


def test_phi4_mini_overhead_is_two_a_message_plus_eos() -> None:
    counter = TokenCounter(get_model("Phi-4-mini-instruct"))
    enc = load_encoding("o200k_base")
    content = sum(enc.count(c) for _, c in CONVERSATION)
    assert counter.count_example(CONVERSATION) == content + 2 * len(CONVERSATION) + 1


@pytest.mark.parametrize("name", [n for n, m in CATALOG.items() if m.tokenizer is Tokenizer.LLAMA2_SP])
def test_phi3_counts_are_labelled_estimates(name: str) -> None:
    counter = TokenCounter(get_model(name))
    assert not counter.exact
    assert counter.tokenizer == "llama2-sentencepiece (estimated from cl100k_base)"
    assert counter.method.startswith("estimate: cl100k_base count x 1.25")
    raw = sum(load_encoding("cl100k_base").count(c) for _, c in CONVERSATION)
    expected = math.ceil(raw * PHI3_RATIO) + PHI3_PER_MESSAGE * len(CONVERSATION) + PHI3_PER_EXAMPLE
    assert counter.count_example(CONVERSATION) == expected


def test_every_catalog_model_can_be_counted() -> None:
    for info in CATALOG.values():
        counter = TokenCounter(info)
        assert counter.count_example([("user", "hi"), ("assistant", "hello")]) > 2
        assert counter.context_length == info.context_length
