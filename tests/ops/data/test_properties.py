"""Property tests: generated valid data validates clean; ranges partition lines; split is a partition."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ops.data.reader import iter_blocks, plan_ranges
from ops.data.split import split_file
from ops.data.validate import validate_file

# Printable text without '-' (keeps clear of credential look-alikes such as sk-...), at least 3 visible chars.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="-"),
    min_size=0,
    max_size=60,
)
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def conversations(draw: st.DrawFn, index: int = 0) -> list[dict[str, str]]:
    turns = draw(st.integers(min_value=1, max_value=4))
    messages = [{"role": "system", "content": "You answer questions about tea."}]
    for t in range(turns):
        messages.append({"role": "user", "content": f"q{t}: " + draw(TEXT)})
        messages.append({"role": "assistant", "content": f"answer {t}: " + draw(TEXT)})
    return messages


@st.composite
def datasets(draw: st.DrawFn) -> list[str]:
    n = draw(st.integers(min_value=10, max_value=40))
    crlf = draw(st.booleans())
    lines = []
    for i in range(n):
        messages = draw(conversations())
        messages[1]["content"] = f"#{i} " + messages[1]["content"]  # distinct examples
        lines.append(json.dumps({"messages": messages}, ensure_ascii=draw(st.booleans())))
    end = "\r\n" if crlf else "\n"
    return [line + end for line in lines]


@settings(SETTINGS, max_examples=25)
@given(lines=datasets(), bom=st.booleans(), range_bytes=st.integers(min_value=1, max_value=5000))
def test_valid_generated_data_validates_clean(lines: list[str], bom: bool, range_bytes: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + "".join(lines).encode())
        report = validate_file(path, "Phi-4", workers=2 if range_bytes < 2000 else 1, range_bytes=range_bytes)
        assert report.errors == [] and report.warnings == []
        assert report.examples == report.valid_examples == len(lines)
        assert report.tokens is not None and report.tokens.min <= report.tokens.p50 <= report.tokens.max


@SETTINGS
@given(
    data=st.lists(st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), min_size=0, max_size=30),
    chunk=st.integers(min_value=1, max_value=200),
    final_newline=st.booleans(),
)
def test_ranges_partition_the_lines(data: list[bytes], chunk: int, final_newline: bool) -> None:
    content = b"\n".join(data) + (b"\n" if final_newline and data else b"")
    expected = content.split(b"\n")
    if content.endswith(b"\n") or not content:
        expected.pop()
    expected = [e[:-1] if e.endswith(b"\r") else e for e in expected]
    if expected and expected[0].startswith(b"\xef\xbb\xbf"):
        expected[0] = expected[0][3:]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f"
        path.write_bytes(content)
        got: list[bytes] = []
        with path.open("rb") as f:
            for start, end in plan_ranges(len(content), chunk):
                for lines, _block, _carried in iter_blocks(f, start, end, 1 << 20):
                    got.extend(line for line in lines if isinstance(line, bytes))
    assert got == expected


@SETTINGS
@given(
    lines=datasets(),
    dups=st.lists(st.integers(min_value=0, max_value=9), max_size=8),
    fraction=st.floats(min_value=0.1, max_value=0.9),
    seed=st.integers(min_value=-(2**40), max_value=2**40),
)
def test_split_is_a_deterministic_duplicate_safe_partition(
    lines: list[str], dups: list[int], fraction: float, seed: int
) -> None:
    lines = [line.rstrip("\r\n") for line in lines]
    lines += [lines[d] for d in dups]  # exact repeats
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "all.jsonl"
        source.write_text("\n".join(lines) + "\n", encoding="utf-8")
        first = split_file(source, validation_fraction=fraction, seed=seed, out_dir=Path(tmp) / "a")
        again = split_file(source, validation_fraction=fraction, seed=seed, out_dir=Path(tmp) / "b")
        assert first.train.sha256 == again.train.sha256
        assert first.validation.sha256 == again.validation.sha256
        # lines as JSONL ends them, at "\n" only: str.splitlines also breaks at U+2028 inside a string
        train = Path(first.train.path).read_text(encoding="utf-8").removesuffix("\n").split("\n")
        validation = Path(first.validation.path).read_text(encoding="utf-8").removesuffix("\n").split("\n")
    assert Counter(train) + Counter(validation) == Counter(lines)  # a partition, as a multiset
    assert not set(train) & set(validation)  # duplicates never straddle
    assert train and validation
    biggest_group = max(Counter(lines).values())
    assert abs(len(validation) - round(fraction * len(lines))) <= biggest_group + 1
