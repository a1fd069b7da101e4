"""What validation found, as data (the JSON contract) and as a readable table."""

from typing import TYPE_CHECKING, Any, NamedTuple

from ops.data.rules import Severity
from ops.text import plural

if TYPE_CHECKING:
    from ops.data.estimate import Estimate


class Issue(NamedTuple):
    line: int  # 1-based; 0 means the whole file
    category: str
    message: str
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "category": self.category, "message": self.message}


class TokenStats(NamedTuple):
    tokenizer: str
    exact: bool
    method: str
    context_length: int
    total: int
    min: int
    p50: int
    p95: int
    max: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer,
            "exact": self.exact,
            "method": self.method,
            "context_length": self.context_length,
            "total": self.total,
            "per_example": {"min": self.min, "p50": self.p50, "p95": self.p95, "max": self.max},
        }


class ValidationReport(NamedTuple):
    file: str
    model: str
    bytes: int
    lines: int
    examples: int
    valid_examples: int
    errors: list[Issue]
    warnings: list[Issue]
    error_counts: dict[str, int]
    warning_counts: dict[str, int]
    listed_per_category: int
    tokens: TokenStats | None = None
    estimate: "Estimate | None" = None  # quoted: estimate.py is loaded only when it is asked for
    profile: dict[str, Any] | None = None  # messages per valid example, how many have a system message
    purpose: str = "training"  # or "validation": the rules applied (validation data may be small)

    @property
    def ok(self) -> bool:
        return not self.error_counts

    def error_summary(self) -> str:
        """One line for the `Error:` a failed check ends with, e.g.
        "mixed.jsonl has 6 errors in 4 of 12 examples (1 invalid_json, 1 not_utf8, ...)"."""
        total = sum(self.error_counts.values())
        bad = self.examples - self.valid_examples
        where = f" in {bad:,} of {plural(self.examples, 'example')}" if bad else ""
        counts = ", ".join(f"{n:,} {c}" for c, n in self.error_counts.items())
        return f"{self.file} has {plural(total, 'error')}{where} ({counts})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "file": self.file,
            "model": self.model,
            "purpose": self.purpose,
            "examples": self.examples,
            "valid_examples": self.valid_examples,
            "lines": self.lines,
            "bytes": self.bytes,
            "errors": [i.to_dict() for i in self.errors],
            "warnings": [i.to_dict() for i in self.warnings],
            "error_counts": dict(self.error_counts),
            "warning_counts": dict(self.warning_counts),
            "listed_per_category": self.listed_per_category,
            "tokens": self.tokens.to_dict() if self.tokens else None,
            "estimate": self.estimate.to_dict() if self.estimate else None,
            "profile": self.profile,
        }


def _size(n: int) -> str:
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def summary_rows(report: ValidationReport) -> dict[str, str]:
    rows = {
        "file": f"{report.file} ({_size(report.bytes)}, {plural(report.lines, 'line')})",
        "model": report.model,
        "examples": f"{report.examples:,} ({report.valid_examples:,} valid)",
    }
    if report.purpose != "training":
        rows["checked as"] = f"{report.purpose} data"
    if report.profile and report.valid_examples:
        m = report.profile["messages_per_example"]
        rows["messages"] = (
            f"per valid example min {m['min']}, p50 {m['p50']}, max {m['max']}; "
            f"{report.profile['with_system_message']:,} with a system message"
        )
    t = report.tokens
    if t is not None:
        rows["tokens"] = (
            f"{t.total:,} total; per example min {t.min:,}, p50 {t.p50:,}, p95 {t.p95:,}, max {t.max:,} "
            f"(context {t.context_length:,})"
        )
        rows["counted"] = t.method
    if report.estimate is not None:
        rows["estimate"] = report.estimate.summary()
        if report.estimate.excluded_examples:
            rows["excluded"] = report.estimate.excluded_text()
    errors, warnings = sum(report.error_counts.values()), sum(report.warning_counts.values())
    verdict = "OK" if report.ok else "FAILED"
    rows["result"] = f"{verdict}: {plural(errors, 'error')}, {plural(warnings, 'warning')}"
    return rows


def render_table(report: ValidationReport) -> str:
    """The default (human) view: a summary, then the listed issues, then what was left unlisted."""
    from ops.text import key_values, table

    parts = [key_values(summary_rows(report))]
    issues = sorted(report.errors + report.warnings, key=lambda i: (i.line, i.severity != Severity.ERROR))
    if issues:
        rows = [
            {
                "line": i.line or "file",
                "severity": i.severity.value,
                "category": i.category,
                "message": i.message,
            }
            for i in issues
        ]
        parts.append(table(rows, ["line", "severity", "category", "message"]))
    unlisted = []
    for counts, listed in ((report.error_counts, report.errors), (report.warning_counts, report.warnings)):
        shown: dict[str, int] = {}
        for i in listed:
            shown[i.category] = shown.get(i.category, 0) + 1
        unlisted += [f"{n - shown.get(c, 0):,} more {c}" for c, n in counts.items() if n > shown.get(c, 0)]
    if unlisted:
        parts.append(f"not listed ({report.listed_per_category} per category shown): " + ", ".join(unlisted))
    return "\n\n".join(parts)
