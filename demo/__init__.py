"""`python -m demo` (what `make demo` runs): the whole foundry-ops workflow against the local emulation.

Not product code: it starts the test harness (tests/emulator: a loopback HTTPS Azure and a real
Azurite) and drives the real `foundry-ops` executable through it, as a user would.
"""
