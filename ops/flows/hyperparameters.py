"""Fine-tuning hyperparameters as the service means them.

The keys and the string values are those of the FineTuning bodies Azure accepted in the azure-ai-ml test
recordings (Azure/azure-sdk-assets python/sdk/ml/azure-ai-ml/tests/recordings/finetuning_job/) and of
Microsoft's samples (MicrosoftDocs/azure-ai-docs fine-tune-serverless.md; Azure/azureml-examples
sdk/python/jobs/finetuning/standalone/model-as-a-service/): `learning_rate` is an absolute rate such as
0.00002, not a multiplier. One the user does not give is not sent, so the service's own default applies.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import UsageError
from ops.limits import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE

SERVICE_DEFAULT = "service default"
# our name -> the key Azure's FineTuning job takes (fine-tune-serverless.md; azureml-examples
# sdk/python/jobs/finetuning/standalone/model-as-a-service; azure-sdk-assets finetuning_job recordings)
SERVICE_KEYS = {
    "epochs": "num_train_epochs",
    "learning_rate": "learning_rate",
    "batch_size": "per_device_train_batch_size",
}


@dataclass(frozen=True)
class Hyperparameters:
    """The three hyperparameters the service documents; None = not sent (the service decides)."""

    epochs: int | None = None
    learning_rate: float | None = None
    batch_size: int | None = None

    def check(self, *, force: bool = False) -> None:
        if self.epochs is not None and not 1 <= self.epochs <= MAX_EPOCHS:
            raise UsageError(f"epochs must be between 1 and {MAX_EPOCHS}, got {self.epochs}")
        if self.batch_size is not None and not 1 <= self.batch_size <= MAX_BATCH_SIZE:
            raise UsageError(f"batch size must be between 1 and {MAX_BATCH_SIZE}, got {self.batch_size}")
        if self.learning_rate is not None:
            if not self.learning_rate > 0:
                raise UsageError(f"the learning rate must be above 0, got {self.learning_rate:g}")
            if self.learning_rate > MAX_LEARNING_RATE and not force:
                raise UsageError(
                    f"a learning rate of {self.learning_rate:g} is an absolute rate, and above "
                    f"{MAX_LEARNING_RATE:g} it destroys what the model learned in pretraining "
                    "(Microsoft's samples use 0.00002)",
                    hint="pass a rate such as 0.00002, or --force if you mean it",
                )

    def to_service(self) -> dict[str, str]:
        """Only what was given, as the strings the service takes."""
        values = {"epochs": self.epochs, "learning_rate": self.learning_rate, "batch_size": self.batch_size}
        return {SERVICE_KEYS[k]: format_number(v) for k, v in values.items() if v is not None}


def format_number(value: float) -> str:
    """0.00002 rather than 2e-05: the form Azure's accepted bodies carry."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.12f}".rstrip("0").rstrip(".")


def shown_hyperparameters(sent: dict[str, str]) -> dict[str, str | None]:
    """Every documented key, with what was sent, or None where the service's default applies (JSON says
    null; tables say SERVICE_DEFAULT, see `as_text`)."""
    shown: dict[str, str | None] = {key: sent.get(key) for key in SERVICE_KEYS.values()}
    shown.update({k: v for k, v in sent.items() if k not in shown})
    return shown


def as_text(shown: dict[str, str | None]) -> str:
    """`key=value, ...` for a table, `service default` where nothing was sent."""
    return ", ".join(f"{k}={SERVICE_DEFAULT if v is None else v}" for k, v in shown.items())
