"""The run file as plain frozen records, and the problems a run file can have.

`RunFile` and its parts are what `ops.runs.schema.load_run_file` returns once a run file is valid;
`Problem` is one thing wrong with a run file and `RunFileError` carries all of them at once.
Pure: standard library and `core` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from core.errors import UsageError

DEFAULT_MODEL_VERSION = "latest"

OnFailure = Literal["delete", "keep"]


@dataclass(frozen=True, kw_only=True)
class RunData:
    """Training data; paths are absolute (resolved against the run file's directory)."""

    train: Path
    validation: Path | None = None
    validation_fraction: float | None = None


@dataclass(frozen=True, kw_only=True)
class RunHyperparameters:
    """Each None takes the service's default."""

    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None


@dataclass(frozen=True, kw_only=True)
class RunDeploy:
    content_safety: bool = True
    ttl: str | None = None  # like 8h, 2d, 1d12h, 90m, 45s (ops.flows.deploy.parse_duration reads it)
    name: str | None = None  # endpoint name; None: derived from the model


@dataclass(frozen=True, kw_only=True)
class SmokeTest:
    prompt: str
    system: str | None = None


@dataclass(frozen=True, kw_only=True)
class Gate:
    metric: str  # exact_match or token_f1
    min: float


@dataclass(frozen=True, kw_only=True)
class RunEval:
    data: Path
    gate: Gate | None = None
    baseline: str | None = None
    limit: int | None = None
    on_failure: OnFailure = "delete"


@dataclass(frozen=True, kw_only=True)
class RunFile:
    name: str
    model: str  # the catalog's spelling of the name
    model_version: str = DEFAULT_MODEL_VERSION
    stacks: tuple[str, ...] | None = None  # None: every stack in stacks/
    data: RunData
    hyperparameters: RunHyperparameters = field(default_factory=RunHyperparameters)
    deploy: RunDeploy | None = None  # None: train only
    smoke: tuple[SmokeTest, ...] = ()
    eval: RunEval | None = None
    force: bool = False  # allows learning rates above ops.limits.MAX_LEARNING_RATE (0.01)
    source: Path  # the run file, absolute
    # the line of `name:` in the file, for problems about the name (two runs named alike); not compared
    name_line: int | None = field(default=None, compare=False)

    def target_stacks(self, available: Sequence[str]) -> tuple[str, ...]:
        """The stacks this run applies to, given every stack of the repository (in that order)."""
        if self.stacks is None:
            return tuple(available)
        return tuple(s for s in available if s in self.stacks)

    def data_files(self) -> tuple[Path, ...]:
        """Every file the run reads besides itself: training, validation and evaluation data."""
        files = [self.data.train]
        if self.data.validation is not None:
            files.append(self.data.validation)
        if self.eval is not None:
            files.append(self.eval.data)
        return tuple(files)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a run file; `line` is 1-based (None: the file as a whole, e.g. unreadable)."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class RunFileError(UsageError):
    """A run file with problems; `details` holds one `<file>:<line>: <message>` line per problem."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"{file}: {count} problem{'' if count == 1 else 's'} in the run file",
            hint="runs/README.md describes every key",
            details=tuple(str(p) for p in problems),
        )
        self.file = file
        self.problems = tuple(problems)
