"""The per-example rules: what is wrong with one parsed JSONL line, in the service's terms.

Kept free of I/O and counting so the same function serves validation, splitting and tests.
Type checks use `type(x) is ...` on purpose: JSON decoding yields exactly dict/list/str, and it is
the fastest check in CPython, which matters at hundreds of thousands of lines a second.
"""

from __future__ import annotations

import re
from typing import Any

from ops.data.digest import blake2b
from ops.data.rules import (
    ALLOWED_EXAMPLE_KEYS,
    ALLOWED_MESSAGE_KEYS,
    ALLOWED_ROLES,
    ERROR_CATEGORIES,
    SHORT_ANSWER_CHARS,
)

Issue = tuple[str, str]  # (category, message)


class Checked:
    """The outcome for one example: its issues and, when structurally sound, its turns. (A plain
    class with slots, made once per example.)"""

    __slots__ = ("issues", "system", "turns")

    def __init__(
        self,
        issues: list[Issue] | None = None,
        turns: list[tuple[str, str]] | None = None,
        system: str | None = None,
    ) -> None:
        self.issues: list[Issue] = [] if issues is None else issues
        self.turns = turns  # (role, content) pairs; None when not usable
        self.system = system  # the first system message's content


_JSON_TYPE = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if type(value) is bool:
        return "a boolean"
    return _JSON_TYPE.get(type(value), type(value).__name__)


def _keys(keys: Any) -> str:
    return ", ".join(repr(k) for k in sorted(keys))


_ROLE_CODES = {"system": "s", "user": "u", "assistant": "a"}


def clean_turns(obj: Any) -> tuple[list[tuple[str, str]], str] | None:
    """The fast path: (turns, system content) when `obj` breaks no rule at all, else None.

    Most lines of a real file are clean, so this does only the cheapest checks that prove it;
    anything unusual falls back to check_example, which explains what is wrong.
    """
    if type(obj) is not dict or len(obj) != 1:
        return None
    messages = obj.get("messages")
    if type(messages) is not list or not messages:
        return None
    turns: list[tuple[str, str]] = []
    codes: list[str] = []
    get = _ROLE_CODES.get
    for message in messages:
        if type(message) is not dict or len(message) != 2:
            return None
        role = message.get("role")
        content = message.get("content")
        if type(role) is not str or type(content) is not str or not content:
            return None
        code = get(role)
        if code is None or (code == "a" and len(content.strip()) < SHORT_ANSWER_CHARS):
            return None
        turns.append((role, content))
        codes.append(code)
    order = "".join(codes)
    if "a" not in order or "s" not in order or "aa" in order or "uu" in order or "ss" in order:
        return None
    return turns, turns[order.index("s")][1]


