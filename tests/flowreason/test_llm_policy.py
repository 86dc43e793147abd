"""The LLM policy (a causal LM scoring each valid action's text, with a LoRA adapter) on a tiny random Llama: its P_F
is the softmax of exact sequence log-probabilities, a fresh adapter equals the base LM (the prior), training moves
only the adapter and the flow head, and a checkpointed run resumes to the same weights."""

from __future__ import annotations

import io
import random
from dataclasses import replace

import pytest
import torch

pytest.importorskip("peft")

from tenfold.common.errors import UserError
from tenfold.flowreason.config import PolicyTrainConfig
from tenfold.flowreason.game24 import Game24
from tenfold.flowreason.llm_policy import OFFICIAL_LORA, LLMPolicy
from tenfold.flowreason.trainer import PolicyTrainer
from tenfold.lm.lora import LoraSpec
from tenfold.lm.scoring import continuation_log_probs_reference
from tenfold.lm.tokenization import char_tokenizer
from tenfold.lm.zoo import ModelSpec, build_model

PUZZLES = [(4, 7, 8, 8), (3, 3, 8, 8)]


TINY_LORA = replace(OFFICIAL_LORA, r=4, alpha=8)


def _policy(seed: int = 0, lora: LoraSpec | None = TINY_LORA) -> LLMPolicy:
    env = Game24()
    texts = [env.prompt(p, env.initial(p)) for p in PUZZLES] + ["0123456789+-*/=() \n:()"]
    tok = char_tokenizer(texts)
    model = build_model(
        ModelSpec("llama", d_model=32, n_layer=2, n_head=4, n_kv_head=2, dropout=0.0), len(tok), 0, seed=seed
    )
    torch.manual_seed(seed)
    return LLMPolicy(env, model, tok, lora)


def _cfg(**kw) -> PolicyTrainConfig:
    base = dict(
        task="game24", method="for", policy="llm", epochs=2, n_samples=2, ls_proposals=2, lr=3e-3, checkpoint_every=1
    )
    return PolicyTrainConfig(**{**base, **kw})


def test_scores_are_sequence_log_probs_of_the_action_text():
    pol = _policy()
    env, p = pol.env, PUZZLES[0]
    s0 = env.initial(p)
    acts = env.actions(p, s0)
    with torch.no_grad():
        scores = pol.logits(p, s0, acts)
        prompt = pol.tokenizer(env.prompt(p, s0), add_special_tokens=False)["input_ids"]
        conts = [pol.tokenizer(env.action_text(a), add_special_tokens=False)["input_ids"] for a in acts]
        ref = continuation_log_probs_reference(pol.lm, prompt, conts)
    assert scores.shape == (len(acts),) and (scores < 0).all()
    torch.testing.assert_close(scores, ref, rtol=1e-5, atol=1e-5)
    # several states in one call: each equals its own call
    s1 = env.step(p, s0, acts[3])
    many = pol.logits_many([(p, s0, acts), (p, s1, env.actions(p, s1)), (p, s0, acts)])
    torch.testing.assert_close(many[1], pol.logits(p, s1, env.actions(p, s1)))
    torch.testing.assert_close(many[2], scores)


def test_a_fresh_adapter_is_the_prior_and_training_moves_only_adapter_and_flow_head():
    prior = _policy()
    env, p = prior.env, PUZZLES[0]
    s0 = env.initial(p)
    acts = env.actions(p, s0)
    base_view = prior.frozen()
    with torch.no_grad():
        before = prior.logits(p, s0, acts)
    torch.testing.assert_close(base_view.logits(p, s0, acts), before)  # LoRA's B = 0 at the start
    trainer = PolicyTrainer(env, PUZZLES, _cfg(), prior)
    names_before = {n: t.clone() for n, t in trainer.policy.named_parameters()}
    state = trainer.fit()
    assert all(torch.isfinite(torch.tensor(h["loss"])) for h in state.history)
    changed = {n for n, t in state.policy.named_parameters() if not torch.equal(t, names_before[n])}
    assert changed and all("lora_" in n or n.startswith("flow_head") for n in changed), changed
    assert any("lora_B" in n for n in changed)
    with torch.no_grad():
        after = state.policy.logits(p, s0, acts)
        # the trained policy differs from its prior; the prior (the reward's likelihood model) did not move
        assert not torch.allclose(after, before)
        torch.testing.assert_close(base_view.logits(p, s0, acts), before)
        # and switching the trained policy's adapter off gives the base LM back
        torch.testing.assert_close(state.policy.frozen().logits(p, s0, acts), before)


