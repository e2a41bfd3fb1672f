"""Process pools that are safe to start after native thread pools exist, and that stop at once on Ctrl-C.

Forking a process that already runs native threads (HiGHS's task scheduler after a solve, OpenMP, BLAS) copies the
threads' locks but not the threads: a child that touches such a pool waits forever. So workers start from a clean
process: `forkserver` on POSIX (the server is exec'ed fresh, optionally pre-imports modules, then forks workers
cheaply) and `spawn` elsewhere. Workers ignore SIGINT; on Ctrl-C the parent kills them and re-raises at once,
instead of waiting for every queued task.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from multiprocessing.context import BaseContext
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def safe_context(preload: Sequence[str] = ()) -> BaseContext:
    """The start method for worker processes: forkserver where the platform has it, else spawn.

    `preload` names modules the fork server imports once, so each worker starts warm (ignored once the server runs).
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


def _ignore_sigint() -> None:
    # Ctrl-C reaches the whole process group; only the parent handles it (and then ends the workers)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor, futures: Iterable[Future[R]]) -> None:
    """End a pool now: cancel what has not started and terminate the workers (they hold no user files)."""
    for f in futures:
        f.cancel()
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for p in processes:
        p.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
    for p in processes:
        p.join(timeout=1.0)


def imap_unordered(
    fn: Callable[[T], R], items: Sequence[T], workers: int, preload: Sequence[str] = ()
) -> Iterator[tuple[int, R]]:
    """Run `fn` over `items` in `workers` processes, yielding (index, result) as each finishes.

    Any exception (a worker's, or KeyboardInterrupt in the parent) ends the pool at once and propagates.
    """
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=safe_context(preload), initializer=_ignore_sigint)
    futures: dict[Future[R], int] = {}
    try:
        futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        for f in as_completed(futures):
            yield futures[f], f.result()
    except BaseException:
        _stop(pool, futures)
        raise
    pool.shutdown(wait=True)


def map_ordered(fn: Callable[[T], R], items: Sequence[T], workers: int, preload: Sequence[str] = ()) -> list[R]:
    """`fn` over `items` in worker processes; results in the items' order."""
    out: list[R | None] = [None] * len(items)
    for i, r in imap_unordered(fn, items, workers, preload):
        out[i] = r
    return out  # type: ignore[return-value]