def check_example(obj: Any) -> Checked:
    """Apply every per-example rule to one decoded JSON value."""
    fast = clean_turns(obj)
    if fast is not None:
        return Checked([], fast[0], fast[1])
    out = Checked()
    issues = out.issues
    if type(obj) is not dict:
        issues.append(("not_object", f"expected a JSON object with `messages`, got {json_type(obj)}"))
        return out
    if len(obj) != 1 or "messages" not in obj:
        extra = obj.keys() - ALLOWED_EXAMPLE_KEYS
        if extra:
            issues.append(("unknown_key", f"unknown key(s) {_keys(extra)} (only `messages` is allowed)"))
    messages = obj.get("messages")
    if type(messages) is not list or not messages:
        if "messages" not in obj:
            text = "no `messages` key"
        elif type(messages) is list:
            text = "`messages` is an empty list"
        else:
            text = f"`messages` is {json_type(messages)}, expected a non-empty list"
        issues.append(("bad_messages", text))
        return out

    numbered: list[tuple[int, str, str]] = []
    sound = not issues
    for number, message in enumerate(messages, 1):
        if type(message) is not dict:
            issues.append(("bad_message", f"message {number} is {json_type(message)}, expected an object"))
            sound = False
            continue
        role = message.get("role")
        content = message.get("content")
        if len(message) != 2 or type(role) is not str or type(content) is not str:
            extra = message.keys() - ALLOWED_MESSAGE_KEYS
            if extra:
                issues.append(("unknown_key", f"message {number} has unknown key(s) {_keys(extra)}"))
                sound = False
            if type(role) is not str:
                text = "has no `role`" if "role" not in message else f"has a `role` that is {json_type(role)}"
                issues.append(("bad_role", f"message {number} {text}"))
                sound = False
            if type(content) is not str:
                text = (
                    "has no `content`"
                    if "content" not in message
                    else f"has a `content` that is {json_type(content)}, expected a string"
                )
                issues.append(("bad_content", f"message {number} {text}"))
                sound = False
        if type(role) is str and role not in ALLOWED_ROLES:
            issues.append(
                ("unknown_role", f"message {number} has role {role!r} (use system, user or assistant)")
            )
            sound = False
            continue
        if type(content) is str and not content:
            issues.append(("empty_content", f"message {number} ({role}) has empty content"))
            sound = False
        if type(role) is str and type(content) is str:
            numbered.append((number, role, content))

    _check_turns(numbered, issues)
    turns = [(role, content) for _, role, content in numbered]
    if sound and not any(c in ERROR_CATEGORIES for c, _ in issues):
        out.turns = turns
    for role, content in turns:
        if role == "system":
            out.system = content
            break
    return out


def _check_turns(turns: list[tuple[int, str, str]], issues: list[Issue]) -> None:
    """Rules on the order and kind of turns (over the messages that have a valid role and content)."""
    has_assistant = has_system = False
    previous, previous_number = "", 0
    same_role_reported = short_reported = False
    for number, role, content in turns:
        if role == "assistant":
            has_assistant = True
            if previous == "assistant":
                issues.append(
                    (
                        "consecutive_assistant",
                        f"messages {previous_number} and {number} are both assistant messages",
                    )
                )
            elif not short_reported and len(content.strip()) < SHORT_ANSWER_CHARS and content:
                what = "whitespace only" if not content.strip() else f"{len(content.strip())} character(s)"
                issues.append(("short_answer", f"assistant message {number} is {what}"))
                short_reported = True
        elif role == "system":
            has_system = True
        if role == previous and role != "assistant" and not same_role_reported:
            issues.append(
                ("consecutive_roles", f"messages {previous_number} and {number} are both {role} messages")
            )
            same_role_reported = True
        previous, previous_number = role, number
    if turns and not has_assistant:
        issues.append(("no_assistant", "no assistant message (nothing to learn from)"))
    if turns and not has_system:
        issues.append(("no_system", "no system message"))


def category_is_error(category: str) -> bool:
    return category in ERROR_CATEGORIES


def example_key(turns: list[tuple[str, str]]) -> bytes:
    """A stable 8-byte digest of an example's turns: equal examples (after JSON decoding) share it.

    Content with a lone surrogate (a `\\ud800`-style escape) is hashed as-is (surrogatepass): token
    counting is what reports it."""
    h = blake2b(digest_size=8)
    for role, content in turns:
        h.update(role.encode())
        h.update(b"\x1f")
        h.update(content.encode("utf-8", "surrogatepass"))
        h.update(b"\x1e")
    return h.digest()


_DIGITS = re.compile(r"\d+")


def normalise(content: str) -> str:
    """Content as near-duplicate detection compares it: case folded, every run of digits one `0`,
    whitespace collapsed to single spaces and trimmed ("Order 123 is late" -> "order 0 is late")."""
    return " ".join(_DIGITS.sub("0", content.casefold()).split())


def near_key(turns: list[tuple[str, str]]) -> bytes:
    """example_key over the normalised contents: examples that differ only in case, whitespace and
    digits share it."""
    return example_key([(role, normalise(content)) for role, content in turns])
