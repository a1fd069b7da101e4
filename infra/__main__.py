"""The Pulumi program: stack config -> FoundryEnvironment -> the outputs contract (catalog/contract.py)."""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native

from infra.components.foundry import FoundryEnvironment, FoundryEnvironmentArgs
from infra.config import StackConfigError, load_stack_config


def _stack_file() -> dict[str, object] | None:
    """This stack's `config:` from `<stackConfigDir>/Pulumi.<stack>.yaml` under the project root, if it is
    there (config may also come from elsewhere, e.g. an ESC environment)."""
    from pathlib import Path

    import yaml

    from core.stacks import StackFileError, stack_dir

    root = pulumi.get_root_directory()
    try:
        path = stack_dir(Path(root)) / f"Pulumi.{pulumi.get_stack()}.yaml" if root else None
        if path is None or not path.is_file():
            return None
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, StackFileError):
        return None  # the Pulumi CLI read its config already; this file only adds a check
    config = data.get("config") if isinstance(data, dict) else None
    return config if isinstance(config, dict) else None


def main() -> None:
    try:
        config = load_stack_config(_stack_file())  # every problem listed, before any resource is declared
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
