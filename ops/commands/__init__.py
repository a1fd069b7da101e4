"""Command groups of foundry-ops, one module per group (loaded lazily by ops.cli)."""
