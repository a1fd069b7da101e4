"""Runs of the shipped stacks, shared by the infra tests (one program run per stack per process)."""

from __future__ import annotations

import pytest

from tests.infra.harness import STACK_FILES, ProgramRun, run_program


@pytest.fixture(scope="session")
def dev_run() -> ProgramRun:
    return run_program(STACK_FILES["dev"])


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    return run_program(STACK_FILES["prod"])


@pytest.fixture(params=["dev", "prod"], scope="session")
def any_run(request: pytest.FixtureRequest, dev_run: ProgramRun, prod_run: ProgramRun) -> ProgramRun:
    return dev_run if request.param == "dev" else prod_run
