"""Bad input × the command that meets it: data defects, configuration defects, stack-outputs defects, usage.

Each case writes its input (files under the bench's directory, environment through the bench's
monkeypatch) and returns the command line. The message and exit code in the table are what the run
printed; `says` is the part of the message the case insists on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.robustness.harness import PHI4, Bench


@dataclass(frozen=True)
class InputCase:
    kind: str  # data | config | outputs | usage
    defect: str
    exit_code: int
    says: str
    arrange: Callable[[Bench], list[str]]


def _file(b: Bench, name: str, content: str | bytes) -> str:
    path = b.workdir / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


def _line(i: int) -> str:
    return json.dumps(
        {"messages": [{"role": "user", "content": f"question {i}"}, {"role": "assistant", "content": "yes"}]}
    )


def _submit(path: str) -> list[str]:
    return ["finetune", "submit", "--model", PHI4, "--train", path]


def _outputs(b: Bench, **changes: object) -> None:
    data = {**b.emulator.outputs(), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    b.monkeypatch.setenv("FOUNDRY_OUTPUTS", _file(b, "outputs-changed.json", json.dumps(data)))


# --- data ---
def not_json(b: Bench) -> list[str]:
    lines = [_line(i) for i in range(12)]
    lines[3] = '{"messages": [}'
    return _submit(_file(b, "train.jsonl", "\n".join(lines) + "\n"))


def unknown_role(b: Bench) -> list[str]:
    lines = [_line(i) for i in range(12)]
    lines[5] = lines[5].replace('"user"', '"robot"')
    return _submit(_file(b, "train.jsonl", "\n".join(lines) + "\n"))


def too_few(b: Bench) -> list[str]:
    return _submit(_file(b, "train.jsonl", "\n".join(_line(i) for i in range(9)) + "\n"))


def ten_split(b: Bench) -> list[str]:
    return _submit(_file(b, "train.jsonl", "\n".join(_line(i) for i in range(10)) + "\n"))


def empty(b: Bench) -> list[str]:
    return _submit(_file(b, "train.jsonl", ""))


def not_utf8(b: Bench) -> list[str]:
    lines = [_line(i) for i in range(12)]
    return _submit(
        _file(b, "train.jsonl", ("\n".join(lines) + "\n").replace("yes", "s\xed").encode("latin-1"))
    )


def missing_file(b: Bench) -> list[str]:
    return ["data", "upload", str(b.workdir / "nowhere.jsonl")]


def no_reference(b: Bench) -> list[str]:
    path = _file(b, "heldout.jsonl", json.dumps({"messages": [{"role": "user", "content": "hi"}]}) + "\n")
    return ["eval", "bot", "--file", path]


# --- configuration ---
def unknown_cloud(b: Bench) -> list[str]:
    b.monkeypatch.setenv("FOUNDRY_CLOUD", "Mars")
    return ["finetune", "list"]


def custom_cloud_without_endpoint(b: Bench) -> list[str]:
    b.monkeypatch.delenv("FOUNDRY_ARM_ENDPOINT")
    return ["finetune", "list"]


def ca_bundle_missing(b: Bench) -> list[str]:
    b.monkeypatch.setenv("FOUNDRY_CA_BUNDLE", str(b.workdir / "no-ca.pem"))
    return ["deploy", "list"]


def ca_bundle_untrusted(b: Bench) -> list[str]:
    import trustme

    other = trustme.CA()
    path = b.workdir / "other-ca.pem"
    other.cert_pem.write_to_path(str(path))
    for name in ("FOUNDRY_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        b.monkeypatch.setenv(name, str(path))
    return ["deploy", "list"]


def wrong_secret(b: Bench) -> list[str]:
    b.monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    return ["finetune", "list"]


def stack_without_pulumi(b: Bench) -> list[str]:
    b.monkeypatch.delenv("FOUNDRY_OUTPUTS")
    b.monkeypatch.setenv("PATH", str(b.workdir))
    return ["--stack", "dev", "finetune", "list"]


# --- stack outputs ---
def outputs_missing(b: Bench) -> list[str]:
    b.monkeypatch.setenv("FOUNDRY_OUTPUTS", str(b.workdir / "outputs-nowhere.json"))
    return ["finetune", "list"]


def outputs_not_json(b: Bench) -> list[str]:
    b.monkeypatch.setenv("FOUNDRY_OUTPUTS", _file(b, "outputs-broken.json", '{"project_name": '))
    return ["finetune", "list"]


def outputs_without_project(b: Bench) -> list[str]:
    _outputs(b, project_name=None)
    return ["finetune", "list"]


def outputs_newer_schema(b: Bench) -> list[str]:
    _outputs(b, outputs_schema_version=99)
    return ["finetune", "list"]


def outputs_wrong_region(b: Bench) -> list[str]:
    _outputs(b, location="westeurope")
    train = _file(b, "train.jsonl", "\n".join(_line(i) for i in range(12)) + "\n")
    return [*_submit(train), "--mode", "serverless"]


def outputs_unknown_project(b: Bench) -> list[str]:
    """The stack's project is gone: its name and its id both name it."""
    project_id = str(b.emulator.outputs()["project_id"]).rsplit("/", 1)[0] + "/proj-elsewhere"
    _outputs(b, project_name="proj-elsewhere", project_id=project_id)
    return ["finetune", "list"]


