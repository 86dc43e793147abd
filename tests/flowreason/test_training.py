"""Training end to end on tiny configs: the parent-counting backward policy recovers R/Z on a DAG, every method runs,
checkpoints resume to the same result, and the samples counted are the samples drawn."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import replace

import pytest
import torch

from tenfold.flowreason.config import PolicyTrainConfig
from tenfold.flowreason.policy import TabularPolicy
from tenfold.flowreason.sampling import rollouts
from tenfold.flowreason.trainer import PolicyTrainer

from .toy_dag import ChooseSubset


def _terminal_law(env, policy, n=4000, seed=0):
    trajs = rollouts(env, policy, None, n, random.Random(seed), _NoPrior(env))
    return Counter(t.final for t in trajs), trajs


class _NoPrior:
    def __init__(self, env):
        self.env = env

    def prefetch(self, trajs):
        pass

    def __call__(self, traj):
        return self.env.log_reward(None, traj)


def _exact_terminal_law(env, policy):
    """P(terminal set) by summing P_F over all orders (exact)."""
    from tenfold.flowreason.env import enumerate_trajectories

    law: dict = {}
    for t in enumerate_trajectories(env, None):
        lp, state = 0.0, t.initial
        for step in t.steps:
            acts = env.actions(None, state)
            with torch.no_grad():
                lp += float(torch.log_softmax(policy.logits(None, state, acts), -1)[acts.index(step.action)])
            state = step.state
        law[t.final[0]] = law.get(t.final[0], 0.0) + math.exp(lp)
    return law


def test_tb_with_the_uniform_backward_policy_learns_r_over_z_on_a_dag():
    env = ChooseSubset(n=4, m=3)
    cfg = PolicyTrainConfig(
        task="game24",
        method="tb",
        objective="tb",
        backward="uniform",
        policy="tabular",
        epochs=300,
        lr_schedule="constant",
        n_samples=8,
        lr=0.05,
        logz_lr=0.1,
        beta_start=1.0,
        beta_end=1.0,
        ll_weight=0.0,
        epsilon_start=0.2,
        epsilon_end=0.2,
        temperature_start=1.0,
        temperature_end=1.0,
    )
    trainer = PolicyTrainer(env, [None], cfg, TabularPolicy(env))
    trainer.fit()
    law = _exact_terminal_law(env, trainer.policy)
    z = sum(env.rewards.values())
    l1 = sum(abs(law[s] - r / z) for s, r in env.rewards.items())
    assert l1 < 0.05, l1
    # with P_B = 1 (the tree view) the same training over-weights sets reachable along more orders: ∝ k! R, not R
    tree = PolicyTrainer(env, [None], replace(cfg, backward="tree"), TabularPolicy(env))
    tree.fit()
    law_tree = _exact_terminal_law(env, tree.policy)
    zk = sum(math.factorial(len(s)) * r for s, r in env.rewards.items())
    assert sum(abs(law_tree[s] - math.factorial(len(s)) * r / zk) for s, r in env.rewards.items()) < 0.05
    assert sum(abs(law_tree[s] - r / z) for s, r in env.rewards.items()) > 0.2


def _tiny(method: str, epochs: int) -> PolicyTrainConfig:
    return PolicyTrainConfig(
        task="game24",
        method=method,
        epochs=epochs,
        checkpoint_every=2,
        prior_steps=3,
        d_model=16,
        n_layers=1,
        ls_proposals=4,
        n_samples=3,
    )


def test_every_method_runs_and_counts_the_samples_it_draws():
    from tenfold.flowreason.trainer import make_env, train_prior

    env = make_env("game24")
    problems = [(4, 7, 8, 8), (3, 3, 8, 8)]
    prior = train_prior(env, problems, _tiny("for", 1))
    expected = {"for": None, "tb": 2 * 2 * 3, "reinforce": 2 * 2 * 3, "ppo": 2 * 2 * 3, "sft": 0}
    for method, samples in expected.items():
        trainer = PolicyTrainer(env, problems, _tiny(method, 2), prior)
        state = trainer.fit()
        assert len(state.history) == 2 and all(math.isfinite(h["loss"]) for h in state.history)
        # the cosine schedule set both parameter groups' rates for the last epoch (progress 1/2)
        lrs = [g["lr"] for g in state.optimizer.param_groups]
        assert lrs == [pytest.approx(r * trainer.lr_factor(0.5)) for r in (trainer.cfg.lr, trainer.cfg.logz_lr)]
        assert trainer.lr_factor(0.5) < 1
        if samples is not None:
            assert state.samples == samples, method
        else:  # FoR: on-policy batches plus local-search proposals; replayed batches cost nothing
            assert state.samples % (3 + 4) == 0 and 0 < state.samples <= 2 * 2 * (3 + 4)


def test_a_resumed_run_equals_an_uninterrupted_one(tmp_path):
    from tenfold.common.seeding import seed_everything
    from tenfold.flowreason.trainer import make_env, train_prior

    seed_everything(0)  # deterministic kernels: CPU gradient sums are otherwise thread-order dependent
    env = make_env("game24")
    problems = [(4, 7, 8, 8), (1, 5, 5, 5)]
    prior = train_prior(env, problems, _tiny("for", 1))
    straight = PolicyTrainer(env, problems, _tiny("for", 4), prior).fit(tmp_path / "a.pt")

    def interrupt(step, **_):
        if step == 3:  # after the epoch-2 checkpoint, during epoch 3
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        PolicyTrainer(env, problems, _tiny("for", 4), prior).fit(tmp_path / "b.pt", log=interrupt)
    resumed = PolicyTrainer(env, problems, _tiny("for", 4), prior).fit(tmp_path / "b.pt")
    assert resumed.epoch == straight.epoch == 4 and resumed.samples == straight.samples
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    for (name, a), (_, b) in zip(
        straight.policy.state_dict().items(), resumed.policy.state_dict().items(), strict=True
    ):
        assert torch.equal(a, b), name
