"""Run files: a valid one loads with its paths resolved; every problem is reported at once, each on its line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest

from catalog.models import CATALOG
from core.errors import EXIT_USAGE, UsageError
from ops.limits import MAX_BATCH_SIZE, MAX_EPOCHS, MAX_LEARNING_RATE
from ops.runs import schema as run_schema
from ops.runs.model import (
    Gate,
    RunData,
    RunDeploy,
    RunEval,
    RunFile,
    RunFileError,
    RunHyperparameters,
    SmokeTest,
)
from ops.runs.schema import SCHEMA_PATH, load_run_file

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "docs" / "examples" / "runs" / "support-bot.yaml"

VALID = """\
name: support-bot
model: Phi-4-mini-instruct
modelVersion: 3
stacks: [dev]
data:
  train: data/train.jsonl
  validation: data/validation.jsonl
hyperparameters: {epochs: 3, learningRate: 2e-5, batchSize: 1}
deploy: {contentSafety: false, ttl: 1d12h, name: support-bot-ep}
smoke:
  - prompt: My console won't turn on
  - {prompt: Hi, system: Be brief.}
eval:
  data: data/heldout.jsonl
  gate: {metric: token_f1, min: 0.55}
  baseline: phi-4-mini-base
  limit: 20
  onFailure: keep
