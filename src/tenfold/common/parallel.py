"""Ordered parallel maps over worker processes (one CPU-bound job per core), shared by the systems."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any


def _torch_threads(n: int) -> None:
    # one worker per core: torch's own intra-op threads would only fight over the same cores
    import torch

    torch.set_num_threads(n)


def pmap(
    fn: Callable[[Any], Any],
    jobs: Sequence,
    workers: int | None = None,
    min_jobs: int = 2,
    chunksize: int = 1,
    start_method: str = "spawn",
    torch_threads: int | None = 1,
) -> Iterator[Any]:
    """Results of ``fn`` over ``jobs`` in order: in ``workers`` processes (default: all cores), else inline.

    ``spawn`` (the default) is safe after torch has started threads; NumPy-only callers may pass ``fork`` to skip the
    workers' start-up imports. ``torch_threads`` sets each worker's torch threads (None: leave torch unimported).
    Results come back in job order whatever the scheduling, so a seeded run gives the same output on any core count.
    Leaving the iterator early cancels the jobs not started yet.
    """
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < min_jobs:
        yield from map(fn, jobs)
        return
    with worker_pool(workers, start_method, torch_threads) as pool:
        iterator = pool.map(fn, jobs, chunksize=chunksize)
        try:
            yield from iterator
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def worker_pool(
    workers: int | None = None, start_method: str = "spawn", torch_threads: int | None = 1
) -> ProcessPoolExecutor:
    """The executor behind :func:`pmap` (same start method and per-worker torch threads), for callers whose jobs
    depend on each other's results and must be submitted as those arrive (see :func:`run_dag`)."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    ctx = multiprocessing.get_context(start_method)
    init, args = (_torch_threads, (torch_threads,)) if torch_threads else (None, ())
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init, initargs=args)


def run_dag(
    fn: Callable[[Any], Any],
    jobs: Sequence[Any],
    follow_up: Callable[[int, Any], Sequence[Any]] | None = None,
    workers: int | None = None,
) -> list[Any]:
    """``fn`` over ``jobs`` in worker processes, at most ``workers`` at a time, in list order — except that the jobs
    returned by ``follow_up(i, result_i)`` (jobs that need job i's result) jump the queue. Returns the results of
    ``jobs`` and then of the follow-ups, in the order they were created.

    Inline (no processes) when ``workers`` is 1: the same results in the same order."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    queue: list[Any] = list(jobs)
    results: dict[int, Any] = {}
    if workers <= 1:
        i = 0
        while i < len(queue):
            results[i] = fn(queue[i])
            queue += follow_up(i, results[i]) if follow_up else []
            i += 1
        return [results[k] for k in range(len(queue))]
    from concurrent.futures import FIRST_COMPLETED, wait

    with worker_pool(workers) as pool:
        running: dict[Any, int] = {}
        ready: list[int] = list(range(len(queue)))
        while ready or running:
            while ready and len(running) < workers:
                k = ready.pop(0)
                running[pool.submit(fn, queue[k])] = k
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                k = running.pop(future)
                results[k] = future.result()
                extra = list(follow_up(k, results[k])) if follow_up else []
                # follow-ups wait for no job that was queued before them
                ready[:0] = range(len(queue), len(queue) + len(extra))
                queue += extra
    return [results[k] for k in range(len(queue))]
