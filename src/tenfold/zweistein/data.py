"""Setups and dice streams: the randomness of an EWN game, drawn from seeds so that matches are reproducible and
paired games share it (common random numbers)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

import numpy as np

from tenfold.common.seeding import derive_seed

Placement = Literal["random", "mirror"]
PLACEMENTS = ("random", "mirror")
"""``random``: each side's cubes in a uniformly random order (720 × 720 setups, OpenSpiel's model); ``mirror``: a random
Red order and Blue the 180° mirror image ("usually symmetrical", the paper)."""


def draw_setup(seed: int, game: int, placement: Placement = "random") -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The (red, blue) cube orders of game ``game`` of a match seeded ``seed``."""
    rng = np.random.default_rng(derive_seed(seed, "setup", game))
    red = tuple(int(x) for x in rng.permutation(6) + 1)
    if placement == "mirror":
        # Red's START_CELLS reversed are Blue's mirror cells: cube on Red's i-th cell ↔ Blue's (5 - i)-th cell.
        return red, red[::-1]
    return red, tuple(int(x) for x in rng.permutation(6) + 1)


def dice(seed: int, game: int) -> Iterator[int]:
    """The rolls of game ``game`` (an endless stream; turn k uses roll k whoever moves)."""
    rng = np.random.default_rng(derive_seed(seed, "dice", game))
    while True:
        yield from (int(x) for x in rng.integers(1, 7, size=64))
