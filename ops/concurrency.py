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
from typing import Generic, TypeVar, cast

from core.errors import EXIT_FAILURE, ToolkitError

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

    Domain errors (ToolkitError) become failed outcomes; anything else (a bug) is raised once every
    started call has ended. Ctrl-C in the calling thread stops at once: the workers are daemon threads,
    so calls already sent are abandoned with the process (the service carries on with them, and a rerun
    recomputes what is left) instead of keeping it alive. `on_done` runs in the calling thread, one
    outcome at a time, as each item finishes — the place to report progress.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if not items:
        return []
    import queue
    import threading

    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(len(items)):
        todo.put(index)
    done: queue.SimpleQueue[tuple[int, Outcome[T, R] | None, BaseException | None]] = queue.SimpleQueue()

    stop = threading.Event()  # set by a bug: no worker starts another item

    def worker() -> None:
        while not stop.is_set():
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            try:
                done.put((index, Outcome(items[index], value=fn(items[index])), None))
            except ToolkitError as exc:
                done.put((index, Outcome(items[index], error=exc), None))
            except BaseException as exc:  # a bug: reported to the caller, never swallowed
                stop.set()
                done.put((index, None, exc))
                return

    for n in range(min(concurrency, len(items))):
        threading.Thread(target=worker, name=f"foundry-ops-{n}", daemon=True).start()
    outcomes: dict[int, Outcome[T, R]] = {}
    crash: BaseException | None = None
    expected, received = len(items), 0
    while received < expected:
        index, outcome, error = done.get()  # Ctrl-C interrupts this wait in the calling thread
        received += 1
        if error is not None:
            crash = crash or error
            while True:  # start nothing new after a bug; wait only for the calls already running
                try:
                    todo.get_nowait()
                except queue.Empty:
                    break
                expected -= 1
            continue
        assert outcome is not None
        outcomes[index] = outcome
        if on_done is not None:
            on_done(outcome)
    if crash is not None:
        raise crash
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
