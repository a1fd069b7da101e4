"""The rules a chat JSONL training file is checked against: stable category names and limits.

Category names are part of the CLI's JSON contract (scripts match on them), so they never change
meaning; new rules get new names. `line` 0 in an issue means the whole file.
"""

from enum import StrEnum
from typing import NamedTuple


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Rule(NamedTuple):
    category: str
    severity: Severity
    summary: str


# Azure AI Foundry's documented limits (azure-facts.md, "Data rules").
MAX_FILE_BYTES = 512 * 1024 * 1024
MIN_EXAMPLES = 10  # training data; validation data only measures the loss, so one example will do
MIN_VALIDATION_EXAMPLES = 1
ALLOWED_ROLES = frozenset({"system", "user", "assistant"})
ALLOWED_EXAMPLE_KEYS = frozenset({"messages"})
ALLOWED_MESSAGE_KEYS = frozenset({"role", "content"})

# Our own thresholds for warnings.
NEAR_LIMIT_FRACTION = 0.9  # an example above 90% of the context length leaves no room to grow
SHORT_ANSWER_CHARS = 3  # assistant answers with fewer non-blank characters than this are suspicious
MAX_LINE_BYTES = 64 * 1024 * 1024  # longer lines are not parsed (no Phi context holds them)

# How many issues of one category are listed; the rest are counted.
DEFAULT_ISSUE_CAP = 20

E, W = Severity.ERROR, Severity.WARNING
RULES: dict[str, Rule] = {
    r.category: r
    for r in (
        Rule("not_utf8", E, "the line is not valid UTF-8"),
        Rule("invalid_json", E, "the line is not valid JSON"),
        Rule("not_object", E, "the line is JSON but not an object"),
        Rule("bad_messages", E, "`messages` is missing, not a list, or empty"),
        Rule("bad_message", E, "an entry of `messages` is not an object"),
        Rule("bad_role", E, "a message has no `role`, or it is not a string"),
        Rule("unknown_role", E, "a role other than system, user, assistant"),
        Rule("bad_content", E, "a message has no `content`, or it is not a string"),
        Rule("empty_content", E, "a message's content is the empty string"),
        Rule("unknown_key", E, "a key other than `messages` (example) or `role`/`content` (message)"),
        Rule("no_assistant", E, "the example has no assistant message"),
        Rule("consecutive_assistant", E, "two assistant messages in a row (the service rejects it)"),
        Rule("too_long", E, "the example is longer than the model's context length"),
        Rule("file_too_large", E, "the file is larger than 512 MB"),
        Rule("too_few_examples", E, "fewer than 10 examples (training data), no example (validation data)"),
        Rule("blank_line", W, "a blank line (skipped)"),
        Rule("no_system", W, "the example has no system message"),
        Rule("inconsistent_system", W, "examples use different system messages"),
        Rule("consecutive_roles", W, "two user or two system messages in a row"),
        Rule("duplicate", W, "the example repeats an earlier one"),
        Rule("short_answer", W, "an assistant answer is whitespace only or very short"),
        Rule("near_limit", W, "the example uses more than 90% of the context length"),
        Rule("secret", W, "the example seems to contain an API key, token or private key"),
    )
}


ERROR_CATEGORIES = frozenset(c for c, r in RULES.items() if r.severity is Severity.ERROR)
# Rules about the whole file (reported on line 0), not about one example.
FILE_CATEGORIES = frozenset({"file_too_large", "too_few_examples", "inconsistent_system"})


def severity(category: str) -> Severity:
    return RULES[category].severity


def too_few_examples(examples: int, *, validation: bool = False, left: str = "") -> str | None:
    """The too_few_examples message for a file of `examples`, or None when it has enough; `left` follows
    the count (" left" when `data fix` dropped some)."""
    if validation:
        if examples >= MIN_VALIDATION_EXAMPLES:
            return None
        return f"{examples} example(s){left}; validation data needs at least {MIN_VALIDATION_EXAMPLES}"
    if examples >= MIN_EXAMPLES:
        return None
    return f"{examples} example(s){left}; fine-tuning needs at least {MIN_EXAMPLES}"
