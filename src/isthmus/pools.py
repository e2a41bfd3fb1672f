"""Process pools that are safe to start after native thread pools exist, and that stop at once on Ctrl-C.

Forking a process that already runs native threads (HiGHS's task scheduler after a solve, OpenMP, BLAS) copies the
threads' locks but not the threads: a child that touches such a pool waits forever. So workers start from a clean
process: `forkserver` on POSIX (the server is exec'ed fresh, optionally pre-imports modules, then forks workers
cheaply) and `spawn` elsewhere. Workers ignore SIGINT; on Ctrl-C the parent kills them and re-raises at once,
instead of waiting for every queued task.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from multiprocessing.context import BaseContext
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def safe_context(preload: Sequence[str] = (), fork: bool = False) -> BaseContext:
    """The start method for worker processes: forkserver where the platform has it, else spawn.

    `preload` names modules the fork server imports once, so each worker starts warm (ignored once the server runs).
    `fork=True` forks this process instead (POSIX), for workers that run pure Python and should inherit tables
    built here: only safe when the workers touch no native thread pool (solvers, BLAS, OpenMP) of this process.
    """
    if fork and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        if preload:
            ctx.set_forkserver_preload(list(preload))
        return ctx
    return multiprocessing.get_context("spawn")


def _start_server(ctx: BaseContext) -> None:
    """Start the fork server with SIGINT blocked: a blocked signal stays blocked across exec, so neither the server
    (which may still be importing its preload modules) nor the workers it forks print a KeyboardInterrupt. Here a
    Ctrl-C that arrives meanwhile waits, and is raised as soon as the server runs (ignoring it instead, as before,
    lost it: the program then ran its whole queue)."""
    if ctx.get_start_method() != "forkserver" or threading.current_thread() is not threading.main_thread():
        return
    from multiprocessing import forkserver

    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C back for the block and raise it as KeyboardInterrupt right after (main thread only: a signal
    mask would not do, since any other thread may take the signal)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


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


@contextlib.contextmanager
def imap_unordered(
    fn: Callable[[T], R], items: Sequence[T], workers: int, preload: Sequence[str] = (), fork: bool = False
) -> Iterator[Iterator[tuple[int, R]]]:
    """Run `fn` over `items` in `workers` processes; the block gets an iterator of (index, result) as each finishes.

        with imap_unordered(fn, items, 2) as results:
            for i, r in results: ...

    Any exception in the block (a worker's, or KeyboardInterrupt wherever it lands) ends the pool at once and
    propagates: the pool never waits for queued work on the way out.
    """
    ctx = safe_context(preload, fork)
    _start_server(ctx)
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_ignore_sigint)
    futures: dict[Future[R], int] = {}
    try:
        with _sigint_deferred():  # workers start inside submit(): a half-started worker would outlive us
            futures = {pool.submit(fn, item): i for i, item in enumerate(items)}
        yield ((futures[f], f.result()) for f in as_completed(futures))
    except BaseException:
        _stop(pool, futures)
        raise
    pool.shutdown(wait=True)


def map_ordered(
    fn: Callable[[T], R], items: Sequence[T], workers: int, preload: Sequence[str] = (), fork: bool = False
) -> list[R]:
    """`fn` over `items` in worker processes; results in the items' order."""
    out: list[R | None] = [None] * len(items)
    with imap_unordered(fn, items, workers, preload, fork) as results:
        for i, r in results:
            out[i] = r
    return out  # type: ignore[return-value]
