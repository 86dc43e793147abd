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
    ctx = multiprocessing.get_context(start_method)
    init, args = (_torch_threads, (torch_threads,)) if torch_threads else (None, ())
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init, initargs=args) as pool:
        iterator = pool.map(fn, jobs, chunksize=chunksize)
        try:
            yield from iterator
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
