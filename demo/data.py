"""Sample chat data for the demo: a small customer-support assistant."""

from __future__ import annotations

import json
from pathlib import Path

SYSTEM = "You are Contoso's support assistant. Answer in one or two short sentences."

TOPICS = [
    ("reset my password", "Open Settings > Security, choose Reset password and follow the emailed link."),
    ("change my billing address", "Go to Account > Billing, edit the address and select Save."),
    ("download an invoice", "Open Account > Billing > Invoices and choose Download next to the invoice."),
    (
        "cancel my subscription",
        "Open Account > Subscription and select Cancel; it stays active until period end.",
    ),
    ("add a team member", "Go to Team > Members, select Invite and enter their email address."),
    ("enable two-factor sign-in", "Open Settings > Security and turn on Two-factor authentication."),
    ("export my data", "Open Settings > Privacy and select Export data; we email a download link."),
    ("change the plan", "Go to Account > Subscription, choose Change plan and confirm."),
    ("update my card", "Open Account > Billing > Payment methods and select Replace card."),
    ("contact a human", "Use Help > Contact us; an agent answers within one business day."),
]
PHRASINGS = [
    "How do I {}?",
    "Where can I {}?",
    "Can you tell me how to {}?",
    "I need to {}. What should I do?",
    "What's the way to {}?",
    "Quick question: how can I {}?",
]


def _example(question: str, answer: str) -> dict[str, list[dict[str, str]]]:
    return {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": question},
            {"role": "assistant", "content": answer},
        ]
    }


def write(workdir: Path) -> tuple[Path, Path]:
    """train.jsonl (60 examples) and heldout.jsonl (10, phrasings not seen in training)."""
    train = workdir / "support-train.jsonl"
    heldout = workdir / "support-heldout.jsonl"
    rows = [_example(p.format(t), a) for t, a in TOPICS for p in PHRASINGS]
    train.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    held = [_example(f"Please explain how to {t}.", a) for t, a in TOPICS]
    heldout.write_text("".join(json.dumps(r) + "\n" for r in held), encoding="utf-8")
    return train, heldout


RUN_NAME = "support-bot"  # names the run file, its outputs directory and what it creates in Azure
RUN = """\
# A fine-tuning run as code (runs/README.md describes every key).
name: {name}
model: Phi-4-mini-instruct
data: {{train: {train}, validationFraction: 0.1}}
hyperparameters: {{epochs: 2, learningRate: 0.00002}}
deploy: {{contentSafety: true, ttl: {ttl}s}}
smoke:
  - prompt: How do I reset my password?
eval:
  data: {heldout}
  gate: {{metric: token_f1, min: 0.0}}
"""


def write_run(workdir: Path, train: Path, heldout: Path, ttl_s: int = 20) -> Path:
    """A run file next to the demo's data (paths in a run file are relative to it)."""
    path = workdir / f"{RUN_NAME}.yaml"
    text = RUN.format(name=RUN_NAME, train=train.name, heldout=heldout.name, ttl=ttl_s)
    path.write_text(text, encoding="utf-8")
    return path
