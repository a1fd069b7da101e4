"""The docs state what the code does, with figures computed from the code, never copied by hand.

docs/infra.md documents every config key and every output key. docs/operations-ml.md states the retry budget
(ops.azure.transport.RETRY) and the polling budget (ops.polling.DEFAULT_POLICY). Each check is a function of the
doc's text and the code's values, so every check is also run against a deliberately wrong figure to show that it
can fail.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pytest

from catalog.contract import OUTPUT_KEYS
from infra.config import StackConfig
from ops.azure.transport import RETRY, RetryBudget
from ops.flows.training import LOSS_INTERVAL
from ops.polling import DEFAULT_POLICY, MAX_DETECTION_DELAY, STEADY_STATE_POLLS_PER_HOUR, PollPolicy

DOCS = Path(__file__).resolve().parents[2] / "docs"
INFRA = (DOCS / "infra.md").read_text(encoding="utf-8")
OPS_ML = (DOCS / "operations-ml.md").read_text(encoding="utf-8")
OPS_ARM = (DOCS / "operations-arm.md").read_text(encoding="utf-8")
RETRY_BUDGET = "Retry budget"
POLLING_BUDGET = "Polling budget"


def _section(text: str, title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert match, f"no section {title!r}"
    return match.group(1)


def _first_column_keys(section: str) -> set[str]:
    keys: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`([A-Za-z_]+)`", line.split("|")[1]))
    return keys


def _table(section: str) -> dict[str, str]:
    """First column -> second column of every table row in `section` (header and rule rows included)."""
    rows: dict[str, str] = {}
    for line in section.splitlines():
        if not line.strip().startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2:
            rows[cells[0]] = cells[1]
    return rows


def _n(value: float) -> str:
    return f"{value:g}"


# --- docs/infra.md ------------------------------------------------------------------------------------


def test_every_config_key_is_documented() -> None:
    assert set(StackConfig.KEYS) == _first_column_keys(_section(INFRA, "Configuration keys"))


def test_every_output_key_is_documented() -> None:
    assert set(OUTPUT_KEYS) == _first_column_keys(
        _section(INFRA, "Stack outputs (the contract `foundry-ops` reads)")
    )


# --- the retry budget -----------------------------------------------------------------------------------


def retry_figures(budget: RetryBudget) -> dict[str, str]:
    """What the Retry budget table must say for `budget`, row by row."""
    waits = budget.waits()
    return {
        "attempts per logical call": str(budget.attempts),
        "waits without Retry-After": f"{', '.join(_n(w) for w in waits)} s ({_n(sum(waits))} s in all)",
        "longest Retry-After waited out inside a call": f"{_n(budget.max_retry_after)} s",
        "most waiting inside one call": f"{budget.attempts - 1} × {_n(budget.max_retry_after)} = "
        f"{_n(budget.longest_wait)} s",
        "absolute timeout over all attempts": f"{_n(budget.total_seconds)} s",
    }


def retry_budget_problems(doc: str, budget: RetryBudget) -> list[str]:
    """Every row of the doc's Retry budget table that differs from the figures computed from `budget`."""
    table = _table(_section(doc, RETRY_BUDGET))
    return [
        f"{row}: the doc says {table.get(row)!r}, the code gives {want!r}"
        for row, want in retry_figures(budget).items()
        if table.get(row) != want
    ]


def test_the_retry_budget_section_states_the_figures_of_the_code() -> None:
    # the figures the section is about: waits without Retry-After
    assert RETRY.waits() == [0.0, 1.6, 3.2, 6.4, 12.8]
    assert retry_budget_problems(OPS_ML, RETRY) == []


@pytest.mark.parametrize(
    "wrong",
    [
        {"attempts": 5},  # fewer attempts, and so fewer waits
        {"backoff_factor": 1.0},  # other backoff waits
        {"max_retry_after": 30.0},  # another Retry-After limit, and so another longest wait
        {"total_seconds": 600.0},  # another absolute timeout
    ],
)
def test_the_retry_budget_check_fails_for_a_budget_the_code_does_not_have(wrong: dict[str, float]) -> None:
    assert retry_budget_problems(OPS_ML, dataclasses.replace(RETRY, **wrong))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("| attempts per logical call | 6 |", "| attempts per logical call | 7 |"),
        ("0, 1.6, 3.2, 6.4, 12.8 s (24 s in all)", "0, 2, 4, 8, 16 s (30 s in all)"),
        ("waited out inside a call | 120 s |", "waited out inside a call | 60 s |"),
        ("5 × 120 = 600 s", "5 × 120 = 300 s"),
    ],
)
def test_the_retry_budget_check_fails_for_a_wrong_figure_in_the_doc(right: str, wrong: str) -> None:
    assert right in OPS_ML
    assert retry_budget_problems(OPS_ML.replace(right, wrong), RETRY)


