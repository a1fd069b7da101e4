"""Which run applies to which stack: the run-plan / run-apply matrix, derived from runs/*.yaml and the stack files.

CI never keeps its own list: every `runs/<file>.yaml` (top level of runs/ only) is a run; its `stacks:` (default:
every `stacks/Pulumi.<stack>.yaml`, found by `core.stacks`) are its legs. Every run file is loaded
and checked, so one invalid run file fails here with all its problems (exit 2) before any job starts; two run
files with the same `name` (it names Azure resources) fail too.

    python -m ops.runs.matrix [--root DIR] [--by-stack] [--changed FILE ...] [--run FILE] [--stack NAME]
                              [--github-output] [--tsv]

prints `{"include": [{"stack": "dev", "run": "runs/a.yaml", "name": "a"}, ...]}` (one leg per stack and run:
what run-plan plans) as compact JSON; with `--by-stack`, `{"include": [{"stack": "dev"}, ...]}`: one leg per
stack that a run targets (what run-apply reconciles; each leg lists its stack's runs itself, with `--stack
NAME --tsv` at its own checkout). With `--github-output` it also appends `matrix=<json>` and `count=<legs>` to
the file named by $GITHUB_OUTPUT (a job whose matrix would be empty must be skipped:
`if: needs.<job>.outputs.count != '0'`); `--tsv` prints one leg a line, its values separated by tabs, instead
of the JSON. `--changed` keeps the runs whose run file or data files (train, validation, eval data) are among
the given files (a pull request or push that touches some); `--run` keeps one run file and fails when it is
not one; `--stack` keeps the legs of one stack and fails when it is not a stack. With `--by-stack`,
`--changed` and `--run` only choose which stacks get a leg (those the kept runs target).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core.errors import EXIT_FAILURE, EXIT_USAGE, UsageError
from core.stacks import StackFileError, stack_dir, stack_names
from ops.runs.model import Problem, RunFile, RunFileError
from ops.runs.schema import load_run_file

RUNS_DIR = "runs"


@dataclass(frozen=True)
class Leg:
    """One job: apply (or plan) run file `run` (relative to the root, POSIX) on `stack`."""

    stack: str
    run: str
    name: str


@dataclass(frozen=True)
class StackLeg:
    """One reconcile job: apply every run file that targets `stack` (the leg lists them at its checkout)."""

    stack: str


class RunsError(UsageError):
    """Run files CI cannot use: each file's RunFileError, or a selection that names no run file."""

    def __init__(self, errors: Sequence[RunFileError], message: str | None = None) -> None:
        problems = [p for e in errors for p in e.problems]
        files = sorted({e.file for e in errors})
        super().__init__(
            message or f"{len(problems)} problem{'' if len(problems) == 1 else 's'} in {', '.join(files)}",
            details=tuple(str(p) for p in problems),
        )
        self.errors = tuple(errors)
        self.problems = tuple(problems)


def run_files(root: Path) -> list[Path]:
    """The run files: `<root>/runs/*.yaml`, sorted; a `.yml` there, or a tab or line break in a name (`--tsv`
    prints one run a line, tab-separated), is an error."""
    directory = root / RUNS_DIR
    if not directory.is_dir():
        return []
    errors = []
    for path in sorted(p for p in directory.glob("*.yml") if p.is_file()):
        shown = _relative(path)
        errors.append(RunFileError(shown, [Problem(shown, None, "a run file ends in .yaml, not .yml")]))
    found = sorted(p for p in directory.glob("*.yaml") if p.is_file())
    for path in found:
        if not path.name.isprintable():
            shown = _relative(path)
            message = (
                "a run file's name has no tab, line break or other control character "
                "(run-apply reads its runs one a line, tab-separated)"
            )
            errors.append(RunFileError(shown, [Problem(shown, None, message)]))
    if errors:
        raise RunsError(errors)
    return found


def load_runs(
    root: Path, stacks_dir: Path | None = None, stacks: Sequence[str] | None = None
) -> list[RunFile]:
    """Every run file of the repository, loaded and checked; all problems of all files in one RunsError.

    `stacks`: the stack names of `stacks_dir` when the caller has read them; otherwise each run file that
    names stacks reads the stack files itself."""
    stacks_dir = stacks_dir or stack_dir(root)
    runs: list[RunFile] = []
    errors: list[RunFileError] = []
    for path in run_files(root):
        try:
            runs.append(load_run_file(_relative(path), stacks_dir=stacks_dir, stacks=stacks))
        except RunFileError as exc:
            errors.append(exc)
    by_name: dict[str, list[RunFile]] = {}
    for run in runs:
        by_name.setdefault(run.name, []).append(run)
    for same in (group for group in by_name.values() if len(group) > 1):
        for run in same:  # every file is named: the one a pull request added is not always the later one
            shown = _relative(run.source)
            others = ", ".join(str(_relative(o.source, root)) for o in same if o is not run)
            message = (
                f"name {run.name!r} is also the name of {others}; "
                "run names must be unique (they name what the run creates in Azure)"
            )
            errors.append(RunFileError(shown, [Problem(shown, run.name_line, message)]))
    if errors:
        raise RunsError(errors)
    return runs