# --- usage ---
def unknown_command(b: Bench) -> list[str]:
    return ["finetune", "sumbit"]


def retired_serverless(b: Bench) -> list[str]:
    path = _file(b, "train.jsonl", "\n".join(_line(i) for i in range(12)) + "\n")
    return [
        "finetune",
        "submit",
        "--model",
        "Phi-3-mini-4k-instruct",
        "--mode",
        "serverless",
        "--train",
        path,
    ]


def unknown_model(b: Bench) -> list[str]:
    return ["finetune", "submit", "--model", "Phi-9", "--train", "azureml:train:1"]


def concurrency_zero(b: Bench) -> list[str]:
    return ["eval", "bot", "--file", _file(b, "heldout.jsonl", _line(0) + "\n"), "--concurrency", "0"]


def job_and_model(b: Bench) -> list[str]:
    return ["deploy", "create", "--job", "ft-x", "--model", "m:1"]


def unknown_endpoint(b: Bench) -> list[str]:
    return ["deploy", "delete", "no-such-endpoint", "--yes"]


def safety_without_choice(b: Bench) -> list[str]:
    return ["content-safety", "set", "bot"]


CASES: tuple[InputCase, ...] = (
    InputCase("data", "a line that is not JSON", 1, "line 4", not_json),
    InputCase("data", "a message with an unknown role", 1, "robot", unknown_role),
    InputCase("data", "fewer than 10 examples", 1, "at least 10", too_few),
    InputCase("data", "10 examples, one held out for validation", 1, "--validation FILE", ten_split),
    InputCase("data", "an empty file", 1, "0 example(s)", empty),
    InputCase("data", "not UTF-8", 1, "UTF-8", not_utf8),
    InputCase("data", "the file does not exist", 2, "no such file", missing_file),
    InputCase("data", "eval data without reference answers", 1, "reference", no_reference),
    InputCase("config", "FOUNDRY_CLOUD names no cloud", 2, "unknown cloud", unknown_cloud),
    InputCase("config", "custom cloud without FOUNDRY_ARM_ENDPOINT", 2, "FOUNDRY_ARM_ENDPOINT",
              custom_cloud_without_endpoint),
    InputCase("config", "FOUNDRY_CA_BUNDLE points at no file", 2, "FOUNDRY_CA_BUNDLE", ca_bundle_missing),
    InputCase("config", "a CA bundle that does not trust the endpoints", 1, "TLS failed", ca_bundle_untrusted),
    InputCase("config", "a wrong client secret", 5, "credentials", wrong_secret),
    InputCase("config", "--stack without the Pulumi CLI", 2, "Pulumi CLI", stack_without_pulumi),
    InputCase("outputs", "the outputs file does not exist", 2, "does not exist", outputs_missing),
    InputCase("outputs", "the outputs file is not JSON", 2, "JSON", outputs_not_json),
    InputCase("outputs", "an output is missing", 2, "project_name", outputs_without_project),
    InputCase("outputs", "outputs from a newer toolkit", 2, "schema", outputs_newer_schema),
    InputCase("outputs", "the hub is outside serverless fine-tuning regions", 2, "westeurope",
              outputs_wrong_region),
    InputCase("outputs", "the project named does not exist", 4, "proj-elsewhere", outputs_unknown_project),
    InputCase("usage", "a misspelt command", 2, "sumbit", unknown_command),
    InputCase("usage", "serverless fine-tuning of a retired model", 2, "retired", retired_serverless),
    InputCase("usage", "an unknown model", 2, "unknown model", unknown_model),
    InputCase("usage", "--concurrency 0", 2, "--concurrency", concurrency_zero),
    InputCase("usage", "both --job and --model", 2, "--job", job_and_model),
    InputCase("usage", "an endpoint that does not exist", 4, "no-such-endpoint", unknown_endpoint),
    InputCase("usage", "content-safety set without --enabled/--disabled", 2, "--enabled",
              safety_without_choice),
)  # fmt: skip


def paths(bench: Bench) -> dict[str, str]:
    """Run-specific text in messages, and what the table shows instead."""
    return {str(bench.workdir): "<dir>", str(Path.home()): "~"}
