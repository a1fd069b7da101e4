"""`foundry-ops data ...` through Click: exit codes and exact output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ops.cli import cli

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "data"


@pytest.fixture()
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("valid.jsonl", "mixed.jsonl", "duplicate.jsonl"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FOUNDRY_PRICE_PER_1K_TOKENS", raising=False)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_validate_clean_file_table(workdir: Path) -> None:
    code, out, _ = run("data", "validate", "valid.jsonl")
    assert code == 0
    assert out == (
        "file      valid.jsonl (3.3 KB, 12 lines)\n"
        "model     Phi-4-mini-instruct\n"
        "examples  12 (12 valid)\n"
        "messages  per valid example min 3, p50 3, max 3; 12 with a system message\n"
        "tokens    564 total; per example min 47, p50 47, p95 47, max 47 (context 131,072)\n"
        "counted   exact: o200k_base with the phi-4-mini chat template's tokens\n"
        "estimate  564 tokens x 1 epoch = 564 billed (no price given: --price-per-1k-tokens or "
        "FOUNDRY_PRICE_PER_1K_TOKENS)\n"
        "result    OK: 0 errors, 0 warnings\n"
    )


def test_validate_bad_file_table_lists_issues_and_exits_1(workdir: Path) -> None:
    code, out, err = run("data", "validate", "mixed.jsonl", "--model", "Phi-4", "--max-listed", "1")
    assert code == 1
    head, issues, unlisted = out.split("\n\n")
    assert head.splitlines()[-2:] == [
        "excluded  4 examples with errors (not_utf8, invalid_json, unknown_role, empty_content, no_assistant, "
        "consecutive_assistant), not billed; `foundry-ops data fix` drops them",
        "result    FAILED: 6 errors, 5 warnings",
    ]
    assert issues.splitlines() == [
        "LINE  SEVERITY  CATEGORY               MESSAGE",
        "2     warning   blank_line             blank line (skipped)",
        "3     error     invalid_json           not valid JSON: Expecting value at column 15",
        "4     error     consecutive_assistant  messages 3 and 4 are both assistant messages",
        "5     warning   duplicate              same example as line 1",
        "6     warning   no_system              no system message",
        "6     warning   short_answer           assistant message 2 is whitespace only",
        "7     error     not_utf8               not UTF-8: byte 0xff at column 1",
        "9     error     unknown_role           message 1 has role 'bot' (use system, user or assistant)",
        "9     error     empty_content          message 2 (user) has empty content",
        "9     error     no_assistant           no assistant message (nothing to learn from)",
    ]
    assert unlisted == "not listed (1 per category shown): 1 more no_system\n"
    assert err == (
        "Error: mixed.jsonl has 6 errors in 4 of 12 examples (1 invalid_json, 1 consecutive_assistant, "
        "1 not_utf8, 1 unknown_role, 1 empty_content, 1 no_assistant) (hint: `foundry-ops data fix "
        "mixed.jsonl --out CLEAN` writes a copy without the invalid examples)\n"
    )


def test_validate_json_shape(workdir: Path) -> None:
    code, out, _ = run("data", "validate", "mixed.jsonl", "--output", "json")
    assert code == 1
    data = json.loads(out)
    assert set(data) >= {"ok", "file", "examples", "errors", "warnings", "tokens", "estimate"}
    assert data["ok"] is False
    assert data["file"] == "mixed.jsonl"
    assert data["examples"] == 12
    assert data["errors"][0] == {
        "line": 3,
        "category": "invalid_json",
        "message": "not valid JSON: Expecting value at column 15",
    }
    assert all(set(i) == {"line", "category", "message"} for i in data["errors"] + data["warnings"])
    assert data["tokens"] == {
        "tokenizer": "o200k_base",
        "exact": True,
        "method": "exact: o200k_base with the phi-4-mini chat template's tokens",
        "context_length": 131072,
        "total": 337,
        "per_example": {"min": 8, "p50": 47, "p95": 47, "max": 47},
    }
    assert data["estimate"]["billed_tokens"] == 337
    assert data["estimate"]["cost"] is None
    assert data["estimate"]["excluded"] == {
        "examples": 4,
        "reason": "examples with errors (not_utf8, invalid_json, unknown_role, empty_content, no_assistant, "
        "consecutive_assistant) are not billed; `foundry-ops data fix` drops them",
    }
    assert data["profile"] == {
        "messages_per_example": {"min": 2, "p50": 3, "max": 3},
        "with_system_message": 7,
    }


def test_validate_structure_only_json(workdir: Path) -> None:
    code, out, _ = run("data", "validate", "valid.jsonl", "--structure-only", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["ok"] is True and data["tokens"] is None and data["estimate"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "validate", "missing.jsonl"], "Error: missing.jsonl: no such file\n"),
        (["data", "validate", "."], "Error: .: not a regular file\n"),
        (
            ["data", "validate", "valid.jsonl", "--model", "GPT-9"],
            "Error: unknown model 'GPT-9'; known models: Phi-4-mini-instruct, Phi-4, Phi-4-multimodal-instruct, "
            "Phi-3-mini-4k-instruct, Phi-3-mini-128k-instruct, Phi-3-medium-4k-instruct, Phi-3-medium-128k-instruct, "
            "Phi-3.5-mini-instruct, Phi-3.5-MoE-instruct\n",
        ),
        (
            ["data", "validate", "valid.jsonl", "--workers", "0"],
            "Error: --workers must be at least 1, got 0\n",
        ),
        (
            ["data", "validate", "valid.jsonl", "--max-listed", "0"],
            "Error: --max-listed must be at least 1, got 0\n",
        ),
        (
            ["data", "estimate", "valid.jsonl", "-e", "1", "--workers", "0"],
            "Error: --workers must be at least 1, got 0\n",
        ),
        (
            ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "out", "--workers", "0"],
            "Error: --workers must be at least 1, got 0\n",
        ),
        (
            ["data", "fix", "valid.jsonl", "--out", "clean.jsonl", "--workers", "0"],
            "Error: --workers must be at least 1, got 0\n",
        ),
        (
            ["data", "overlap", "valid.jsonl", "valid.jsonl", "--max-listed", "0"],
            "Error: --max-listed must be at least 1, got 0\n",
        ),
        (["data", "estimate", "valid.jsonl", "--epochs", "0"], "Error: --epochs must be at least 1, got 0\n"),
        (
            ["data", "estimate", "valid.jsonl", "--epochs", "51"],
            "Error: --epochs must be between 1 and 50, got 51\n",
        ),
        (
            ["data", "estimate", "valid.jsonl", "--epochs", "1", "--price-per-1k-tokens", "-1"],
            "Error: --price-per-1k-tokens must be a non-negative number, got -1.0\n",
        ),
        (
            ["data", "split", "valid.jsonl", "-f", "1.5", "-d", "out"],
            "Error: --validation-fraction must be between 0 and 1 (exclusive), got 1.5\n",
        ),
        (
            ["data", "split", "valid.jsonl", "-f", "0.2", "-d", "valid.jsonl"],
            "Error: valid.jsonl: exists and is not a directory\n",
        ),
        (
            ["data", "fix", "valid.jsonl", "--out", "valid.jsonl"],
            "Error: valid.jsonl: is the input file; write the cleaned copy to another --out\n",
        ),
        (
            ["data", "fix", "valid.jsonl", "--out", "./valid.jsonl", "--force"],
            "Error: valid.jsonl: is the input file; write the cleaned copy to another --out\n",
        ),
        (
            ["data", "fix", "valid.jsonl", "--out", "mixed.jsonl"],
            "Error: mixed.jsonl: already exists; pass --force to replace it\n",
        ),
        (
            ["data", "fix", "valid.jsonl", "--out", "out/clean.jsonl"],
            "Error: out/clean.jsonl: cannot write: no such directory out\n",
        ),
        (["data", "fix", "valid.jsonl", "--out", "."], "Error: .: is a directory; --out takes a file name\n"),
        (
            ["data", "fix", "valid.jsonl", "--out", "c.jsonl", "-m", "Phi-9"],
            "Error: unknown model 'Phi-9' (did you mean 'Phi-4'?); known models: Phi-4-mini-instruct, Phi-4, "
            "Phi-4-multimodal-instruct, "
            "Phi-3-mini-4k-instruct, Phi-3-mini-128k-instruct, Phi-3-medium-4k-instruct, Phi-3-medium-128k-instruct, "
            "Phi-3.5-mini-instruct, Phi-3.5-MoE-instruct\n",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_2(workdir: Path, args: list[str], message: str) -> None:
    before = {p.name: p.read_bytes() for p in workdir.iterdir()}
    code, out, err = run(*args)
    assert code == 2
    assert out == ""
    assert err == message
    assert {p.name: p.read_bytes() for p in workdir.iterdir()} == before  # nothing was changed


def test_bad_price_in_environment_is_a_usage_error(workdir: Path) -> None:
    code, _, err = run(
        "data", "estimate", "valid.jsonl", "--epochs", "2", env={"FOUNDRY_PRICE_PER_1K_TOKENS": "cheap"}
    )
    assert code == 2
    assert err == "Error: FOUNDRY_PRICE_PER_1K_TOKENS: 'cheap' is not a number\n"


def test_estimate_without_price_shows_no_cost(workdir: Path) -> None:
    code, out, _ = run("data", "estimate", "valid.jsonl", "--epochs", "3", "-o", "json")
    assert code == 0
    data = json.loads(out)
    assert data["tokens_per_epoch"] == 564
    assert data["billed_tokens"] == 564 * 3
    assert data["price_per_1k_tokens"] is None and data["cost"] is None
    assert data["excluded"] == {"examples": 0, "reason": None}


def test_estimate_with_price_option_and_env(workdir: Path) -> None:
    code, out, _ = run("data", "estimate", "valid.jsonl", "--epochs", "3", "--price-per-1k-tokens", "0.5")
    assert code == 0
    assert out == (
        "file      valid.jsonl\n"
        "model     Phi-4-mini-instruct\n"
        "examples  12 valid\n"
        "tokens    exact: o200k_base with the phi-4-mini chat template's tokens\n"
        "estimate  564 tokens x 3 epochs = 1,692 billed; at 0.5 per 1K tokens: 0.846\n"
    )
    code, out, _ = run(
        "data", "estimate", "valid.jsonl", "-e", "2", "-o", "json", env={"FOUNDRY_PRICE_PER_1K_TOKENS": "2"}
    )
    data = json.loads(out)
    assert (data["price_per_1k_tokens"], data["price_source"], data["cost"]) == (
        2.0,
        "FOUNDRY_PRICE_PER_1K_TOKENS",
        round(564 * 2 / 1000 * 2, 6),
    )


def test_estimate_on_bad_file_says_so_and_exits_1(workdir: Path) -> None:
    code, out, err = run("data", "estimate", "mixed.jsonl", "--epochs", "1", "-o", "json")
    assert code == 1
    data = json.loads(out)
    assert (data["errors"], data["examples"], data["excluded"]["examples"]) == (6, 8, 4)
    assert err == (
        "Error: mixed.jsonl has 6 errors in 4 of 12 examples (1 invalid_json, 1 consecutive_assistant, "
        "1 not_utf8, 1 unknown_role, 1 empty_content, 1 no_assistant); the estimate counts its 8 valid "
        "example(s) only (hint: `foundry-ops data fix mixed.jsonl --out CLEAN` writes a copy without the "
        "invalid examples)\n"
    )


def test_split_writes_both_files_and_refuses_to_overwrite(workdir: Path) -> None:
    code, out, _ = run("data", "split", "duplicate.jsonl", "-f", "0.25", "-s", "7", "-d", "out")
    assert code == 0
    train = (workdir / "out" / "train.jsonl").read_text().splitlines()
    validation = (workdir / "out" / "validation.jsonl").read_text().splitlines()
    source = (workdir / "duplicate.jsonl").read_text().splitlines()
    assert sorted(train + validation) == sorted(source)
    assert not set(train) & set(validation)  # the two duplicated examples stay on one side
    lines = out.splitlines()
    assert lines[0] == f"train       out/train.jsonl  {len(train)} examples"
    assert lines[2] == "seed        7"

    before = (workdir / "out" / "train.jsonl").read_bytes()
    code, out, err = run("data", "split", "duplicate.jsonl", "-f", "0.5", "-d", "out")
    assert code == 2
    assert err == "Error: out/train.jsonl, out/validation.jsonl already exist(s); pass --force to overwrite\n"
    assert (workdir / "out" / "train.jsonl").read_bytes() == before

    code, out, _ = run("data", "split", "duplicate.jsonl", "-f", "0.5", "-d", "out", "--force", "-o", "json")
    assert code == 0
    assert json.loads(out)["requested_fraction"] == 0.5
    assert sorted(p.name for p in (workdir / "out").iterdir()) == ["train.jsonl", "validation.jsonl"]


def test_a_split_leaving_too_few_to_train_on_says_so(workdir: Path) -> None:
    code, _, err = run("data", "split", "valid.jsonl", "-f", "0.5", "-d", "small")
    assert code == 0
    kept = len((workdir / "small" / "train.jsonl").read_text().splitlines())
    assert kept < 10
    assert err == (
        f"warning: small/train.jsonl holds {kept} example(s); fine-tuning needs at least 10 "
        "(a smaller --validation-fraction keeps more)\n"
    )


def test_a_small_validation_file_from_split_validates_with_for_validation(workdir: Path) -> None:
    """`data split` writes a validation file smaller than training's minimum of 10; `--for validation`
    checks it by validation data's rules (one example will do) in validate, fix and the JSON."""
    assert run("data", "split", "valid.jsonl", "-f", "0.25", "-d", "out")[0] == 0
    held_out = len((workdir / "out" / "validation.jsonl").read_text().splitlines())
    assert 0 < held_out < 10

    code, _, err = run("data", "validate", "out/validation.jsonl")
    assert code == 1
    assert err == (
        "Error: out/validation.jsonl has 1 error (1 too_few_examples) (hint: add examples; for validation "
        "data, pass --for validation: it needs only one)\n"
    )

    code, out, err = run(
        "data", "validate", "out/validation.jsonl", "--for", "validation", "--structure-only"
    )
    assert (code, err) == (0, "")
    assert out.splitlines()[:4] == [
        f"file        out/validation.jsonl ({(workdir / 'out' / 'validation.jsonl').stat().st_size / 1024:.1f} KB, "
        f"{held_out} lines)",
        "model       Phi-4-mini-instruct",
        f"examples    {held_out} ({held_out} valid)",
        "checked as  validation data",
    ]
    as_json = json.loads(
        run("data", "validate", "out/validation.jsonl", "--for", "validation", "-o", "json")[1]
    )
    assert (as_json["ok"], as_json["purpose"], as_json["errors"]) == (True, "validation", [])
    assert json.loads(run("data", "validate", "valid.jsonl", "-o", "json")[1])["purpose"] == "training"

    code, _, err = run("data", "fix", "out/validation.jsonl", "--out", "v.jsonl")
    assert code == 0  # checked as training data: the minimum is said
    assert err.endswith("needs at least 10 (too_few_examples; `data validate` still reports it)\n")
    code, out, err = run(
        "data",
        "fix",
        "out/validation.jsonl",
        "--out",
        "v.jsonl",
        "--force",
        "--for",
        "validation",
        "-o",
        "json",
    )
    assert (code, err) == (0, "")
    assert (json.loads(out)["purpose"], json.loads(out)["remaining"]) == ("validation", [])


