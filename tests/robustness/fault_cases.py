"""Faults × commands: what each command meets on the wire, and what its user should get.

Each case arranges what the command needs (before any fault), injects its faults into the emulator
(or the clock), and returns the command line. `check` asserts the end state the outcome promises
(nothing duplicated, nothing lost) and says in a few words what it verified — the table's last column.
With `rerun`, a failed first run is followed by the same command after the fault is gone: a case is
resumable when that rerun finishes the work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tests.emulator.routes.jobs import JOB_EXISTS
from tests.robustness.harness import CLEAN_ERROR, PHI4, RESUMABLE, RETRIED, Bench


@dataclass(frozen=True)
class FaultCase:
    command: str
    fault: str
    expect: str
    exits: tuple[int, ...]  # the first run's exit code, then the rerun's when there is one
    arrange: Callable[[Bench], list[str]]
    check: Callable[[Bench], str]
    rerun: bool = False


def _add(bench: Bench, kind: str, **options: object) -> None:
    bench.emulator.faults.add(kind, **options)


# --- data upload ---
def upload_transient(b: Bench) -> list[str]:
    _add(b, "status", method="GET", path="/datastores", status=503, count=1)
    _add(b, "reset_after", method="PUT", path="/data/.+/versions/", count=1)
    return ["data", "upload", str(b.train_file()), "-o", "json"]


def one_data_version(b: Bench) -> str:
    assert b.emulator.world.created["data_versions"] == 1
    return "one data version registered, not two"


# --- finetune submit ---
def submit_lost_reply(b: Bench) -> list[str]:
    train = b.train_file()
    _add(b, "reset_after", method="PUT", path="/jobs/", count=1)
    _add(b, "status", method="PUT", path="/jobs/", status=503, count=1, skip=1)
    return ["finetune", "submit", "--model", PHI4, "--train", str(train), "-o", "json"]


def submit_repeat_refused(b: Bench) -> list[str]:
    """The repeat of a PUT whose reply was lost, refused as the service refuses a change to an existing job."""
    train = b.train_file()
    refusal = {"error": {"code": "UserError", "message": JOB_EXISTS, "details": [], "additionalInfo": []}}
    _add(b, "reset_after", method="PUT", path="/jobs/", count=1)
    _add(b, "replay", method="PUT", path="/jobs/", status=400, body=refusal, count=1)
    return ["finetune", "submit", "--model", PHI4, "--train", str(train), "-o", "json"]


def submit_token_outage(b: Bench) -> list[str]:
    train = b.train_file()
    _add(b, "status", method="POST", path="/oauth2/v2.0/token", status=503, count=1)
    return ["finetune", "submit", "--model", PHI4, "--train", str(train), "-o", "json"]


def one_job(b: Bench) -> str:
    assert b.emulator.world.created["jobs"] == 1
    return "one job created, not two"


# --- finetune wait ---
def submitted_job(b: Bench) -> str:
    run = b.run("finetune", "submit", "--model", PHI4, "--train", str(b.train_file()), "-o", "json")
    assert run.code == 0, run
    return str(run.json()["name"])


def wait_flaky_reads(b: Bench) -> list[str]:
    b.emulator.settings.polls_per_step = 4
    job = submitted_job(b)
    _add(b, "status", method="GET", path=f"/jobs/{job}", status=429, retry_after=0, count=2)
    _add(b, "status", method="GET", path=f"/jobs/{job}", status=500, skip=3, count=1)
    _add(b, "status", method="GET", path=f"/jobs/{job}", status=503, skip=5, count=1)
    _add(b, "reset", method="GET", path=f"/jobs/{job}", skip=7, count=1)
    return ["finetune", "wait", job, "-o", "json"]


def wait_long_throttling(b: Bench) -> list[str]:
    job = submitted_job(b)
    _add(b, "status", method="GET", path=f"/jobs/{job}", status=429, retry_after=7, count=25)
    return ["finetune", "wait", job, "-o", "json"]


def job_completed(b: Bench) -> str:
    (job,) = b.emulator.world.jobs.values()
    assert job["view"]["properties"]["status"] == "Completed"
    return "job Completed; one job"


def waited_retry_after(b: Bench) -> str:
    assert b.clock.sleeps.count(7.0) >= 5  # azure-core inside each read, then the wait loop between reads
    return job_completed(b) + "; every wait honoured Retry-After: 7"


def wait_job_fails(b: Bench) -> list[str]:
    _add(b, "job_fail", method="PUT", path="/jobs/", message="Training data has an invalid token count")
    return ["finetune", "wait", submitted_job(b)]


def failure_message_shown(b: Bench) -> str:
    assert "Training data has an invalid token count" in b.runs[-1].err
    return "the service's failure message, once"


def wait_interrupted(b: Bench) -> list[str]:
    b.emulator.settings.polls_per_step = 20
    job = submitted_job(b)
    b.clock.interrupt_after = 2
    return ["finetune", "wait", job, "-o", "json"]


def job_not_cancelled(b: Bench) -> str:
    assert b.emulator.count("POST", "/cancel") == 0
    assert "keeps running" in b.runs[-2].err
    return job_completed(b) + "; Ctrl-C cancelled nothing"


# --- deploy create ---
def deploy_flaky(b: Bench) -> list[str]:
    job = b.job()
    _add(b, "status", method="PUT", path="/serverlessEndpoints/", status=500, count=1)
    _add(b, "reset_after", method="PUT", path="/serverlessEndpoints/", count=1)
    _add(b, "status", method="GET", path="/mfeOperationsStatus/", status=429, retry_after=0, count=1)
    _add(b, "reset", method="GET", path="/serverlessEndpoints/", count=1)
    return ["deploy", "create", "--job", job, "-o", "json"]


def deploy_operation_fails(b: Bench) -> list[str]:
    job = b.job()
    _add(b, "lro_fail", method="PUT", path="/serverlessEndpoints/", message="Transient capacity issue")
    return ["deploy", "create", "--job", job, "-o", "json"]


def deploy_forbidden(b: Bench) -> list[str]:
    job = b.job()
    _add(b, "status", method="PUT", path="/serverlessEndpoints/", status=403, code="AuthorizationFailed",
         message="The client does not have authorization to perform action "
         "'Microsoft.MachineLearningServices/workspaces/serverlessEndpoints/write'")  # fmt: skip
    return ["deploy", "create", "--job", job]


def one_endpoint_online(b: Bench) -> str:
    assert b.emulator.world.created["endpoints"] == 1
    (endpoint,) = b.emulator.world.endpoints.values()
    assert endpoint["properties"]["provisioningState"] == "Succeeded"
    return "one endpoint, provisioned"


def nothing_deployed(b: Bench) -> str:
    assert b.emulator.world.created["endpoints"] == 0
    assert "Azure AI Developer" in b.runs[-1].err
    return "no endpoint created; the hint names the role to grant"


# --- content safety, endpoint test, eval ---
def safety_flaky(b: Bench) -> list[str]:
    endpoint = b.endpoint()
    _add(b, "reset_after", method="PUT", path="/serverlessEndpoints/[^/]+$", count=1)
    _add(b, "status", method="GET", path="/mfeOperationsStatus/", status=503, retry_after=0, count=1)
    return ["content-safety", "set", endpoint, "--disabled", "--yes", "-o", "json"]


def safety_disabled(b: Bench) -> str:
    (endpoint,) = b.emulator.world.endpoints.values()
    assert endpoint["properties"]["contentSafety"]["contentSafetyStatus"] == "Disabled"
    assert b.emulator.world.created["endpoints"] == 1
    return "setting applied; the endpoint updated, not recreated"


def chat_throttled(b: Bench) -> list[str]:
    endpoint = b.endpoint()
    _add(b, "reset", method="POST", path="/listKeys", count=1)
    _add(b, "status", method="POST", path="/chat/completions", status=429, retry_after=0, count=3)
    return ["endpoint", "test", endpoint, "--prompt", "How do I reset my password?"]


def answered(b: Bench) -> str:
    assert "answers: How do I reset my password?" in b.runs[-1].out
    return "the answer, once"


def heldout(b: Bench, count: int) -> str:
    path = b.train_file(count, "heldout.jsonl")
    return str(path)


def eval_over_capacity(b: Bench) -> list[str]:
    endpoint = b.endpoint()
    settings = b.emulator.settings
    settings.chat_latency_s, settings.chat_concurrency_limit, settings.chat_retry_after_s = 0.05, 2, 1
    b.real_time = True  # the endpoint frees capacity as real time passes: the Retry-After waits are real
    return ["eval", endpoint, "--file", heldout(b, 9), "--concurrency", "6", "-o", "json"]


def all_answered(b: Bench) -> str:
    scores = next(iter(b.runs[-1].json()["endpoints"].values()))
    assert (scores["answered"], scores["failed"]) == (9, 0)
    assert scores["retries"] == b.emulator.world.chat_gauge.throttled > 0
    return "all 9 answered; the retries reported"


def eval_refused(b: Bench) -> list[str]:
    endpoint = b.endpoint()
    _add(b, "status", method="POST", path="/chat/completions", status=429, retry_after=0, count=-1)
    return ["eval", endpoint, "--file", heldout(b, 3), "-o", "json"]


def counts_printed(b: Bench) -> str:
    scores = next(iter(b.runs[-1].json()["endpoints"].values()))
    assert (scores["answered"], scores["failed"]) == (0, 3)
    return "the counts still on stdout (0 answered, 3 failed)"


# --- deploy delete, teardown, preflight ---
def delete_flaky(b: Bench) -> list[str]:
    endpoint = b.endpoint()
    _add(b, "status", method="DELETE", path="/serverlessEndpoints/", status=503, count=1)
    _add(b, "reset", method="GET", path="/mfeOperationsStatus/", count=1)
    return ["deploy", "delete", endpoint, "--yes", "-o", "json"]


def endpoint_gone(b: Bench) -> str:
    assert b.emulator.world.endpoints == {}
    return "endpoint gone"


def teardown_model_conflict(b: Bench) -> list[str]:
    b.endpoint()
    _add(b, "status", method="DELETE", path="/models/.+/versions/", status=409, code="Conflict",
         message="The model is being updated; try again later")  # fmt: skip
    return ["teardown", "--yes", "--delete-models", "-o", "json"]


def teardown_endpoint_fails(b: Bench) -> list[str]:
    b.endpoint()
    _add(b, "lro_fail", method="DELETE", path="/serverlessEndpoints/", message="Deletion failed")
    return ["teardown", "--yes", "--delete-models", "-o", "json"]


def resumed_from_azure(b: Bench) -> str:
    world = b.emulator.world
    assert world.endpoints == {} and world.models == {}
    first = b.runs[-2]
    assert "run the same teardown command again to resume" in first.err
    return "endpoint and model gone; the rerun read what was left from Azure"


def preflight_throttled(b: Bench) -> list[str]:
    _add(b, "status", method="GET", path="/workspaces/[^/]+$", status=429, retry_after=1, count=1)
    _add(b, "status", method="GET", path="/permissions$", status=503, count=1)
    return ["preflight", "--fix", "-o", "json"]


def permissions_read(b: Bench) -> str:
    assert b.emulator.count("GET", "/permissions", status=200) == 1
    assert 1.0 in b.clock.sleeps  # azure-core waited the Retry-After it was given, on the App's clock
    return "every check ran; Retry-After honoured"


CASES: tuple[FaultCase, ...] = (
    FaultCase("data upload", "503 reading the datastore; the data version PUT's reply lost",
              RETRIED, (0,), upload_transient, one_data_version),
    FaultCase("finetune submit", "token endpoint 503 once", RETRIED, (0,), submit_token_outage, one_job),
    FaultCase("finetune submit", "the job PUT's reply lost, then 503 on the retry",
              RETRIED, (0,), submit_lost_reply, one_job),
    FaultCase("finetune submit", "the job PUT's reply lost, then the repeat refused: 400 the job exists",
              RETRIED, (0,), submit_repeat_refused, one_job),
    FaultCase("finetune wait", "job reads: 429 ×2, 500, 503, connection reset",
              RETRIED, (0,), wait_flaky_reads, job_completed),
    FaultCase("finetune wait", "job reads: 429 with Retry-After: 7, 25 times in a row",
              RETRIED, (0,), wait_long_throttling, waited_retry_after),
    FaultCase("finetune wait", "the job fails on the service", CLEAN_ERROR, (3,), wait_job_fails,
              failure_message_shown),
    FaultCase("finetune wait", "Ctrl-C while waiting", RESUMABLE, (130, 0), wait_interrupted,
              job_not_cancelled, rerun=True),
    FaultCase("deploy create", "endpoint PUT: 500, then reply lost; operation poll 429; reset on read",
              RETRIED, (0,), deploy_flaky, one_endpoint_online),
    FaultCase("deploy create", "the deployment operation ends Failed", RESUMABLE, (3, 0),
              deploy_operation_fails, one_endpoint_online, rerun=True),
    FaultCase("deploy create", "403 AuthorizationFailed on the endpoint PUT", CLEAN_ERROR, (1,),
              deploy_forbidden, nothing_deployed),
    FaultCase("content-safety set", "the update PUT's reply lost; operation poll 503",
              RETRIED, (0,), safety_flaky, safety_disabled),
    FaultCase("endpoint test", "listKeys connection reset; chat 429 ×3", RETRIED, (0,), chat_throttled,
              answered),
    FaultCase("eval", "endpoint serves 2 at once (429 + Retry-After beyond), --concurrency 6",
              RETRIED, (0,), eval_over_capacity, all_answered),
    FaultCase("eval", "every chat request answered 429", CLEAN_ERROR, (1,), eval_refused, counts_printed),
    FaultCase("deploy delete", "DELETE 503; connection reset on the operation poll", RETRIED, (0,),
              delete_flaky, endpoint_gone),
    FaultCase("teardown --delete-models", "409 Conflict deleting the model", RESUMABLE, (1, 0),
              teardown_model_conflict, resumed_from_azure, rerun=True),
    FaultCase("teardown --delete-models", "the endpoint deletion operation ends Failed", RESUMABLE, (1, 0),
              teardown_endpoint_fails, resumed_from_azure, rerun=True),
    FaultCase("preflight", "429 with Retry-After: 1 reading the hub; 503 reading permissions",
              RETRIED, (0,), preflight_throttled, permissions_read),
)  # fmt: skip
