"""The reward-ranked replay buffer of FoR (code: ``replay_buffer.py``): per problem, de-duplicated, lowest-reward
eviction, sampling in proportion to the reward.

Per problem it keeps at most ``capacity`` distinct trajectories (by step sequence); when full, a new trajectory
replaces the lowest-reward one only if its reward is higher. Sampling draws with replacement with probability
R_i / Σ_j R_j (the official code's choice; computed from log R in a numerically stable way).
"""

from __future__ import annotations

import heapq
import math
import random
from typing import Any

from tenfold.flowreason.env import Trajectory


class ReplayBuffer:
    """Args: capacity — distinct trajectories kept per problem (the official code's 50)."""

    def __init__(self, capacity: int = 50):
        if capacity < 1:
            raise ValueError("replay capacity must be at least 1")
        self.capacity = capacity
        self._heaps: dict[Any, list[tuple[float, int, Trajectory]]] = {}
        self._keys: dict[Any, set[tuple[str, ...]]] = {}
        self._counter = 0  # tie-breaker: heapq never compares trajectories

    def add(self, traj: Trajectory) -> bool:
        """Insert a complete trajectory; returns whether it is now in the buffer."""
        heap = self._heaps.setdefault(traj.problem, [])
        keys = self._keys.setdefault(traj.problem, set())
        if traj.key in keys:
            return False
        item = (traj.log_reward, self._counter, traj)
        self._counter += 1
        if len(heap) < self.capacity:
            heapq.heappush(heap, item)
        elif traj.log_reward > heap[0][0]:
            _, _, gone = heapq.heapreplace(heap, item)
            keys.discard(gone.key)
        else:
            return False
        keys.add(traj.key)
        return True

    def __len__(self) -> int:
        return sum(len(h) for h in self._heaps.values())

    def size(self, problem: Any) -> int:
        return len(self._heaps.get(problem, []))

    def trajectories(self, problem: Any) -> list[Trajectory]:
        """The stored trajectories of a problem, highest reward first."""
        return [t for _, _, t in sorted(self._heaps.get(problem, []), key=lambda x: (-x[0], x[1]))]

    def sample(self, problem: Any, n: int, rng: random.Random) -> list[Trajectory]:
        """``n`` trajectories of ``problem`` drawn with replacement ∝ R (empty if none is stored)."""
        items = self._heaps.get(problem, [])
        if not items:
            return []
        top = max(lr for lr, _, _ in items)
        weights = [math.exp(lr - top) for lr, _, _ in items]
        return [t for _, _, t in rng.choices(items, weights=weights, k=n)]