def _select(
    root: Path,
    changed: Iterable[str | Path] | None,
    only: str | Path | None,
    stack: str | None,
) -> tuple[list[str], list[RunFile], list[RunFile]]:
    """(every stack, every run, the runs `changed` and `only` keep); `stack` is checked to be a stack."""
    directory = stack_dir(root)
    stacks = stack_names(directory)
    if stack is not None and stack not in stacks:
        raise UsageError(f"--stack {stack}: no stack {stack!r}; stacks: {', '.join(stacks) or 'none'}")
    runs = load_runs(root, directory, stacks)
    kept = runs
    if only is not None:
        wanted = (root / only).resolve()
        if wanted not in {r.source for r in runs}:
            known = ", ".join(_relative(r.source, root) for r in runs) or f"none in {RUNS_DIR}/"
            raise UsageError(f"--run {only}: not a run file ({RUNS_DIR}/*.yaml); run files: {known}")
        kept = [r for r in kept if r.source == wanted]
    if changed is not None:
        touched = {(root / c).resolve() for c in changed}
        kept = [r for r in kept if r.source in touched or touched.intersection(r.data_files())]
    return stacks, runs, kept


def legs(
    root: Path,
    changed: Iterable[str | Path] | None = None,
    only: str | Path | None = None,
    stack: str | None = None,
) -> list[Leg]:
    """The matrix legs, one per (stack, run), by run file then stack (in stack-file order).

    `changed`: keep the runs whose run file or data files are among these paths (relative to `root` or
    absolute); None keeps every run. `only`: keep this run file; an error when it is not a run file.
    `stack`: keep the legs on this stack; an error when it is not a stack.
    """
    root = root.resolve()
    stacks, _, kept = _select(root, changed, only, stack)
    return [
        Leg(stack=target, run=_relative(run.source, root), name=run.name)
        for run in kept
        for target in run.target_stacks(stacks)
        if stack is None or target == stack
    ]


def stack_legs(
    root: Path,
    changed: Iterable[str | Path] | None = None,
    only: str | Path | None = None,
    stack: str | None = None,
) -> list[StackLeg]:
    """The reconcile legs, one per stack (in stack-file order) that a kept run targets.

    `changed`, `only` and `stack` choose the stacks as in `legs`; each leg then applies EVERY run file that
    targets its stack, changed or not (applying a run that is up to date changes nothing).
    """
    root = root.resolve()
    stacks, _, kept = _select(root, changed, only, stack)
    chosen = {target for run in kept for target in run.target_stacks(stacks)}
    return [
        StackLeg(stack=target) for target in stacks if target in chosen and (stack is None or target == stack)
    ]


def matrix(
    root: Path,
    changed: Iterable[str | Path] | None = None,
    only: str | Path | None = None,
    *,
    by_stack: bool = False,
    stack: str | None = None,
) -> dict[str, Any]:
    """The GitHub Actions matrix: `{"include": [{"stack", "run", "name"}, ...]}`, or with `by_stack`
    `{"include": [{"stack"}, ...]}`."""
    found: Sequence[Leg | StackLeg] = (
        stack_legs(root, changed, only, stack) if by_stack else legs(root, changed, only, stack)
    )
    return {"include": [asdict(leg) for leg in found]}


def _relative(path: Path, base: Path | None = None) -> str:
    """`path` relative to `base` when under it, POSIX. The default base is the working directory: problems
    name files as given to the loader, relative to it (CI runs at the root)."""
    base = Path.cwd() if base is None else base
    return path.relative_to(base).as_posix() if path.is_relative_to(base) else path.as_posix()


def _annotate(root: Path, problems: Iterable[Problem]) -> None:
    """GitHub workflow commands: each problem shows on its line in the pull request's diff."""
    for problem in problems:
        file = _relative(Path(problem.file).resolve(), root)
        where = f"file={file},line={problem.line}" if problem.line else f"file={file}"
        message = problem.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        print(f"::error {where}::{message}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ops.runs.matrix", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument(
        "--root", type=Path, default=Path.cwd(), help="repository root (default: current directory)"
    )
    parser.add_argument(
        "--changed",
        nargs="*",
        metavar="FILE",
        help="keep only the runs whose run file or data files are among these (paths relative to --root); "
        "given with no FILE, no run is kept",
    )
    parser.add_argument("--run", metavar="FILE", help="keep only this run file (an error if it is not one)")
    parser.add_argument(
        "--stack", metavar="NAME", help="keep only this stack's legs (an error if it is not one)"
    )
    parser.add_argument(
        "--by-stack",
        action="store_true",
        help="one leg per stack that a run targets ({stack}); --changed and --run then only choose the stacks",
    )
    parser.add_argument(
        "--tsv", action="store_true", help="print one leg a line, its values separated by tabs, not JSON"
    )
    parser.add_argument(
        "--github-output",
        action="store_true",
        help="also append matrix=<json> and count=<legs> to the file named by $GITHUB_OUTPUT",
    )
    args = parser.parse_args(argv)
    target = os.environ.get("GITHUB_OUTPUT")
    if args.github_output and not target:
        print("Error: --github-output needs $GITHUB_OUTPUT", file=sys.stderr)
        return EXIT_FAILURE
    try:
        found = matrix(args.root, args.changed, args.run, by_stack=args.by_stack, stack=args.stack)
    except StackFileError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except UsageError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        if args.github_output and os.environ.get("GITHUB_ACTIONS") == "true" and isinstance(exc, RunsError):
            _annotate(args.root.resolve(), exc.problems)
        return EXIT_USAGE
    text = json.dumps(found, separators=(",", ":"))
    if args.tsv:
        for leg in found["include"]:
            print("\t".join(str(value) for value in leg.values()))
    else:
        print(text)
    if args.github_output and target:
        with open(target, "a", encoding="utf-8") as fh:
            fh.write(f"matrix={text}\ncount={len(found['include'])}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