def test_a_json_array_is_told_apart_from_jsonl(workdir: Path) -> None:
    """Every line of a pretty-printed array fails as invalid JSON; the hint says what the file is instead
    of suggesting `data fix`, which would drop every line."""
    examples = [json.loads(line) for line in (workdir / "valid.jsonl").read_text().splitlines()]
    (workdir / "array.json").write_text(json.dumps(examples, indent=2), encoding="utf-8")
    code, _, err = run("data", "validate", "array.json", "--structure-only")
    assert code == 1
    assert err.endswith(
        "(hint: array.json looks like one JSON array; JSONL is one example per line: "
        "`jq -c '.[]' array.json > OUT.jsonl`)\n"
    )
    assert "data fix" not in err
    (workdir / "one line.json").write_text(json.dumps(examples), encoding="utf-8")  # not_object, one line
    code, _, err = run("data", "validate", "one line.json", "--structure-only")
    assert code == 1 and err.endswith("`jq -c '.[]' 'one line.json' > OUT.jsonl`)\n")
    (workdir / "object.json").write_text(json.dumps(examples[0], indent=2), encoding="utf-8")
    code, _, err = run("data", "validate", "object.json", "--structure-only")
    assert code == 1 and err.endswith(
        "(hint: object.json looks like one JSON object over many lines; JSONL is one example per line: "
        "`jq -c . object.json > OUT.jsonl`)\n"
    )
    code, _, err = run("data", "validate", "mixed.jsonl", "--structure-only")
    assert code == 1 and "looks like" not in err  # JSON Lines with some bad lines: the usual data fix hint


