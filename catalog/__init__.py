"""Facts shared by infra, ops and policy: the model catalog and the stack-outputs contract.

Nothing here imports a heavy SDK, so every layer (and `foundry-ops --help`) can use it cheaply.
"""
