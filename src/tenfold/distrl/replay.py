"""Prioritised replay on a sum tree (Schaul et al. 2016), as A-RIDE's DPER needs it — and, unlike the official code,
actually sampled from (the official buffer stores priorities in a sum tree but ``sample`` draws uniformly).

Glossary:

* ``p_i``        priority of item i (> 0; DPER: w1·mean|δ| + w2·mean ρ + w3·mean H of a trajectory);
* ``α``          priority exponent: P(i) = p_i^α / Σ_j p_j^α (α = 0 uniform, α = 1 proportional);
* ``β``          importance exponent: w_i = (N·P(i))^−β / max_j w_j, the correction for sampling non-uniformly;
* the tree       a complete binary tree over ``capacity`` leaves stored in one array: node k has children 2k+1 and
  2k+2; every internal node holds the sum of its children, so the root is Σ p^α and a draw is one walk from the root
  (O(log N) per update and per draw).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class SumTree:
    """Sums of leaf values over a complete binary tree; leaves 0 … capacity − 1.

    Args:
        capacity: number of leaves.
    """

    def __init__(self, capacity: int):
        if capacity <= 0:
            raise ValueError(f"a sum tree needs at least one leaf, got {capacity}")
        self.capacity = capacity
        self.size = 1
        while self.size < capacity:  # leaves padded to a power of two; padding leaves stay 0 and are never drawn
            self.size *= 2
        self.nodes = np.zeros(2 * self.size - 1, dtype=np.float64)

    @property
    def total(self) -> float:
        return float(self.nodes[0])

    def __getitem__(self, i: int) -> float:
        return float(self.nodes[self.size - 1 + i])

    def update(self, i: int, value: float) -> None:
        """Set leaf ``i`` to ``value`` (≥ 0) and refresh its ancestors."""
        if not 0 <= i < self.capacity:
            raise IndexError(f"leaf {i} outside 0 … {self.capacity - 1}")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"a priority must be finite and >= 0, got {value}")
        k = self.size - 1 + i
        self.nodes[k] = value
        while k > 0:
            k = (k - 1) // 2
            # recomputed from the children, not incremented: no drift over millions of updates
            self.nodes[k] = self.nodes[2 * k + 1] + self.nodes[2 * k + 2]

    def find(self, prefix: float) -> int:
        """The leaf i with Σ_{j<i} v_j ≤ prefix < Σ_{j≤i} v_j (``prefix`` in [0, total))."""
        k = 0
        while k < self.size - 1:
            left = 2 * k + 1
            if prefix < self.nodes[left] or self.nodes[left + 1] == 0:
                k = left
            else:
                prefix -= self.nodes[left]
                k = left + 1
        return k - (self.size - 1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` leaves drawn independently with probability v_i / total."""
        if self.total <= 0:
            raise ValueError("cannot sample from a sum tree whose priorities are all 0")
        return np.array([self.find(u) for u in rng.uniform(0.0, self.total, size=n)], dtype=np.int64)


@dataclass
class Sample:
    """A prioritised draw: item indices and their importance weights."""

    indices: np.ndarray
    """[n] int64."""
    weights: np.ndarray
    """[n] float64 in (0, 1]: (N·P(i))^−β / max over the draw."""


class PrioritizedReplay:
    """Items with priorities p_i, drawn with P(i) ∝ p_i^α and corrected by importance weights (see the glossary).

    Args:
        capacity: maximum items; the oldest is overwritten first.
        alpha: priority exponent α.
        beta: importance exponent β.
        seed: seed of the draws.
    """

    def __init__(self, capacity: int, alpha: float = 0.6, beta: float = 0.4, seed: int = 0):
        if alpha < 0 or beta < 0:
            raise ValueError(f"alpha and beta must be >= 0, got {alpha}, {beta}")
        self.tree = SumTree(capacity)
        self.alpha, self.beta = alpha, beta
        self.items: list[object] = []
        self.next = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: object, priority: float = 1.0) -> int:
        """Store ``item`` (new trajectories start at priority 1 in the official code); returns its slot."""
        slot = self.next
        if slot < len(self.items):
            self.items[slot] = item
        else:
            self.items.append(item)
        self.tree.update(slot, self._scaled(priority))
        self.next = (self.next + 1) % self.tree.capacity
        return slot

    def _scaled(self, priority: float) -> float:
        # 0 stays 0 at α = 0 (Python's 0 ** 0 is 1): an evicted item must never be drawn, even uniformly
        return priority**self.alpha if priority > 0 else 0.0

    def update(self, slot: int, priority: float) -> None:
        """Set an item's priority (0 evicts it: it is never drawn again until overwritten)."""
        self.tree.update(slot, self._scaled(priority))

    def probability(self, slot: int) -> float:
        return self.tree[slot] / self.tree.total

    def sample(self, n: int) -> Sample:
        indices = self.tree.sample(n, self.rng)
        p = np.array([self.probability(int(i)) for i in indices])
        w = (len(self.items) * p) ** (-self.beta)
        return Sample(indices, w / w.max())
