from __future__ import annotations

import numpy as np
import torch

from tenfold.common.seeding import derive_seed, numpy_rng, seed_everything, torch_generator


def test_derived_seeds_are_stable_and_distinct():
    assert derive_seed(0, "a") == derive_seed(0, "a")
    assert len({derive_seed(0, "a"), derive_seed(0, "b"), derive_seed(1, "a"), derive_seed(0, "a", 1)}) == 4
    assert 0 <= derive_seed(123, "x") < 2**63


def test_seed_everything_makes_global_draws_repeatable():
    seed_everything(7)
    first = (np.random.rand(), torch.rand(3))
    seed_everything(7)
    second = (np.random.rand(), torch.rand(3))
    assert first[0] == second[0] and torch.equal(first[1], second[1])


def test_named_streams():
    assert numpy_rng(1, "s").integers(1 << 30) == numpy_rng(1, "s").integers(1 << 30)
    assert torch.equal(
        torch.rand(4, generator=torch_generator(1, "s")), torch.rand(4, generator=torch_generator(1, "s"))
    )
