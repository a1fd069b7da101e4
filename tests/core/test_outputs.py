import json
import os
import stat
from pathlib import Path

import pytest

from catalog.contract import OUTPUT_KEYS, OUTPUTS_SCHEMA_VERSION
from core.errors import OutputsError
from ops.outputs import StackOutputs, load_outputs_file, load_stack_outputs


def sample_outputs() -> dict[str, object]:
    data: dict[str, object] = {key: f"value-{key}" for key in OUTPUT_KEYS}
    data["outputs_schema_version"] = OUTPUTS_SCHEMA_VERSION
    data["compute_name"] = ""
    return data


def test_loads_complete_file(tmp_path: Path) -> None:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(sample_outputs()))
    outputs = load_outputs_file(path)
    assert outputs.project_name == "value-project_name"
    assert outputs.compute_name == ""
    assert set(outputs.as_dict()) == set(OUTPUT_KEYS)


def test_names_every_missing_and_empty_key(tmp_path: Path) -> None:
    data = sample_outputs()
    del data["hub_id"], data["tenant_id"]
    data["project_name"] = ""
    with pytest.raises(OutputsError) as info:
        StackOutputs.from_mapping(data, "f.json")
    assert str(info.value) == (
        "f.json: incomplete stack outputs (missing keys: tenant_id, hub_id; empty keys: project_name)"
    )


def test_rejects_other_schema_version() -> None:
    data = sample_outputs()
    data["outputs_schema_version"] = 99
    with pytest.raises(OutputsError, match="outputs_schema_version 99 is not supported"):
        StackOutputs.from_mapping(data, "x")


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(OutputsError, match="does not exist"):
        load_outputs_file(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    with pytest.raises(OutputsError, match="not valid JSON"):
        load_outputs_file(bad)
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(OutputsError, match="has no outputs"):
        load_outputs_file(empty)


def _stand_in_pulumi(tmp_path: Path, script: str) -> None:
    exe = tmp_path / "pulumi"
    exe.write_text("#!/bin/sh\n" + script)
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)


def test_reads_outputs_through_pulumi_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "out.json").write_text(json.dumps(sample_outputs()))
    _stand_in_pulumi(
        tmp_path,
        f'[ "$1 $2 $3 $4 $5 $6" = "stack output --json --show-secrets --stack dev" ] '
        f'&& cat {tmp_path}/out.json && exit 0\necho "unexpected args: $*" >&2; exit 9\n',
    )
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert load_stack_outputs("dev").hub_name == "value-hub_name"


def test_pulumi_cli_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _stand_in_pulumi(tmp_path, "echo \"error: no stack named 'qa' found\" >&2; exit 255\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(
        OutputsError, match="could not read outputs of stack 'qa': error: no stack named 'qa' found"
    ):
        load_stack_outputs("qa")


def test_missing_pulumi_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OutputsError, match="Pulumi CLI is not on PATH") as info:
        load_stack_outputs("dev")
    assert "--outputs FILE" in info.value.one_line()


def test_resource_group_id_is_built_from_the_outputs() -> None:
    outputs = StackOutputs.from_mapping(sample_outputs(), "f.json")
    assert (
        outputs.resource_group_id
        == "/subscriptions/value-subscription_id/resourceGroups/value-resource_group_name"
    )