def test_the_retry_budget_has_the_anchor_the_readme_links_to() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/operations-ml.md#retry-budget" in readme
    assert re.search(r"^## Retry budget$", OPS_ML, re.M)  # GitHub's anchor for it is #retry-budget


def test_endpoint_test_states_the_same_budget() -> None:
    waits = retry_figures(RETRY)["waits without Retry-After"].split(" (")[0]
    stated = (
        f"(up to {_n(RETRY.max_retry_after)} s) or the backoff {waits}, at most {RETRY.attempts} attempts"
    )
    assert stated in " ".join(OPS_ARM.split())


# --- the polling budget ---------------------------------------------------------------------------------


def polling_budget_problems(doc: str, policy: PollPolicy, loss_interval: float = LOSS_INTERVAL) -> list[str]:
    """Differences between the doc's Polling budget section and the figures computed from `policy`."""
    section = _section(doc, POLLING_BUDGET)
    table = {int(k): int(v) for k, v in _table(section).items() if k.isdigit() and v.isdigit()}
    problems = []
    if table != policy.budget():
        problems.append(f"polls per job-hour: the doc says {table}, the code gives {policy.budget()}")
    flat = " ".join(section.split())
    steady = math.ceil(3600 / policy.maximum)  # as ops.polling computes STEADY_STATE_POLLS_PER_HOUR
    for phrase in (
        f"At the cap a wait costs {steady} polls an hour",
        f"at most 3600 / {_n(loss_interval)} = {_n(3600 / loss_interval)} MLflow searches per job-hour",
        f"an end is noticed at most {_n(policy.detection_delay)} s later",
    ):
        if phrase not in flat:
            problems.append(f"the doc does not say {phrase!r}")
    return problems


def test_the_polling_budget_figures_are_those_of_the_policy() -> None:
    assert DEFAULT_POLICY.budget() == {0: 65, 2: 73, 4: 82}  # what the section is about
    assert STEADY_STATE_POLLS_PER_HOUR == 60 and MAX_DETECTION_DELAY == 60
    assert polling_budget_problems(OPS_ML, DEFAULT_POLICY) == []


@pytest.mark.parametrize(
    "wrong",
    [PollPolicy(maximum=30.0), PollPolicy(factor=2.0), PollPolicy(initial=10.0)],
    ids=["another cap", "another factor", "another first interval"],
)
def test_the_polling_budget_check_fails_for_a_policy_the_code_does_not_have(wrong: PollPolicy) -> None:
    assert wrong.budget() != DEFAULT_POLICY.budget()
    assert polling_budget_problems(OPS_ML, wrong)


def test_the_polling_budget_check_fails_for_another_loss_interval() -> None:
    assert polling_budget_problems(OPS_ML, DEFAULT_POLICY, loss_interval=LOSS_INTERVAL / 2)


@pytest.mark.parametrize(
    ("right", "wrong"),
    [
        ("| 0 | 65 |", "| 0 | 64 |"),
        ("| 2 | 73 |", "| 2 | 75 |"),
        ("| 4 | 82 |", "| 4 | 80 |"),
        ("costs 60 polls an hour", "costs 65 polls an hour"),
        ("3600 / 300 = 12 MLflow", "3600 / 300 = 10 MLflow"),
    ],
)
def test_the_polling_budget_check_fails_for_a_wrong_figure_in_the_doc(right: str, wrong: str) -> None:
    assert right in OPS_ML
    assert polling_budget_problems(OPS_ML.replace(right, wrong), DEFAULT_POLICY)


def test_the_waits_stated_are_those_of_the_code() -> None:
    """The 'One loop' bullet: the failed reads that end a wait, and each wait's timeout."""
    from ops.flows.deploy import ONLINE_TIMEOUT
    from ops.flows.preflight import REGISTER_TIMEOUT
    from ops.flows.teardown import ENDPOINT_GONE_TIMEOUT
    from ops.flows.waiting import MAX_CONSECUTIVE_ERRORS

    flat = " ".join(_section(OPS_ML, POLLING_BUDGET).split())
    assert f"{MAX_CONSECUTIVE_ERRORS} such reads in a row end it" in flat
    for stated in (
        f"left provisioning ({_n(ONLINE_TIMEOUT / 3600)} h)",
        f"registration ({_n(REGISTER_TIMEOUT / 60)} min)",
        f"after teardown deleted them ({_n(ENDPOINT_GONE_TIMEOUT / 60)} min",
    ):
        assert stated in flat
