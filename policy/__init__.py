"""Policy as code for the toolkit's stacks (Pulumi CrossGuard).

`policy.rules` holds the rule logic as pure functions over (resource type, props, context);
`policy.policies` wraps them as pulumi_policy objects; `policy/__main__.py` builds the pack (and blocks,
serving the engine) — import the first two, never the third. `policy.stacks` derives the CI stack matrix.
"""
