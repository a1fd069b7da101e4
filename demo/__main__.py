"""Run the whole workflow against the emulator and Azurite, through the real `foundry-ops` CLI.

Flow, command by command: models list (--live), data validate, preflight (then --fix), data upload,
finetune submit --wait (pinned base model, an absolute learning rate), finetune show / metrics --plot,
deploy create --ttl, content safety show / blocked prompt / off / on, endpoint test, eval, deploy keys,
teardown. Then the same workflow as code: a run file planned, applied, applied again (a no-op), its
status, reaped past its ttl, and torn down. A few cloud faults are injected on the way (throttling, a
503, a dropped connection) to show the retries; the summary counts what the service saw.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from demo.data import RUN_NAME, write, write_run
from tests.emulator.stack import FOREIGN_ENV, EmulatedStack

RUN_TTL_S = 20  # the run file's endpoint expires this long after it is deployed

BOLD = "\033[1m" if sys.stdout.isatty() else ""
DIM = "\033[2m" if sys.stdout.isatty() else ""
RESET = "\033[0m" if sys.stdout.isatty() else ""


@dataclass
class Step:
    title: str
    args: list[str]
    expect: int = 0
    code: int | None = None
    seconds: float = 0.0


def cli_path() -> str:
    here = Path(sys.executable).parent / "foundry-ops"
    found = str(here) if here.exists() else shutil.which("foundry-ops")
    if not found:
        raise SystemExit("foundry-ops is not installed in this environment; run `make install`")
    return found


def run(step: Step, exe: str, env: dict[str, str]) -> None:
    print(f"\n{BOLD}== {step.title}{RESET}")
    print(f"{DIM}$ foundry-ops {shlex.join(step.args)}{RESET}")  # as a shell would need it pasted
    started = time.monotonic()
    # stderr (progress) and stdout (the result) merged, so they read in the order they happened
    proc = subprocess.run(
        [exe, *step.args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False
    )
    step.seconds = time.monotonic() - started
    step.code = proc.returncode
    if proc.stdout.strip():
        print(textwrap.indent(proc.stdout.rstrip(), "  "))
    if step.code != step.expect:
        print(f"  !! exit {step.code}, expected {step.expect}")
    elif step.expect:
        print(f"  {DIM}(exit {step.code}, as expected){RESET}")


def main() -> int:
    exe = cli_path()
    workdir = Path(tempfile.mkdtemp(prefix="foundry-demo-"))
    print(f"{BOLD}foundry-ops demo{RESET}: starting the Azure emulation and Azurite in {workdir} ...")
    stack = EmulatedStack(workdir).start()
    steps: list[Step] = []
    try:
        emulator = stack.emulator
        env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENV}
        env.update(stack.env())
        env["XDG_CACHE_HOME"] = str(workdir / "cache")
        train, heldout = write(workdir)
        print(f"outputs: {stack.outputs_file}\ntraining data: {train}\nheld-out data: {heldout}")

        def go(title: str, *args: str, expect: int = 0) -> None:
            step = Step(title, list(args), expect)
            steps.append(step)
            run(step, exe, env)

        go("Which models can be fine-tuned here", "models", "list")
        go("... and what the azureml registry says now", "models", "list", "--live")
        go("Validate the training data (offline)", "data", "validate", str(train), "--structure-only")
        go("Preflight: is the stack ready?", "preflight", expect=1)
        go(
            "Preflight with --fix (registers Microsoft.Network)",
            "preflight",
            "--fix",
            "--poll-interval",
            "0.5",
        )

        emulator.faults.add("status", method="GET", path="/datastores", status=429, retry_after=1)
        go("Upload the training file (validated, content-addressed)", "data", "upload", str(train))
        go("Upload it again: nothing to do", "data", "upload", str(train))

        emulator.faults.add("status", method="PUT", path="/jobs/", status=503)
        emulator.faults.add("reset", method="GET", path="/jobs/ft-", skip=3)
        emulator.faults.add("status", method="GET", path="/jobs/ft-", status=429, retry_after=1, skip=5)
        go(
            "Fine-tune Phi-4-mini-instruct (serverless; an absolute learning rate) and wait",
            "finetune", "submit", "--model", "Phi-4-mini-instruct", "--train", str(train),
            "--epochs", "2", "--learning-rate", "0.00002", "--suffix", "support", "--wait", "--poll-interval", "0.5",
        )  # fmt: skip
        job = emulator.world.jobs and next(iter(emulator.world.jobs))[1]
        go("The job as the service got it: pinned base model, hyperparameters", "finetune", "show", str(job))
        go("Its training curves (MLflow), and a plot", "finetune", "metrics", str(job),
           "--plot", str(workdir / "loss.png"))  # fmt: skip
        go("Submit the same inputs again: the same job comes back", "finetune", "submit",
           "--model", "Phi-4-mini-instruct", "--train", str(train), "--epochs", "2", "--learning-rate", "0.00002",
           "--suffix", "support")  # fmt: skip
        go("Jobs in the project", "finetune", "list")

        emulator.faults.add("reset_after", method="PUT", path="/serverlessEndpoints/")
        go(
            "Deploy the fine-tuned model (serverless endpoint, expires in 8 h)",
            "deploy", "create", "--job", str(job), "--ttl", "8h", "--poll-interval", "0.5",
        )  # fmt: skip
        endpoint = next(iter(emulator.world.endpoints))[1]
        go("Endpoints in the project: created, expires, hours billed", "deploy", "list")
        go("Content safety is on", "content-safety", "show", endpoint)
        go(
            "A prompt the filter blocks",
            "endpoint",
            "test",
            endpoint,
            "--prompt",
            "BLOCKME: help me",
            expect=1,
        )
        go(
            "Turn content safety off (confirmed with --yes)",
            "content-safety",
            "set",
            endpoint,
            "--disabled",
            "--yes",
            "--poll-interval",
            "0.5",
        )
        go("The same prompt now passes", "endpoint", "test", endpoint, "--prompt", "BLOCKME: help me")
        go(
            "Turn content safety back on",
            "content-safety",
            "set",
            endpoint,
            "--enabled",
            "--poll-interval",
            "0.5",
        )
        go(
            "Ask the endpoint something",
            "endpoint",
            "test",
            endpoint,
            "--prompt",
            "How do I reset my password?",
        )
        go("Evaluate on held-out data", "eval", endpoint, "--file", str(heldout))
        go("Keys are not printed unless --show-keys", "deploy", "keys", endpoint)
        go(
            "Tear everything down",
            "teardown",
            "--yes",
            "--delete-models",
            "--delete-data",
            "--poll-interval",
            "0.5",
        )

        # The same workflow as code: one run file, applied (twice: the second is a no-op), then reaped.
        run_file = write_run(workdir, train, heldout, RUN_TTL_S)
        go("A run file: plan (reads Azure, changes nothing)", "run", "plan", str(run_file))
        go("Apply it: upload, fine-tune, wait, deploy, smoke test, eval gate, expiry", "run", "apply",
           str(run_file), "--yes", "--poll-interval", "0.5")  # fmt: skip
        before = dict(emulator.world.created)
        go("Apply it again: nothing to do", "run", "apply", str(run_file), "--yes")
        again_created = {
            k: emulator.world.created[k] - before.get(k, 0) for k in ("jobs", "endpoints", "data_versions")
        }
        go("Its status", "run", "status", str(run_file))
        time.sleep(RUN_TTL_S + 1)
        go(
            "Past its ttl: reap deletes the run's endpoint",
            "deploy",
            "reap",
            "--yes",
            "--poll-interval",
            "0.5",
        )
        endpoints_before = emulator.world.created["endpoints"]
        go("The run stays retired: nothing comes back", "run", "apply", str(run_file), "--yes")
        redeployed = emulator.world.created["endpoints"] - endpoints_before
        go(
            "Tear the rest down",
            "teardown",
            "--yes",
            "--delete-models",
            "--delete-data",
            "--poll-interval",
            "0.5",
        )

        world = emulator.world
        left = len(world.endpoints) + len(world.models) + len(world.data)
        fired = sum(f["fired"] for f in emulator.faults.list())
        print(f"\n{BOLD}== Summary{RESET}")
        width = max(len(s.title) for s in steps)
        for s in steps:
            mark = "ok " if s.code == s.expect else "FAIL"
            print(f"  {mark} {s.title.ljust(width)}  exit {s.code}  {s.seconds:5.1f}s")
        print(
            f"\n  requests served: {len(emulator.requests)}; injected faults survived: {fired}\n"
            f"  jobs created: {world.created['jobs']}; endpoints created: {world.created['endpoints']}; "
            f"data versions: {world.created['data_versions']}\n"
            f"  left after teardown: {len(world.endpoints)} endpoints, {len(world.models)} models, "
            f"{len(world.data)} data assets"
        )
        plot = (workdir / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        outputs = (run_file.parent / f"{RUN_NAME}.outputs" / "loss.png").is_file()
        print(
            f"  second apply created: {again_created}; apply after the reap created {redeployed} endpoint(s); "
            f"loss.png: {'written' if plot else 'MISSING'}; run outputs: {'written' if outputs else 'MISSING'}"
        )
        idle = all(v == 0 for v in again_created.values())
        retired = redeployed == 0
        ok = all(s.code == s.expect for s in steps) and left == 0 and idle and retired and plot and outputs
        print(f"\n{BOLD}{'demo passed' if ok else 'demo FAILED'}{RESET}")
        return 0 if ok else 1
    finally:
        stack.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
