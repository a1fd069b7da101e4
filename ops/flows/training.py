"""Training curves of a fine-tuning job: loss per step, as rows, CSV, or a PNG with both curves.

The metric names a job logs are read, not assumed (ops/azure/tracking.py): training loss is the first
of TRAIN_LOSS found, validation loss the first of VALID_LOSS — Hugging Face Trainer's names (which
Azure ML's fine-tuning components log through MLflow) and Azure OpenAI's results.csv names.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ToolkitError, UsageError

if TYPE_CHECKING:
    from ops.app import App
    from ops.azure.tracking import MetricPoint

TRAIN_LOSS = ("train_loss", "loss", "training_loss")
VALID_LOSS = ("valid_loss", "eval_loss", "validation_loss", "val_loss")


@dataclass(frozen=True)
class Curves:
    job: str
    series: dict[str, list[MetricPoint]]

    @property
    def names(self) -> list[str]:
        return sorted(self.series)

    @property
    def train_loss(self) -> str | None:
        return next((n for n in TRAIN_LOSS if n in self.series), None)

    @property
    def valid_loss(self) -> str | None:
        return next((n for n in VALID_LOSS if n in self.series), None)

    def latest(self, name: str | None) -> MetricPoint | None:
        points = self.series.get(name or "") or []
        return points[-1] if points else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "training_loss": self.train_loss,
            "validation_loss": self.valid_loss,
            "metrics": {
                name: [{"step": p.step, "value": p.value} for p in points]
                for name, points in sorted(self.series.items())
            },
        }


def metrics(app: App, job: str) -> Curves:
    from ops.azure.tracking import Tracking

    found = Tracking(app.transport, app.workspaces).job_metrics(job)
    return Curves(job, found.series)


LOSS_INTERVAL = 300.0  # seconds between metric reads during a wait: a few requests, not one set per poll


class LossTicker:
    """The latest training loss for a wait's status line, read at most every LOSS_INTERVAL seconds and only
    while the job runs: one MLflow search a read (the runs' last values), so a job-hour costs at most
    3600 / LOSS_INTERVAL of them on top of the polls (and, once, the run's experiment)."""

    def __init__(self, app: App, job: str, interval: float = LOSS_INTERVAL) -> None:
        from ops.azure.tracking import Tracking

        self.app = app
        self.job = job
        self.tracking = Tracking(app.transport, app.workspaces)  # keeps the job's experiment id
        self.interval = interval
        self.text = ""
        self._read_at: float | None = None

    def __call__(self, status: str) -> str:
        now = self.app.clock.now()
        if status == "Running" and (self._read_at is None or now - self._read_at >= self.interval):
            self._read_at = now
            try:
                latest = self.tracking.latest(self.job)
            except ToolkitError:
                return self.text
            name = next((n for n in TRAIN_LOSS if n in latest), None)
            if name is not None:
                self.text = f"loss {latest[name].value:.3f} at step {latest[name].step}"
        return self.text


def rows(curves: Curves) -> list[dict[str, Any]]:
    """One row per step with every metric logged at it."""
    table: dict[int, dict[str, Any]] = {}
    for name, points in curves.series.items():
        for p in points:
            table.setdefault(p.step, {"step": p.step})[name] = round(p.value, 6)
    return [table[step] for step in sorted(table)]


def to_csv(curves: Curves) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["step", *curves.names], lineterminator="\n")
    writer.writeheader()
    for row in rows(curves):
        writer.writerow(row)
    return buffer.getvalue()


def plot(curves: Curves, path: Path, *, title: str) -> Path:
    """A PNG with the training and validation loss per step (matplotlib, headless)."""
    lines = [n for n in (curves.train_loss, curves.valid_loss) if n]
    if not lines:
        raise UsageError(
            f"job {curves.job} has logged no loss yet (metrics: {', '.join(curves.names) or 'none'})",
            hint="plot again once the job has trained for a few steps",
        )
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 4.5), dpi=100)
    try:
        for name, label in ((curves.train_loss, "training loss"), (curves.valid_loss, "validation loss")):
            if name:
                points = curves.series[name]
                axes.plot(
                    [p.step for p in points],
                    [p.value for p in points],
                    marker="." if len(points) < 50 else None,
                    label=f"{label} ({name})",
                )
        axes.set_xlabel("step")
        axes.set_ylabel("loss")
        axes.set_title(title)
        axes.grid(True, alpha=0.3)
        axes.legend()
        figure.tight_layout()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            figure.savefig(path, format="png")
        except OSError as exc:
            raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        plt.close(figure)
    return path
