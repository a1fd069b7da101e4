"""Optional AmlCompute GPU cluster on the project for managed-compute fine-tuning (Phi-3 family).

Scales to `min_nodes` (0 by default: no GPU bill while idle) after `idle_seconds`. Runs as the
fine-tuning user-assigned identity; no SSH, no local auth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_azure_native as azure_native

from infra.components import TYPE_PREFIX

ml = azure_native.machinelearningservices


@dataclass(frozen=True)
class GpuComputeArgs:
    resource_group_name: pulumi.Input[str]
    location: str
    workspace_name: pulumi.Input[str]
    compute_name: str
    vm_size: str
    max_nodes: int
    identity_id: pulumi.Input[str]
    min_nodes: int = 0
    idle_seconds: int = 120
    low_priority: bool = False
    no_public_ip: bool = False  # only with a managed network (nodes need another way out)
    tags: Mapping[str, str] = field(default_factory=dict)


class GpuCompute(pulumi.ComponentResource):
    name: pulumi.Output[str]

    def __init__(self, name: str, args: GpuComputeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:GpuCompute", name, None, opts)
        self.cluster = ml.Compute(
            f"{name}-cluster",
            compute_name=args.compute_name,
            resource_group_name=args.resource_group_name,
            workspace_name=args.workspace_name,
            location=args.location,
            identity=ml.ManagedServiceIdentityArgs(
                type="UserAssigned", user_assigned_identities=[args.identity_id]
            ),
            properties=ml.AmlComputeArgs(
                compute_type="AmlCompute",
                disable_local_auth=True,
                description="GPU cluster for managed-compute fine-tuning (scales to zero)",
                properties=ml.AmlComputePropertiesArgs(
                    vm_size=args.vm_size,
                    vm_priority="LowPriority" if args.low_priority else "Dedicated",
                    os_type="Linux",
                    remote_login_port_public_access="Disabled",
                    enable_node_public_ip=False if args.no_public_ip else None,
                    scale_settings=ml.ScaleSettingsArgs(
                        min_node_count=args.min_nodes,
                        max_node_count=args.max_nodes,
                        node_idle_time_before_scale_down=f"PT{args.idle_seconds}S",
                    ),
                ),
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = self.cluster.name
        self.register_outputs({"name": self.name})
