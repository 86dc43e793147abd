"""Replay buffer (capacity, de-duplication, eviction, reward-proportional sampling), local search, schedules."""

from __future__ import annotations

import itertools
import math
import random

import pytest
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


class _FixedScores:
    """A prior whose score of every action is a fixed negative number (an LLM's sequence log-likelihood)."""

    def __init__(self, value: float, raw: bool):
        self.value = value
        self.scores_are_log_likelihoods = raw

    def logits_many(self, items):
        import torch

        return [torch.full((len(acts),), self.value) for _, _, acts in items]

    def frozen(self):
        return self


def test_blocksworld_likelihood_bonus_is_bounded_and_keeps_the_target_on_goals():
    """With a choice-probability prior, a forced move (ℓ = 0) gives a bonus of 1/3 (ℓ shifted by 3 nats), not 10⁶:
    the tempered target stays on goal-reaching plans. With an LLM's raw sequence log-likelihoods, the official −1/ℓ."""
    from tenfold.flowreason.blocksworld import BlocksWorld, generate_instances
    from tenfold.flowreason.env import enumerate_trajectories

    env = BlocksWorld()
    inst = generate_instances(4, 1, seed=0, slack=2)[0]
    trajs = enumerate_trajectories(env, inst)
    choice = Reward(env, _FixedScores(-1.0, raw=False), 1.5, "blocksworld")  # softmax of equal scores: ℓ = −log K
    for t in trajs:
        r_task = math.exp(env.log_reward(inst, t))
        bonus = math.exp(choice(t)) - r_task
        assert 0 < bonus <= 1.5 * len(t.steps) / 3 + 1e-9
    forced = [t for t in trajs if any(len(env.actions(inst, s)) == 1 for s in t.states[:-1])]
    assert forced  # holding a block on a full table etc.: moves with one valid action exist
    logs = [2 * choice(t) for t in trajs]
    top = max(logs)
    mass = sum(math.exp(x - top) for x, t in zip(logs, trajs, strict=True) if t.correct)
    assert mass / sum(math.exp(x - top) for x in logs) > 0.9
    raw = Reward(env, _FixedScores(-4.0, raw=True), 1.5, "blocksworld")
    t = trajs[0]
    assert math.exp(raw(t)) == pytest.approx(math.exp(env.log_reward(inst, t)) + 1.5 * len(t.steps) / 4.0)


def test_policy_completions_take_epsilon_uniform_steps():
    import torch

    class OneAction:  # all mass on the first valid action
        def logits(self, problem, state, acts):
            return torch.tensor([0.0] + [-1e4] * (len(acts) - 1))

    env = Game24()
    reward = Reward(env, None, 0.0, "game24")
    best = rollout(env, None, (4, 7, 8, 8), random.Random(1), reward)
    from tenfold.flowreason.sampling import _complete

    for eps, expect_other in ((0.0, False), (0.5, True)):
        found = set()
        for seed in range(30):
            prefix = Trajectory(best.problem, best.initial, [])
            done = _complete(env, prefix, random.Random(seed), OneAction(), eps)
            found.add(done.steps[0].action)
        first = env.actions(best.problem, best.initial)[0]
        assert (found != {first}) == expect_other


def test_cosine_learning_rate_schedule():
    import torch

    from tenfold.flowreason.config import PolicyTrainConfig
    from tenfold.flowreason.trainer import PolicyTrainer

    class Dummy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

    cfg = PolicyTrainConfig(lr_min_ratio=0.1, prior_steps=0, ll_weight=0.0)
    trainer = PolicyTrainer(Game24(), [(4, 7, 8, 8)], cfg, Dummy())
    values = [trainer.lr_factor(p / 10) for p in range(11)]
    assert values[0] == 1.0 and values[-1] == pytest.approx(0.1) and values[5] == pytest.approx(0.55)
    assert all(a > b for a, b in itertools.pairwise(values))
    flat = PolicyTrainer(Game24(), [(4, 7, 8, 8)], PolicyTrainConfig(lr_schedule="constant", ll_weight=0.0), Dummy())
    assert {flat.lr_factor(p / 10) for p in range(11)} == {1.0}
