"""The Pulumi program: stack config -> FoundryEnvironment -> the outputs contract (catalog/contract.py)."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native

from infra.components.foundry import FoundryEnvironment, FoundryEnvironmentArgs
from infra.config import StackConfigError, load_stack_config


def main() -> None:
    try:
        config = load_stack_config()  # every problem listed, before any resource is declared
    except StackConfigError as exc:
        raise pulumi.RunError(str(exc)) from None  # shown without a traceback
    client = azure_native.authorization.get_client_config()
    env = FoundryEnvironment(
        "foundry",
        FoundryEnvironmentArgs(
            config=config,
            subscription_id=client.subscription_id,
            tenant_id=client.tenant_id,
            stack=pulumi.get_stack(),
        ),
    )
    for key, value in env.outputs.items():
        pulumi.export(key, value)


if __name__ == "__main__":
    main()
