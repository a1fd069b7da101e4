"""Facts shared by infra, ops and policy: the model catalog and the stack-outputs contract.

Nothing here imports a heavy SDK, so every layer (and `foundry-ops --help`) can use it cheaply.
"""

# The names a command line needs before it needs the table (`--help` shows them): kept here so that
# building the commands does not load catalog.models. tests/core/test_catalog.py checks them against it.
DEFAULT_MODEL = "Phi-4-mini-instruct"
MODES = ("serverless", "managed-compute")
