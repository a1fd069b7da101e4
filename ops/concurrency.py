"""Run independent service calls with at most N in flight, and report every item's outcome.

Deleting ten endpoints one after another costs ten long-running operations end to end; the service
handles them independently, so they can overlap. The bound keeps a teardown from tripping the
subscription's write throttling. A failure does not stop the other items of the same batch (they are
independent, and every one that finishes is progress a rerun need not repeat); the caller decides
what a failure means for the next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar, cast

from ops.errors import EXIT_FAILURE, ToolkitError

if TYPE_CHECKING:
    from concurrent.futures import Future

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 16  # ARM writes: the subscription throttles them
MAX_INFERENCE_CONCURRENCY = 64  # chat requests: the endpoint's own limit answers 429 beyond it

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """One item's result, or the domain error that stopped it."""

    item: T
    value: R | None = None
    error: ToolkitError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def unwrap(self) -> R:
        """The value, or the error raised where the caller wants failures to stop it."""
        if self.error is not None:
            raise self.error
        return cast(R, self.value)


def run_bounded(
    items: Sequence[T],
    fn: Callable[[T], R],
    *,
    concurrency: int,
    on_done: Callable[[Outcome[T, R]], None] | None = None,
) -> list[Outcome[T, R]]:
    """Call `fn` on every item with at most `concurrency` calls running; outcomes in input order.

    Domain errors (ToolkitError) become failed outcomes; anything else (a bug, Ctrl-C) propagates at
    once and nothing new is started (calls already sent finish in the background: the service carries
    on with them either way, and a rerun recomputes what is left). `on_done` runs in the calling
    thread, one outcome at a time, as each item finishes — the place to journal and report progress.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    from concurrent.futures import (  # imports logging: not at startup
        FIRST_COMPLETED,
        ThreadPoolExecutor,
        wait,
    )

    outcomes: dict[int, Outcome[T, R]] = {}
    if not items:
        return []
    pool = ThreadPoolExecutor(max_workers=min(concurrency, len(items)), thread_name_prefix="foundry-ops")
    pending: dict[Future[R], int] = {}
    next_index = 0
    try:
        while next_index < len(items) or pending:
            while next_index < len(items) and len(pending) < concurrency:
                pending[pool.submit(fn, items[next_index])] = next_index
                next_index += 1
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                index = pending.pop(future)
                try:
                    outcome: Outcome[T, R] = Outcome(items[index], value=future.result())
                except ToolkitError as exc:
                    outcome = Outcome(items[index], error=exc)
                outcomes[index] = outcome
                if on_done is not None:
                    on_done(outcome)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [outcomes[i] for i in sorted(outcomes)]


class BatchError(ToolkitError):
    """Some items of a batch failed; the exit code is theirs when they agree, else a plain failure."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def batch_error(what: str, failed: Sequence[Outcome[T, R]], total: int) -> ToolkitError:
    """The error a batch with failures ends in: a lone failure as it was raised (its message names the
    item); several as one line counting them and quoting the first, with their exit code when they agree."""
    errors = [o.error for o in failed if o.error is not None]
    if len(errors) == 1:
        return errors[0]
    codes = {e.exit_code for e in errors}
    code = codes.pop() if len(codes) == 1 else EXIT_FAILURE
    return BatchError(f"{len(errors)} of {total} {what} failed, the first: {errors[0]}", code)