def test_empty_validation_data_is_still_refused(workdir: Path) -> None:
    (workdir / "empty.jsonl").write_text("")
    code, _, err = run("data", "validate", "empty.jsonl", "--for", "validation", "-o", "json")
    assert code == 1
    assert err == "Error: empty.jsonl has 1 error (1 too_few_examples)\n"


def test_data_commands_import_no_sdk_or_tokenizer() -> None:
    probe = (
        "import sys, ops.cli.data; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('azure', 'pulumi', 'bpe_openai', 'pulumi_azure_native')]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"


@pytest.mark.parametrize(
    "args",
    [
        ["data", "validate", "mixed.jsonl"],
        ["data", "validate", "mixed.jsonl", "--structure-only"],
        ["data", "estimate", "mixed.jsonl", "-e", "1"],
        ["data", "split", "mixed.jsonl", "-f", "0.2", "-d", "out"],
        ["data", "overlap", "mixed.jsonl", "valid.jsonl"],
    ],
    ids=["validate", "validate-structure", "estimate", "split", "overlap"],
)
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_data_with_errors_exits_1_with_one_error_line(workdir: Path, args: list[str], fmt: str) -> None:
    """core.errors.EXIT_CODES: 1 is "data has errors", in every data command and either format."""
    code, out, err = run(*args, "-o", fmt)
    assert code == 1
    assert err.startswith("Error: mixed.jsonl") and err.count("Error:") == 1 and err.endswith("\n")
    assert len(err.splitlines()) == 1
    if fmt == "json" and out:
        json.loads(out)  # stdout stays one JSON document
    assert not (workdir / "out").exists()


def test_fix_exit_codes(workdir: Path) -> None:
    """fix: 0 when the copy was written (even with changes), 1 when nothing valid is left."""
    code, _, err = run("data", "fix", "mixed.jsonl", "--out", "clean.jsonl")
    assert (code, err.count("Error:")) == (0, 0)
    (workdir / "garbage.jsonl").write_text("not json\n[]\n")
    code, _, err = run("data", "fix", "garbage.jsonl", "--out", "none.jsonl")
    assert code == 1
    assert err == (
        "Error: garbage.jsonl: no valid example left; none.jsonl was not written "
        "(hint: `foundry-ops data validate garbage.jsonl` lists the errors)\n"
    )
    assert not (workdir / "none.jsonl").exists()


def _commands() -> dict[str, click.Command]:
    from ops.cli.data import data

    ctx = click.Context(data)
    found = {name: data.get_command(ctx, name) for name in data.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def _options(command: str) -> dict[str, list[str]]:
    cmd = _commands()[command]
    return {p.name: p.opts + p.secondary_opts for p in cmd.params if p.name}


def test_options_are_spelt_the_same_everywhere() -> None:
    commands = _commands()
    seen: dict[str, set[tuple[str, ...]]] = {}
    for command in commands:
        for name, opts in _options(command).items():
            seen.setdefault(name, set()).add(tuple(sorted(opts)))
    assert seen["model"] == {("--model", "-m")}
    assert seen["workers"] == {("--workers",)}
    assert seen["max_listed"] == {("--max-listed",)}
    assert seen["force"] == {("--force",)}
    assert seen["out_file"] == {("--out",)}
    assert seen["out_dir"] == {("--out-dir", "-d")}
    assert seen["validation_fraction"] == {("--validation-fraction", "-f")}
    assert seen["seed"] == {("--seed", "-s")}
    assert {"validate", "estimate", "split"} <= {c for c in commands if "workers" in _options(c)}
    assert {"validate", "estimate", "split", "fix", "upload"} <= {
        c for c in commands if "model" in _options(c)
    }
    every = {o for c in commands for opts in _options(c).values() for o in opts}
    assert not every & {"--jobs", "-j", "--max-per-category"}


@pytest.mark.parametrize("old", [["--jobs", "2"], ["-j", "2"], ["--max-per-category", "3"]])
def test_old_option_names_are_gone(workdir: Path, old: list[str]) -> None:
    result = CliRunner().invoke(cli, ["data", "validate", "valid.jsonl", *old])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: No such option '{old[0]}'."


def test_docs_show_every_option_of_every_command() -> None:
    """docs/data.md's usage block names each command's own options as the CLI spells them."""
    commands = _commands()
    docs = (Path(__file__).resolve().parents[3] / "docs" / "data.md").read_text(encoding="utf-8")
    usage = {line.split()[2]: line for line in docs.splitlines() if line.startswith("foundry-ops data ")}
    assert set(usage) == set(commands)
    shared = {"--output", "--quiet", "--debug", "--stack", "--outputs", "--help"}
    for name, command in commands.items():
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt not in shared:
                    assert opt in usage[name], (name, opt)
    for word in ("`0`", "`1`", "`2`", "near", "excluded", "data fix", '{"messages": ['):
        assert word in docs, word
