"""foundry-ops: operations against a provisioned AI Foundry stack (data, fine-tuning, deployment, teardown)."""

__version__ = "0.1.0"
