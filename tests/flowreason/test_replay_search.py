"""Replay buffer (capacity, de-duplication, eviction, reward-proportional sampling), local search, schedules."""

from __future__ import annotations

import itertools
import math
import random

from scipy.stats import chisquare

from tenfold.flowreason.env import Step, Trajectory
from tenfold.flowreason.game24 import Game24
from tenfold.flowreason.replay import ReplayBuffer
from tenfold.flowreason.reward import Reward
from tenfold.flowreason.sampling import Schedule, local_search, rollout


def _traj(problem, name: str, log_r: float) -> Trajectory:
    t = Trajectory(problem, None, [Step(name, None)])
    t.log_reward = log_r
    return t


def test_capacity_deduplication_and_lowest_reward_eviction():
    buf = ReplayBuffer(capacity=3)
    assert buf.add(_traj("x", "a", 1.0)) and buf.add(_traj("x", "b", 2.0)) and buf.add(_traj("x", "c", 0.5))
    assert not buf.add(_traj("x", "a", 9.0))  # duplicate step sequence
    assert not buf.add(_traj("x", "d", 0.1))  # lower than the lowest: not kept
    assert buf.add(_traj("x", "e", 3.0))  # evicts c (0.5)
    assert [t.key for t in buf.trajectories("x")] == [("e",), ("b",), ("a",)]
    assert buf.add(_traj("x", "c", 5.0))  # c may come back once it was evicted
    assert buf.size("x") == 3 and buf.size("y") == 0 and buf.sample("y", 2, random.Random(0)) == []
    assert buf.add(_traj("y", "a", 0.0)) and len(buf) == 4  # per problem


def test_sampling_is_reward_proportional_chi_square():
    buf = ReplayBuffer(capacity=10)
    rewards = [1.0, 2.0, 3.0, 4.0, 10.0]
    for i, r in enumerate(rewards):
        buf.add(_traj("x", str(i), math.log(r)))
    n = 20000
    draws = buf.sample("x", n, random.Random(7))
    counts = [sum(t.key == (str(i),) for t in draws) for i in range(len(rewards))]
    expected = [n * r / sum(rewards) for r in rewards]
    assert chisquare(counts, expected).pvalue > 0.01
    # and a wrong hypothesis (uniform) is rejected by the same test
    assert chisquare(counts, [n / len(rewards)] * len(rewards)).pvalue < 1e-6


def test_local_search_never_lowers_the_reward():
    env = Game24()
    reward = Reward(env, None, 0.0, "game24")
    rng = random.Random(0)
    for puzzle in [(3, 3, 8, 8), (4, 7, 8, 8), (1, 2, 3, 4), (2, 5, 7, 9)]:
        for _ in range(20):
            best = rollout(env, None, puzzle, rng, reward)
            for update_best in (True, False):
                found = local_search(env, best, rng, reward, proposals=16, update_best=update_best)
                assert all(t.log_reward >= best.log_reward for t in found)
                assert len({t.key for t in found}) == len(found) and best.key not in {t.key for t in found}
                keep = len(best.steps) // 2
                if not update_best:
                    assert all(t.steps[:keep] == best.steps[:keep] for t in found)


def test_schedules_really_change_over_training():
    beta = Schedule(1.0, 2.0, 0.5)
    assert beta(0.0) == 1.0 and beta(0.25) == 1.5 and beta(0.5) == 2.0 and beta(0.9) == 2.0
    eps = Schedule(0.3, 0.01, 1.0)
    values = [eps(p / 10) for p in range(11)]
    assert values[0] == 0.3 and abs(values[-1] - 0.01) < 1e-12 and all(a > b for a, b in itertools.pairwise(values))
