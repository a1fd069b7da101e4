"""One ComponentResource per concern; `foundry.FoundryEnvironment` composes them."""

TYPE_PREFIX = "foundry:infra"
