"""`models list`: offline catalog, and what the stack's region can do."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ops.cli import cli
from tests.emulator.state import Scenario


def test_offline_table_lists_every_model_without_outputs(monkeypatch) -> None:
    monkeypatch.delenv("FOUNDRY_OUTPUTS", raising=False)
    result = CliRunner().invoke(cli, ["models", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == [
        "MODEL",
        "SERVERLESS",
        "MANAGED",
        "CONTEXT",
        "TOKENIZER",
        "RETIRED",
    ]
    assert lines[1].split()[0] == "Phi-4-mini-instruct"
    phi3 = next(line for line in lines if line.startswith("Phi-3-mini-4k-instruct "))
    assert phi3.split() == [
        "Phi-3-mini-4k-instruct",
        "-",
        "yes",
        "4,096",
        "llama2-sentencepiece",
        "2025-08-30",
    ]


def test_json_marks_modes_in_the_stack_region(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({**Scenario().outputs(), "location": "westeurope"}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["models", "list", "--outputs", str(outputs), "-o", "json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["region"] == "westeurope"
    modes = {m["model"]: m["modes_here"] for m in data["models"]}
    assert modes["Phi-4-mini-instruct"] == ["managed-compute"]  # no serverless fine-tuning in westeurope
    assert modes["Phi-4-multimodal-instruct"] == []
    assert modes["Phi-3.5-mini-instruct"] == ["managed-compute"]


def test_region_option_marks_serverless(monkeypatch) -> None:
    monkeypatch.delenv("FOUNDRY_OUTPUTS", raising=False)
    result = CliRunner().invoke(cli, ["models", "list", "--region", "eastus2"])
    assert result.exit_code == 0
    row = next(line for line in result.output.splitlines() if line.startswith("Phi-4 "))
    assert row.rstrip().endswith("serverless, managed-compute")


def test_a_region_is_read_as_azure_spells_it_and_a_typo_is_said(monkeypatch) -> None:
    """The portal's "East US 2" is eastus2; a region with no serverless fine-tuning is said on stderr
    with the regions that have it (a typo shows against them), the table still on stdout."""
    monkeypatch.delenv("FOUNDRY_OUTPUTS", raising=False)
    spaced = CliRunner().invoke(cli, ["models", "list", "--region", "East US 2", "-o", "json"])
    assert (spaced.exit_code, spaced.stderr) == (0, "")
    assert json.loads(spaced.stdout)["region"] == "eastus2"
    typo = CliRunner().invoke(cli, ["models", "list", "--region", "eastus22", "-o", "json"])
    assert typo.exit_code == 0
    assert typo.stderr.startswith(
        "warning: eastus22 is not a serverless fine-tuning region (eastus2, eastus, "
    )
    real = CliRunner().invoke(cli, ["models", "list", "--region", "westus2", "-o", "json"])
    assert "did you mean" not in real.stderr  # a real region one letter from westus: no guessing
    blank = CliRunner().invoke(cli, ["models", "list", "--region", " "])
    assert (blank.exit_code, blank.stderr) == (2, "Error: --region is empty; give a region such as eastus2\n")
    elsewhere = CliRunner().invoke(cli, ["models", "list", "--region", "westeurope"])
    assert elsewhere.exit_code == 0
    assert elsewhere.stderr == (
        "warning: westeurope is not a serverless fine-tuning region (eastus2, eastus, northcentralus, "
        "southcentralus, westus, westus3); managed compute there depends on its GPU quota\n"
    )
    assert elsewhere.stdout.splitlines()[1].rstrip().endswith("managed-compute")


def test_models_list_makes_no_azure_import() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from click.testing import CliRunner; from ops.cli import cli; "
        "r = CliRunner().invoke(cli, ['models', 'list']); assert r.exit_code == 0; "
        "print(sorted(m for m in sys.modules if m.startswith(('azure', 'pulumi'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
