"""Suite-wide pytest configuration: the Azure emulation fixtures (tests/emulator/plugin.py)."""

pytest_plugins = ("tests.emulator.plugin",)
