"""One place that seeds every random number generator a run touches.

Stochastic components should not rely on global state: they take an explicit ``numpy.random.Generator`` or
``torch.Generator`` (OpenSpiel's convention), made here from the run seed and a stream name so that adding a new
consumer of randomness does not shift the streams of the others.
"""

from __future__ import annotations

import contextlib
import hashlib
import random
from collections.abc import Iterator

import numpy as np


def derive_seed(seed: int, *names: str | int) -> int:
    """A 63-bit seed derived from ``seed`` and a path of stream names (stable across runs and platforms)."""
    key = ":".join([str(seed), *map(str, names)]).encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little") >> 1


def seed_everything(seed: int, deterministic: bool = True) -> None:
    """Seed Python's ``random``, NumPy's legacy global RNG and torch (if installed).

    Args:
        seed: the run seed.
        deterministic: also ask torch for deterministic algorithms where it has a choice (CPU kernels already are).
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    try:
        import torch
    except ImportError:  # the pure-NumPy systems run without torch
        return
    torch.manual_seed(seed)
    if deterministic:
        torch.use_deterministic_algorithms(True, warn_only=True)


def numpy_rng(seed: int, *names: str | int) -> np.random.Generator:
    """A NumPy generator for one named stream of a run."""
    return np.random.default_rng(derive_seed(seed, *names))


def torch_generator(seed: int, *names: str | int):  # -> torch.Generator (torch imported lazily)
    """A torch CPU generator for one named stream of a run."""
    import torch

    gen = torch.Generator()
    gen.manual_seed(derive_seed(seed, *names))
    return gen


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run a block with ``n`` torch intra-op threads (None: leave as is), then restore the previous count.

    Float sums in CPU kernels are split across threads, so their rounding (and everything trained on them) depends
    on the thread count: pinning it makes a seeded run give the same numbers on any machine and in any process
    (inline or in a worker pool).
    """
    import torch

    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
