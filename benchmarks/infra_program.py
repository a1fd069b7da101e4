"""Pulumi program under the mock engine: wall time of one full run, and the dependency graph's critical path.

The critical path (longest chain of resources that must be created one after another) bounds how long a
real `pulumi up` takes however parallel the engine is; the aim (issue 2) is 5 resources:
resource group -> {storage, key vault, AI Services, identity, registration} -> hub -> project -> role assignment.
Run: `python -m benchmarks.infra_program [RUNS]`.
"""

from __future__ import annotations

import statistics
import sys
import time


def main(runs: int = 5) -> None:
    started = time.perf_counter()
    from infra.mock_engine import install, load_stack_file, run_program
    from infra.plan import STACKS_DIR, build_plan

    install()
    print(f"import pulumi + mock engine: {time.perf_counter() - started:.2f} s")
    for stack in ("dev", "prod"):
        config = load_stack_file(STACKS_DIR / f"Pulumi.{stack}.yaml")
        t0 = time.perf_counter()
        first = run_program(config, stack=stack)
        cold = time.perf_counter() - t0
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            run_program(config, stack=stack)
            times.append(time.perf_counter() - t0)
        plan = build_plan(stack)
        custom = sum(1 for r in first.resources if r.custom)
        print(
            f"{stack}: {custom} resources, {len(first.resources) - custom} components; "
            f"first run {cold * 1000:.0f} ms, then median {statistics.median(times) * 1000:.0f} ms "
            f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, {runs} runs)"
        )
        print(
            f"{stack}: critical path {len(plan.critical_path)} resources: {' -> '.join(plan.critical_path)}"
        )
        print(f"{stack}: resources per wave (earliest start step): {[len(w) for w in plan.waves]}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
