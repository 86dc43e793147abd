"""The training pool of a generation (official ``main.py``, step 3): which synthetic continuations enter it.

* ``replace``     this generation's synthetic continuations only;
* ``mix``         the same, plus human blocks of unknown origin (added by the pipeline);
* ``accumulate``  earlier generations' synthetic text kept: the official form takes half of the pool from this
  generation and half drawn at random from earlier ones (same size as ``replace``); ``full`` keeps every earlier one
  (the pool grows each generation, Gerstgrasser et al.'s accumulate).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tenfold.collapse.data import Block

REGIMES = ("replace", "mix", "accumulate")
ACCUMULATIONS = ("official", "full")


def synthetic_pool(
    human: Sequence[Block],
    history: Sequence[Sequence[list[int]]],
    n: int,
    regime: str,
    accumulation: str,
    rng: np.random.Generator,
) -> list[Block]:
    """The synthetic part of the pool: ``history[g]`` holds generation g+1's continuations of the human contexts (the
    last is this generation's); the first ``n`` of each are used."""
    current = [Block(human[i].context, history[-1][i]) for i in range(min(n, len(history[-1])))]
    if regime != "accumulate" or len(history) == 1:
        return current
    earlier = [Block(human[i].context, h[i]) for h in history[:-1] for i in range(min(n, len(h)))]
    if accumulation == "full":
        return current + earlier
    half = len(current) // 2
    picks = rng.choice(len(earlier), size=len(current) - half, replace=False)
    return current[:half] + [earlier[i] for i in picks]