def test_pickles_small_and_resumes_exactly(tmp_path):
    from tenfold.common.seeding import seed_everything

    seed_everything(0)
    pol = _policy()
    env, p = pol.env, PUZZLES[0]
    buf = io.BytesIO()
    torch.save(pol, buf)
    buf.seek(0)
    back = torch.load(buf, weights_only=False)
    s0 = env.initial(p)
    with torch.no_grad():
        torch.testing.assert_close(back.logits(p, s0, env.actions(p, s0)), pol.logits(p, s0, env.actions(p, s0)))

    straight = PolicyTrainer(env, PUZZLES, _cfg(epochs=3), pol).fit(tmp_path / "a.pt")

    def interrupt(step, **_):
        if step == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        PolicyTrainer(env, PUZZLES, _cfg(epochs=3), pol).fit(tmp_path / "b.pt", log=interrupt)
    resumed = PolicyTrainer(env, PUZZLES, _cfg(epochs=3), pol).fit(tmp_path / "b.pt")
    assert [h["loss"] for h in resumed.history] == [h["loss"] for h in straight.history]
    for (name, a), (_, b) in zip(straight.policy.named_parameters(), resumed.policy.named_parameters(), strict=True):
        assert torch.equal(a, b), name


def test_bad_input():
    class NoText:
        name = "plain"

    pol = _policy()
    with pytest.raises(UserError, match="no text form"):
        LLMPolicy(NoText(), pol.lm, pol.tokenizer)  # type: ignore[arg-type]
    model = build_model(ModelSpec("gpt2", d_model=32, n_layer=1, n_head=4), 40, 0)
    with pytest.raises(UserError, match="LoRA target modules"):
        LLMPolicy(Game24(), model, pol.tokenizer, LoraSpec(targets=("q_proj",)))
    with pytest.raises(UserError, match="unknown policy"):
        PolicyTrainConfig(policy="gpt").validate()


def test_sampling_uses_the_policy_distribution():
    """Rollouts with the LLM policy draw the first step from softmax(scores): the empirical frequencies of 400 draws
    match it (a chi-square test)."""
    from scipy.stats import chisquare

    from tenfold.flowreason.reward import Reward
    from tenfold.flowreason.sampling import rollouts

    pol = _policy(seed=1)
    env, p = pol.env, PUZZLES[1]
    s0 = env.initial(p)
    acts = env.actions(p, s0)
    with torch.no_grad():
        probs = torch.softmax(pol.logits(p, s0, acts) * 5, -1)  # sharpen (T = 0.2) so the test has power
    trajs = rollouts(env, pol, p, 400, random.Random(0), Reward(env, None, 0.0, "game24"), temperature=0.2)
    counts = torch.zeros(len(acts), dtype=torch.float64)
    for t in trajs:
        counts[acts.index(t.steps[0].action)] += 1
    expected = probs.double() / probs.double().sum() * 400
    keep = expected >= 5  # the chi-square approximation needs ≥ 5 expected per cell: pool the rest
    obs = [*counts[keep].tolist(), float(counts[~keep].sum())]
    exp = [*expected[keep].tolist(), float(expected[~keep].sum())]
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    assert chisquare(obs, exp).pvalue > 1e-3
