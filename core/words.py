"""What a user most likely meant by a name the toolkit does not know (models, commands, keys, options)."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` most likely meant (case, `_`/`-`, a unique containing choice, a close match)."""
    import difflib

    options = list(choices)
    lowered = {c.lower(): c for c in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    squashed = {c.lower().replace("_", "").replace("-", ""): c for c in options}
    key = word.lower().replace("_", "").replace("-", "")
    if key in squashed:
        return squashed[key]
    containing = [c for c in options if len(word) >= 2 and word.lower() in c.lower()]
    if len(containing) == 1:
        return containing[0]
    found = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.7)
    return lowered[found[0]] if found else None
