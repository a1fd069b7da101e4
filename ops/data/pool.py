"""Worker processes for the byte ranges of a file: results come back in file order.

Workers are forked where the platform can, so they inherit what the parent loaded before the pool
started (the tokenizer: its pages are shared, not loaded again); where only spawn exists, the
initializer builds it in each worker. multiprocessing is imported only when there are workers to
start: it costs ~10 ms, more than a small file's whole check.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def forks() -> bool:
    """Whether workers are forked (and so share this process's hash secret and loaded state)."""
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def in_order(
    task: Callable[[T], R],
    items: Iterable[T],
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[R]:
    """`task` of each item in `workers` processes, yielded in the items' order."""
    import multiprocessing

    context = multiprocessing.get_context("fork" if forks() else "spawn")
    with context.Pool(workers, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap(task, items)
