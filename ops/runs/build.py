"""Turning a valid run file's data into the `RunFile` record (paths resolved, catalog spelling of the model).

Only called once `ops.runs.schema` found no problem, so every key has the type and range the schema
demands. Pure: standard library, `catalog` and `ops.runs` only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from catalog.models import get_model
from ops.runs.model import (
    DEFAULT_MODEL_VERSION,
    Gate,
    OnFailure,
    RunData,
    RunDeploy,
    RunEval,
    RunFile,
    RunHyperparameters,
    SmokeTest,
)


def build_run_file(source: Path, data: dict[str, Any], *, name_line: int | None = None) -> RunFile:
    """The record of the valid run file `source` whose parsed YAML is `data` (`name:` on `name_line`)."""
    base = source.parent

    def path(value: str) -> Path:
        return (base / value).resolve()

    raw_data = data["data"]
    validation = raw_data.get("validation")
    fraction = raw_data.get("validationFraction")
    hyper = data.get("hyperparameters") or {}
    deploy = data.get("deploy")
    evaluation = data.get("eval")
    gate = evaluation.get("gate") if evaluation else None
    learning_rate = hyper.get("learningRate")
    stacks = data.get("stacks")
    return RunFile(
        name=data["name"],
        model=get_model(data["model"]).name,
        model_version=str(data.get("modelVersion", DEFAULT_MODEL_VERSION)),
        stacks=tuple(stacks) if stacks is not None else None,
        data=RunData(
            train=path(raw_data["train"]),
            validation=path(validation) if validation is not None else None,
            validation_fraction=float(fraction) if fraction is not None else None,
        ),
        hyperparameters=RunHyperparameters(
            epochs=int(hyper["epochs"]) if "epochs" in hyper else None,
            learning_rate=float(learning_rate) if learning_rate is not None else None,
            batch_size=int(hyper["batchSize"]) if "batchSize" in hyper else None,
        ),
        deploy=(
            RunDeploy(
                content_safety=bool(deploy.get("contentSafety", True)),
                ttl=deploy.get("ttl"),
                name=deploy.get("name"),
            )
            if deploy is not None
            else None
        ),
        smoke=tuple(SmokeTest(prompt=s["prompt"], system=s.get("system")) for s in data.get("smoke") or ()),
        eval=(
            RunEval(
                data=path(evaluation["data"]),
                gate=Gate(metric=gate["metric"], min=float(gate["min"])) if gate is not None else None,
                baseline=evaluation.get("baseline"),
                limit=int(evaluation["limit"]) if "limit" in evaluation else None,
                on_failure=cast(OnFailure, evaluation.get("onFailure", "delete")),
            )
            if evaluation is not None
            else None
        ),
        force=bool(data.get("force", False)),
        source=source,
        name_line=name_line,
    )
