"""Entry point the Pulumi CLI runs for `--policy-pack policy`: builds the pack, which serves until killed.

Never import this module: constructing PolicyPack starts the analyzer's gRPC server and blocks.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The CLI runs this file with policy/ as sys.path[0]; make the repository root importable too.
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policy.policies import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=POLICIES,
    description="Guardrails for fine-tuning-ready AI Foundry stacks (policy/rules.py).",
)