force: true
"""


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository: Pulumi.yaml, the stack files, and runs/ with data files."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    data = tmp_path / "runs" / "data"
    data.mkdir(parents=True)
    for name in ("train", "validation", "heldout"):
        (data / f"{name}.jsonl").write_text('{"messages": []}\n', encoding="utf-8")
    return tmp_path


def write(repo: Path, text: str, name: str = "run.yaml") -> Path:
    path = repo / "runs" / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, **kwargs: object) -> list[str]:
    with pytest.raises(RunFileError) as caught:
        load_run_file(path, **kwargs)  # type: ignore[arg-type]
    return list(caught.value.details)


def only_problem(path: Path) -> str:
    found = problems(path)
    assert len(found) == 1, found
    return found[0]


def minimal(**extra: str) -> str:
    lines = ["name: bot", "model: Phi-4", "data:", "  train: data/train.jsonl"]
    return "\n".join(lines + [f"{k}: {v}" for k, v in extra.items()]) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Valid files
# ---------------------------------------------------------------------------------------------------------


def test_a_complete_run_file_loads_with_paths_resolved(repo: Path) -> None:
    path = write(repo, VALID)
    data = repo / "runs" / "data"
    assert load_run_file(path) == RunFile(
        name="support-bot",
        model="Phi-4-mini-instruct",
        model_version="3",
        stacks=("dev",),
        data=RunData(train=data / "train.jsonl", validation=data / "validation.jsonl"),
        hyperparameters=RunHyperparameters(epochs=3, learning_rate=2e-5, batch_size=1),
        deploy=RunDeploy(content_safety=False, ttl="1d12h", name="support-bot-ep"),
        smoke=(SmokeTest(prompt="My console won't turn on"), SmokeTest(prompt="Hi", system="Be brief.")),
        eval=RunEval(
            data=data / "heldout.jsonl",
            gate=Gate(metric="token_f1", min=0.55),
            baseline="phi-4-mini-base",
            limit=20,
            on_failure="keep",
        ),
        force=True,
        source=path.resolve(),
    )


def test_a_minimal_run_file_takes_the_defaults(repo: Path) -> None:
    run = load_run_file(write(repo, minimal()))
    assert run.model == "Phi-4"
    assert run.model_version == "latest"
    assert run.stacks is None  # every stack
    assert run.data == RunData(train=(repo / "runs" / "data" / "train.jsonl").resolve())
    assert run.hyperparameters == RunHyperparameters()
    assert run.deploy is None and run.eval is None and run.smoke == () and run.force is False
    assert run.target_stacks(["dev", "prod"]) == ("dev", "prod")
    assert run.data_files() == (run.data.train,)


def test_defaults_inside_optional_sections(repo: Path) -> None:
    text = minimal(deploy="{}", eval="{data: data/heldout.jsonl}")
    text = text.replace("  train: data/train.jsonl", "  train: data/train.jsonl\n  validationFraction: 0.1")
    run = load_run_file(write(repo, text))
    assert run.deploy == RunDeploy(content_safety=True, ttl=None, name=None)
    assert run.eval is not None and run.eval.on_failure == "delete" and run.eval.gate is None
    assert run.data.validation is None and run.data.validation_fraction == 0.1
    assert run.target_stacks(["dev", "prod"]) == ("dev", "prod")


def test_model_names_are_matched_case_insensitively_and_stored_as_the_catalog_spells_them(repo: Path) -> None:
    run = load_run_file(write(repo, minimal().replace("model: Phi-4", "model: phi-4-MINI-instruct")))
    assert run.model == "Phi-4-mini-instruct"


def test_paths_are_relative_to_the_run_file_not_the_working_directory(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write(repo, minimal())
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    assert load_run_file(path).data.train == (repo / "runs" / "data" / "train.jsonl").resolve()


def test_explicit_stacks_keep_the_repository_order(repo: Path) -> None:
    run = load_run_file(write(repo, minimal(stacks="[prod, dev]")))
    assert run.stacks == ("prod", "dev")
    assert run.target_stacks(["dev", "prod", "staging"]) == ("dev", "prod")


def test_the_stack_directory_can_be_given(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("stacks")
    (other / "Pulumi.qa.yaml").write_text("config: {}\n", encoding="utf-8")
    path = write(repo, minimal(stacks="[qa]"))
    assert load_run_file(path, stacks_dir=other).stacks == ("qa",)
    assert "no stack 'qa'" in only_problem(path)


def test_known_stack_names_can_be_given_then_no_stack_file_is_read(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write(repo, minimal(stacks="[qa]"))
    nowhere = tmp_path_factory.mktemp("none") / "stacks"  # no such directory: it is never read
    assert load_run_file(path, stacks_dir=nowhere, stacks=["qa"]).stacks == ("qa",)
    assert problems(path, stacks=["dev"]) == [f"{path}:5: stacks[0]: no stack 'qa'; stacks: dev"]
    assert problems(path, stacks_dir=nowhere, stacks=["dev"]) == [
        f"{path}:5: stacks[0]: no stack 'qa'; stacks: dev ({nowhere}/Pulumi.<stack>.yaml)"
    ]


def test_the_record_keeps_the_line_of_its_name(repo: Path) -> None:
    assert load_run_file(write(repo, minimal())).name_line == 1
    run = load_run_file(write(repo, "# a run\n\nmodel: Phi-4\nname: bot\ndata: {train: data/train.jsonl}\n"))
    assert run.name_line == 4


def test_yaml_1_1_exponents_without_a_dot_are_numbers(repo: Path) -> None:
    run = load_run_file(write(repo, minimal(hyperparameters="{learningRate: 1e-5}")))
    assert run.hyperparameters.learning_rate == 1e-5


def test_the_example_in_the_docs_loads() -> None:
    run = load_run_file(EXAMPLE)
    assert run.name == "support-bot"
    assert run.model in CATALOG
    for file in run.data_files():
        assert file.is_file() and file.is_relative_to(EXAMPLE.parent)
    assert run.deploy is not None and run.deploy.ttl
    assert run.smoke and run.eval is not None and run.eval.gate is not None


# ---------------------------------------------------------------------------------------------------------
# The schema
# ---------------------------------------------------------------------------------------------------------


def test_the_schema_is_valid_json_schema_2020_12() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema == run_schema.load_schema()


def test_every_object_of_the_schema_refuses_unknown_keys() -> None:
    def objects(node: object, where: str) -> list[tuple[str, dict[str, object]]]:
        found: list[tuple[str, dict[str, object]]] = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append((where, node))
            for key, value in node.items():
                found += objects(value, f"{where}/{key}")
        return found

    found = objects(run_schema.load_schema(), "")
    assert len(found) >= 7
    for where, node in found:
        assert node.get("additionalProperties") is False, where


@pytest.mark.parametrize(
    ("name", "valid"),
    [("support-bot", True), ("a1", True), ("x" * 40, True), ("a", False), ("x" * 41, False),
     ("Support", False), ("1bot", False), ("bot-", False), ("bot_1", False), ("bot.1", False)],
)  # fmt: skip
def test_run_names_fit_azure_resource_names(name: str, valid: bool) -> None:
    pattern = run_schema.load_schema()["properties"]["name"]["pattern"]
    assert bool(re.search(pattern, name)) is valid


@pytest.mark.parametrize(
    ("ttl", "valid"),
    [("8h", True), ("2d", True), ("1d12h", True), ("90m", True), ("1d2h3m", True),
     ("45s", True), ("1h30s", True),
     ("", False), ("h", False), ("8", False), ("8 h", False), ("2h1d", False), ("8x", False), ("8s1m", False)],
)  # fmt: skip
def test_ttl_pattern(ttl: str, valid: bool) -> None:
    pattern = run_schema.load_schema()["properties"]["deploy"]["properties"]["ttl"]["pattern"]
    assert bool(re.search(pattern, ttl)) is valid


# ---------------------------------------------------------------------------------------------------------
# Problems: each on its line, all at once
# ---------------------------------------------------------------------------------------------------------


def test_the_error_is_a_usage_error_with_one_detail_line_per_problem(repo: Path) -> None:
    path = write(repo, minimal(force="maybe"))
    with pytest.raises(RunFileError) as caught:
        load_run_file(path)
    error = caught.value
    assert isinstance(error, UsageError) and error.exit_code == EXIT_USAGE
    assert str(error) == f"{path}: 1 problem in the run file"
    assert error.details == (f"{path}:5: force: expected true or false, got the string 'maybe'",)
    assert [(p.line, p.message) for p in error.problems] == [(5, error.details[0].split(":5: ", 1)[1])]


def test_several_problems_are_reported_together_in_line_order(repo: Path) -> None:
    path = write(
        repo,
        "name: Bot_1\n"  # 1
        "model: phi-5\n"  # 2
        "data:\n"  # 3
        "  train: missing.jsonl\n"  # 4
        "hyperparameters:\n"  # 5
        "  epoch: 3\n"  # 6
        "  batchSize: 1000\n"  # 7
        "eval: {data: data/heldout.jsonl, gate: {metric: f1, min: 0.5}}\n",  # 8
    )
    with pytest.raises(RunFileError) as caught:
        load_run_file(path)
    assert str(caught.value) == f"{path}: 6 problems in the run file"
    lines = [int(d.split(":")[1]) for d in caught.value.details]
    assert lines == [1, 2, 4, 6, 7, 8]
    assert all(d.startswith(f"{path}:") for d in caught.value.details)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown keys, with a suggestion
        (minimal(nmae="x"), ":5: unknown key 'nmae' (did you mean 'name'?)"),
        (minimal(hyperparameters="\n  epoch: 3"), ":6: unknown key 'epoch' in hyperparameters (did you mean 'epochs'?)"),
        (minimal(hyperparameters="{learning_rate: 0.1}"), ":5: unknown key 'learning_rate' in hyperparameters (did you mean 'learningRate'?)"),
        (minimal(zzz="1"), ":5: unknown key 'zzz' (known keys: name, model, modelVersion, stacks, data, "),
        (minimal(deploy="{content_safety: true}"), ":5: unknown key 'content_safety' in deploy (did you mean 'contentSafety'?)"),
        (minimal(smoke="\n  - {prompt: hi, sytem: x}"), ":6: unknown key 'sytem' in smoke[0] (did you mean 'system'?)"),
        # required keys
        ("name: bot\nmodel: Phi-4\n", ":1: missing required key 'data'"),
        ("name: bot\nmodel: Phi-4\ndata:\n  validation: data/validation.jsonl\n", ":3: missing required key 'train' in data"),
        (minimal(smoke="\n  - system: x"), ":6: missing required key 'prompt' in smoke[0]"),
        (minimal(eval="\n  gate: {metric: token_f1, min: 0.5}"), ":5: missing required key 'data' in eval"),
        # types, with how YAML read the value
        (minimal(hyperparameters="{epochs: three}"), ":5: hyperparameters.epochs: expected a whole number, got the string 'three'"),
        (minimal(hyperparameters="{epochs: '3'}"), ":5: hyperparameters.epochs: expected a whole number, got the string '3'; remove the quotes"),
        (minimal(hyperparameters="{epochs: 2.5}"), ":5: hyperparameters.epochs: expected a whole number, got a number (2.5)"),
        (minimal(hyperparameters="[3]"), ":5: hyperparameters: expected a mapping, got a list"),
        (minimal(deploy="{contentSafety: 'true'}"), ":5: deploy.contentSafety: expected true or false, got the string 'true'; remove the quotes"),
        (minimal(smoke="\n  - {prompt: yes}"), ':6: smoke[0].prompt: expected a string, got yes, which YAML reads as a boolean (true); write "yes" in quotes'),
        (minimal(smoke="{prompt: hi}"), ":5: smoke: expected a list, got a mapping"),
        (minimal(deploy=""), ":5: deploy: expected a mapping, got nothing (null)"),
        # ranges
        (minimal(hyperparameters="{epochs: 0}"), ":5: hyperparameters.epochs: 0 is below the minimum 1"),
        (minimal(hyperparameters="{epochs: 51}"), ":5: hyperparameters.epochs: 51 is above the maximum 50"),
        (minimal(hyperparameters="{batchSize: 257}"), ":5: hyperparameters.batchSize: 257 is above the maximum 256"),
        (minimal(hyperparameters="{learningRate: 0}"), ":5: hyperparameters.learningRate: 0 must be greater than 0"),
        (minimal(hyperparameters="{learningRate: -1.0e-5}"), ":5: hyperparameters.learningRate: -1e-05 must be greater than 0"),
        (minimal(eval="{data: data/heldout.jsonl, gate: {metric: token_f1, min: 1.5}}"), ":5: eval.gate.min: 1.5 is above the maximum 1"),
        (minimal(eval="{data: data/heldout.jsonl, limit: 0}"), ":5: eval.limit: 0 is below the minimum 1"),
        (minimal(modelVersion="0"), ":5: modelVersion: 0 is below the minimum 1"),
        # enums, patterns, lists
        (minimal(eval="{data: data/heldout.jsonl, gate: {metric: f1, min: 0.5}}"), ":5: eval.gate.metric: 'f1' is not one of exact_match, token_f1 (did you mean 'token_f1'?)"),
        (minimal(eval="{data: data/heldout.jsonl, onFailure: destroy}"), ":5: eval.onFailure: 'destroy' is not one of delete, keep"),
        ("name: Support_Bot\nmodel: Phi-4\ndata: {train: data/train.jsonl}\n", ":1: name: 'Support_Bot' is not valid: 2 to 40 lower-case letters"),
        (minimal(deploy="{ttl: 8 hours}"), ":5: deploy.ttl: '8 hours' is not valid: delete the endpoint this long after it is deployed (`deploy reap`): like 8h, 2d, 1d12h, 90m or 45s"),
        (minimal(deploy="{ttl: 0h}"), ":5: deploy.ttl: '0h' must be longer than zero"),
        (minimal(deploy="{ttl: 8}"), ":5: deploy.ttl: expected a string, got 8, a number with no unit; write a duration such as 8h (or 2d, 90m)"),
        (minimal(deploy="{ttl: 1.5}"), ':5: deploy.ttl: expected a string, got 1.5, which YAML reads as a number (1.5); write "1.5" in quotes'),
        (minimal(deploy="{name: x}"), ":5: deploy.name: 'x' is not valid: 3 to 32 letters"),
        (minimal(modelVersion="v2"), ":5: modelVersion: 'v2' is not valid: the base model's registry version"),
        (minimal(stacks="[]"), ":5: stacks: must not be an empty list; leave `stacks` out to mean every stack"),
        (minimal(stacks="\n  - dev\n  - prod\n  - dev"), ":8: stacks: 'dev' is listed more than once"),
        (minimal(smoke="\n  - prompt: ''"), ":6: smoke[0].prompt: must not be empty"),
        # mutually exclusive keys: the line of the second
        ("name: bot\nmodel: Phi-4\ndata:\n  train: data/train.jsonl\n  validation: data/validation.jsonl\n  validationFraction: 0.1\n",
         ":6: data: `validation` and `validationFraction` exclude each other; give only one"),
        ("name: bot\nmodel: Phi-4\ndata: {train: data/train.jsonl, validationFraction: 0.6}\n", ":3: data.validationFraction: 0.6 is above the maximum 0.5"),
        ("name: bot\nmodel: Phi-4\ndata: {train: data/train.jsonl, validationFraction: 0}\n", ":3: data.validationFraction: 0 must be greater than 0"),
    ],
)  # fmt: skip
def test_each_kind_of_problem_names_its_line(repo: Path, text: str, expected: str) -> None:
    path = write(repo, text)
    found = only_problem(path)
    assert found.startswith(f"{path}{expected}"), found


def test_a_learning_rate_above_the_maximum_needs_force_and_is_reported_on_its_line(repo: Path) -> None:
    high = MAX_LEARNING_RATE * 10
    path = write(repo, minimal(hyperparameters=f"\n  epochs: 2\n  learningRate: {high}"))
    assert only_problem(path).startswith(
        f"{path}:7: hyperparameters.learningRate: {high:g} is above the maximum {MAX_LEARNING_RATE:g} "
        "without `force: true`"
    )
    assert load_run_file(write(repo, minimal(hyperparameters=f"{{learningRate: {MAX_LEARNING_RATE}}}")))
    forced = load_run_file(write(repo, minimal(hyperparameters=f"{{learningRate: {high}}}", force="true")))
    assert forced.hyperparameters.learning_rate == high and forced.force
    # a `force` the schema refuses is its own problem, not a second one on the rate
    found = problems(write(repo, minimal(hyperparameters=f"{{learningRate: {high}}}", force="yes please")))
    assert len(found) == 1 and ": force: expected true or false" in found[0]


def test_the_schema_bounds_are_those_of_finetune_submit() -> None:
    """runs/schema.json is static JSON (editors read it too): its numbers must be ops.limits' and the CLI's."""
    from ops.cli.finetune import submit

    properties = run_schema.load_schema()["properties"]
    hyper = properties["hyperparameters"]["properties"]
    assert hyper["epochs"]["maximum"] == MAX_EPOCHS
    assert hyper["batchSize"]["maximum"] == MAX_BATCH_SIZE
    assert f"above {MAX_LEARNING_RATE:g} needs `force: true`" in hyper["learningRate"]["description"]
    assert properties["force"]["description"] == f"allow a learning rate above {MAX_LEARNING_RATE:g}"
    fraction = properties["data"]["properties"]["validationFraction"]
    (option,) = [p for p in submit.params if p.name == "validation_fraction"]
    assert isinstance(option.type, click.FloatRange)
    assert (option.type.min, option.type.max) == (fraction["exclusiveMinimum"], fraction["maximum"])
    assert option.type.min_open and not option.type.max_open
    readme = (ROOT / "runs" / "README.md").read_text(encoding="utf-8")
    assert f"| `hyperparameters.epochs` | 1–{MAX_EPOCHS};" in readme
    assert f"| `hyperparameters.batchSize` | 1–{MAX_BATCH_SIZE} |" in readme
    assert readme.count(f"above {MAX_LEARNING_RATE:g}") == 2  # learningRate and force


def test_unknown_model_names_the_known_ones(repo: Path) -> None:
    found = only_problem(write(repo, minimal().replace("model: Phi-4", "model: Phi-4-mini")))
    assert (
        ":2: model: 'Phi-4-mini' is not in the model catalog (did you mean 'Phi-4-mini-instruct'?)" in found
    )
    assert found.endswith(f"known models: {', '.join(CATALOG)}")


def test_data_files_must_exist_and_be_files(repo: Path) -> None:
    path = write(
        repo,
        "name: bot\nmodel: Phi-4\ndata:\n  train: nope.jsonl\n  validation: data\neval: {data: ../runs/data/x.jsonl}\n",
    )
    runs = (repo / "runs").resolve()
    assert problems(path) == [
        f"{path}:4: data.train: no such file 'nope.jsonl' (looked for {runs / 'nope.jsonl'})",
        f"{path}:5: data.validation: 'data' is not a file ({runs / 'data'})",
        f"{path}:6: eval.data: no such file '../runs/data/x.jsonl' (looked for {runs / 'data' / 'x.jsonl'})",
    ]


def test_held_out_data_must_not_be_the_training_file(repo: Path) -> None:
    path = write(
        repo,
        "name: bot\nmodel: Phi-4\ndata:\n  train: data/train.jsonl\n  validation: ./data/train.jsonl\n"
        "eval:\n  data: data/../data/train.jsonl\n",
    )
    assert problems(path) == [
        f"{path}:5: data.validation: the same file as data.train; validation data must be held out from training",
        f"{path}:7: eval.data: the same file as data.train; evaluation data must be held out from training",
    ]


def test_unknown_stacks_are_reported_on_their_own_line_with_the_known_ones(repo: Path) -> None:
    path = write(repo, minimal(stacks="\n  - dev\n  - prdo\n  - Bad Name"))
    stacks = (repo / "stacks").resolve()
    assert problems(path) == [
        f"{path}:7: stacks[1]: no stack 'prdo' (did you mean 'prod'?); stacks: dev, prod ({stacks}/Pulumi.<stack>.yaml)",
        f"{path}:8: stacks[2]: 'Bad Name' is not valid: a stack name: letters, digits, hyphens, underscores and periods",
    ]


def test_stacks_outside_a_repository_cannot_be_checked(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text("{}\n", encoding="utf-8")
    path = tmp_path / "run.yaml"
    path.write_text("name: bot\nmodel: Phi-4\ndata: {train: train.jsonl}\nstacks: [dev]\n", encoding="utf-8")
    assert run_schema.find_root(tmp_path) is None, (
        "the temporary directory must not be inside a Pulumi project"
    )
    found = only_problem(path)
    assert found.startswith(
        f"{path}:4: stacks: cannot check them: no Pulumi.yaml in {tmp_path.resolve()} or above"
    )
    path.write_text("name: bot\nmodel: Phi-4\ndata: {train: train.jsonl}\n", encoding="utf-8")
    assert load_run_file(path).stacks is None  # without `stacks:` nothing needs the repository


def test_a_broken_stack_directory_is_one_problem_on_the_stacks_line(repo: Path) -> None:
    (repo / "stacks" / "Pulumi.dev.yaml").write_text("- not a mapping\n", encoding="utf-8")
    found = only_problem(write(repo, minimal(stacks="[dev]")))
    assert ":5: stacks: cannot check them: " in found and "must be a YAML mapping" in found


def test_the_root_is_the_nearest_parent_with_pulumi_yaml(repo: Path) -> None:
    nested = repo / "runs" / "deep" / "er"
    nested.mkdir(parents=True)
    assert run_schema.find_root(nested) == repo.resolve()


# ---------------------------------------------------------------------------------------------------------
# Files that are not run files at all
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", ":1: the run file is empty; it needs at least `name`, `model` and `data: {train: ...}`"),
        (b"# just a comment\n\n", ":1: the run file is empty"),
        (b"- name: bot\n", ":1: a run file is a mapping of keys (name, model, data, ...), not a list"),
        (
            b"\n\njust text\n",
            ":3: a run file is a mapping of keys (name, model, data, ...), not the string 'just text'",
        ),
        (b"name: bot\nmodel: [Phi-4\ndata: x\n", ":3: not valid YAML: "),
        (b"name: bot\n  model: Phi-4\n", ":2: not valid YAML: mapping values are not allowed here"),
        (
            b"name: a\n---\nname: b\n",
            ":2: not valid YAML: expected a single document in the stream but found another document",
        ),
        (b"name: !secret x\n", ":1: not valid YAML: could not determine a constructor for the tag '!secret'"),
        (b"name: bot\nmodel: \xff\n", ":2: not UTF-8 text (byte 0xff)"),
    ],
)
def test_not_a_run_file(repo: Path, content: bytes, expected: str) -> None:
    path = repo / "runs" / "run.yaml"
    path.write_bytes(content)
    found = only_problem(path)
    assert found.startswith(f"{path}{expected}"), found


def test_duplicate_keys_name_both_lines(repo: Path) -> None:
    path = write(repo, minimal(hyperparameters="\n  epochs: 3\n  batchSize: 1\n  epochs: 4", name="bot-2"))
    assert problems(path) == [
        f"{path}:8: duplicate key 'epochs' (lines 6 and 8); YAML would keep only the last",
        f"{path}:9: duplicate key 'name' (lines 1 and 9); YAML would keep only the last",
    ]


def test_merge_keys_are_not_duplicates(repo: Path) -> None:
    text = minimal() + "hyperparameters:\n  <<: {epochs: 2, batchSize: 1}\n  epochs: 3\n"
    run = load_run_file(write(repo, text))
    assert run.hyperparameters == RunHyperparameters(epochs=3, batch_size=1)


def test_unreadable_files(repo: Path) -> None:
    missing = repo / "runs" / "missing.yaml"
    assert problems(missing) == [f"{missing}: cannot read the run file: No such file or directory"]
    assert problems(repo / "runs") == [f"{repo / 'runs'}: cannot read the run file: Is a directory"]


def test_the_file_is_shown_as_given(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, minimal(force="maybe"))
    monkeypatch.chdir(repo)
    with pytest.raises(RunFileError) as caught:
        load_run_file("runs/run.yaml")
    assert caught.value.file == "runs/run.yaml"
    assert caught.value.details[0].startswith("runs/run.yaml:5: force: ")


def test_runs_readme_documents_every_key_of_the_schema() -> None:
    def paths(node: dict[str, Any], prefix: str) -> dict[str, bool]:
        """Every key path of the schema -> whether it is a leaf (not a mapping or a list of mappings)."""
        found: dict[str, bool] = {}
        for key, sub in node.get("properties", {}).items():
            here = f"{prefix}{key}"
            if sub.get("type") == "object":
                found[here] = False
                found.update(paths(sub, here + "."))
            elif sub.get("type") == "array" and sub["items"].get("type") == "object":
                found[here] = False
                found.update(paths(sub["items"], here + "[]."))
            else:
                found[here] = True
        return found

    schema_paths = paths(run_schema.load_schema(), "")
    readme = (ROOT / "runs" / "README.md").read_text(encoding="utf-8")
    table = readme.split("| key | meaning |", 1)[1].split("\n\n", 1)[0]
    documented = {
        key
        for line in table.splitlines()
        if line.startswith("| `")
        for key in re.findall(r"`([A-Za-z.\[\]]+)`", line.split("|")[1])
    }
    assert {path for path, leaf in schema_paths.items() if leaf} <= documented
    assert documented <= set(schema_paths)


def test_nested_aliases_are_not_walked_exponentially(repo: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]  # 10**9 leaves
    path = write(repo, minimal() + "\n".join(lines) + "\n")
    found = problems(path)
    assert len(found) == 9 and all("unknown key 'a" in f for f in found)


def test_ops_runs_is_pure() -> None:
    """stdlib, PyYAML, jsonschema, core, catalog, policy.stacks, ops.limits and ops.text only: no Click, no Azure SDK, no
    other ops."""
    import ast
    import sys

    allowed = ("yaml", "jsonschema", "core", "catalog", "policy.stacks", "ops.limits", "ops.text", "ops.runs")
    for source in sorted((ROOT / "ops" / "runs").glob("*.py")):
        tree = ast.parse(source.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                ok = top in sys.stdlib_module_names or any(
                    name == a or name.startswith(a + ".") for a in allowed
                )
                assert ok, f"{source.name}:{node.lineno}: imports {name}"
