"""Suite-wide pytest configuration: the Azure emulation fixtures (tests/emulator/plugin.py) and the
process-wide Pulumi mock engine."""

from __future__ import annotations

import pytest

pytest_plugins = ("tests.emulator.plugin",)


def pytest_configure(config: pytest.Config) -> None:
    """`pulumi.runtime.set_mocks` is process-wide: set it once per test process, here and nowhere else.

    Tests run the program through tests/infra/harness.py (infra.mock_engine.run_program), which reuses it.
    """
    from infra.mock_engine import install

    install()
