"""Acceptance tests of Flow of Reasoning's effect at CPU scale (``make test-slow``).

* the quick reproduction: FoR's distinct correct solutions on held-out problems are ≥ 2× every baseline's at
  accuracy within 5 points (Game24, BlocksWorld and ProntoQA, 3 seeds), and FoR's exact law on enumerable puzzles
  is within L1 0.1 of R^β / Z (median over seeds);
* the LLM policy: FoR with a LoRA adapter on SmolLM2-135M raises the exact probability of the goal-reaching plan of
  a BlocksWorld problem from the base model's few percent to more than half (16 updates on CPU, ~1.5 min).
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest


@pytest.mark.slow
def test_quick_reproduction_headline(quick_reproduction):
    rep = quick_reproduction("flowreason")
    for task in ("game24", "blocksworld", "prontoqa"):
        result = rep.result(f"diversity_{task}")
        assert result.values["split"] == "test"
        assert all(r >= 2 for r in result.values["ratios"].values()), (task, result.ours)
        assert result.values["gap"] <= 5, (task, result.ours)
    exact = rep.result("exact_target")
    for puzzle, row in exact.values["puzzles"].items():
        assert sorted(row["after"])[len(row["after"]) // 2] <= 0.1 < min(row["before"]), (puzzle, exact.ours)


@pytest.mark.slow
def test_lora_on_smollm2_learns_blocksworld_plans():
    pytest.importorskip("peft")
    from tenfold.lm.loading import smollm2_gguf_path

    try:
        smollm2_gguf_path()
    except Exception as exc:  # the optional wheel is absent: nothing to test here
        pytest.skip(str(exc))
    import torch

    from tenfold.common.seeding import seed_everything
    from tenfold.flowreason.blocksworld import generate_instances
    from tenfold.flowreason.config import PolicyTrainConfig
    from tenfold.flowreason.reward import Reward
    from tenfold.flowreason.sampling import exact_distribution
    from tenfold.flowreason.trainer import PolicyTrainer, make_env, train_prior

    seed_everything(0)
    env = make_env("blocksworld")
    problem = generate_instances(2, 1, seed=3, slack=0)[0]  # optimal 2, limit 2: a small enumerable tree
    # 16 updates at 3e-4 (rank 8): the goal's probability went 0.036 → 0.71 in the run that set these numbers
    cfg = PolicyTrainConfig(
        task="blocksworld",
        method="for",
        policy="llm",
        epochs=16,
        n_samples=2,
        ls_proposals=2,
        lr=3e-4,
        lora_r=8,
        lora_alpha=16,
        ll_weight=0.0,
    )
    prior = train_prior(env, [problem], cfg)
    reward = Reward(env, None, 0.0, "blocksworld")

    def mass_on_goal(policy) -> float:
        return sum(q for t, q in exact_distribution(env, policy, problem, reward) if t.correct)

    before = mass_on_goal(prior)
    state = PolicyTrainer(env, [problem], replace(cfg), prior).fit()
    after = mass_on_goal(state.policy)
    assert all(math.isfinite(h["loss"]) for h in state.history)
    assert after > max(0.5, before + 0.3), (before, after)
    # the adapter is what moved: with it off, the trained policy is the base model again
    s0 = env.initial(problem)
    acts = env.actions(problem, s0)
    with torch.no_grad():
        torch.testing.assert_close(state.policy.frozen().logits(problem, s0, acts), prior.logits(problem, s0, acts))
