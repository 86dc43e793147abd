"""Decoding semantics on an exact toy (a bigram model with hand-set probabilities), then batching invariance and
cache equivalence on random gpt2-tiny / llama-tiny / mamba-tiny models.

The toy: from BOS the next token is A (0.6) or B (0.4); after A the best token has 0.3; after B, C has 0.9. Over two
new tokens greedy takes A then its best (0.6 · 0.3 = 0.18) while a 2-beam search finds B C (0.4 · 0.9 = 0.36).
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.generation import (
    DecodingConfig,
    advance,
    generate,
    nucleus_mask,
    sampling_log_probs,
    select,
    start,
    top_k_mask,
)
from tenfold.lm.zoo import ZOO, build_model

BOS, A, B, C, D, E, EOS = range(7)
V = 7


def _table() -> torch.Tensor:
    probs = torch.full((V, V), 1e-9)
    probs[BOS, [A, B]] = torch.tensor([0.6, 0.4])
    probs[A, [C, D, E, EOS]] = torch.tensor([0.3, 0.25, 0.25, 0.2])
    probs[B, [C, D]] = torch.tensor([0.9, 0.1])
    for t in (C, D, E):
        probs[t, EOS] = 1.0
    probs[EOS, EOS] = 1.0
    return (probs / probs.sum(-1, keepdim=True)).log()


class Bigram(torch.nn.Module):
    """logits[b, t] = log P(· | token t): a causal LM without a cache, with exactly known probabilities."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("table", _table())
        self.config = SimpleNamespace(eos_token_id=EOS)

    def forward(self, input_ids, attention_mask=None, position_ids=None, **_):
        return SimpleNamespace(logits=self.table[input_ids])


def test_greedy_is_the_argmax_path_and_beams_find_the_likelier_one():
    toy = Bigram()
    greedy = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=2))[0]
    assert greedy.ids == [A, C] and math.isclose(math.exp(greedy.logprob), 0.6 * 0.3, rel_tol=1e-5)
    beam = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=2, num_beams=2))[0]
    assert beam.ids == [B, C] and math.isclose(math.exp(beam.logprob), 0.4 * 0.9, rel_tol=1e-5)
    assert not beam.stopped_at_eos
    # with room for EOS both end there; the beam still wins (0.36 vs 0.18, EOS has probability 1 after C)
    long = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=5, num_beams=2))[0]
    assert long.ids == [B, C] and long.stopped_at_eos
    one_beam = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=5, num_beams=1))[0]
    assert one_beam == generate(toy, [[BOS]], DecodingConfig(max_new_tokens=5))[0]


def test_length_penalty_and_min_new_tokens():
    toy = Bigram()
    # after A, EOS (0.2) ends A at two tokens: 0.6·0.2 = 0.12; min_new_tokens=2 forbids EOS as the 2nd token
    free = generate(toy, [[A]], DecodingConfig(max_new_tokens=3))[0]
    assert free.ids == [C] and free.stopped_at_eos
    forced = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=4, min_new_tokens=3))[0]
    assert len(forced.ids) >= 3
    with pytest.raises(ValueError, match="min_new_tokens"):
        DecodingConfig(max_new_tokens=2, min_new_tokens=3)
    with pytest.raises(ValueError, match="num_beams"):
        DecodingConfig(num_beams=2, do_sample=True)
    with pytest.raises(UserError, match="at least one token"):
        generate(toy, [[]])


def test_beam_ranking_divides_by_length_to_the_penalty():
    toy = Bigram()
    # from A: 'C' then EOS (0.3·1 over 2 tokens) vs 'EOS' at once (0.2 over 1 token). Sum: C wins (log .3 > log .2);
    # per token with penalty 1: log(0.3)/2 = -0.60 > log(0.2)/1 = -1.61, still C; penalty 0 ranks by the sum.
    for penalty in (0.0, 1.0):
        out = generate(toy, [[A]], DecodingConfig(max_new_tokens=3, num_beams=2, length_penalty=penalty))[0]
        assert out.ids == [C] and out.stopped_at_eos
        n = len(out.ids) + 1
        assert math.isclose(out.score, out.logprob / n**penalty, rel_tol=1e-6)


def test_top_k_and_nucleus_supports_are_exact():
    probs = torch.tensor([[0.5, 0.05, 0.2, 0.15, 0.1]])
    logits = probs.log()
    assert top_k_mask(logits, 2).tolist() == [[True, False, True, False, False]]
    assert top_k_mask(logits, 0).all() and top_k_mask(logits, 9).all()
    # smallest set with mass ≥ p: 0.5 | 0.5+0.2 | 0.5+0.2+0.15 | … (ranked 0, 2, 3, 4, 1)
    expect = {0.5: [0], 0.6: [0, 2], 0.7: [0, 2], 0.71: [0, 2, 3], 0.9: [0, 2, 3, 4], 0.96: [0, 1, 2, 3, 4]}
    for p, kept in expect.items():
        assert torch.nonzero(nucleus_mask(logits, p)[0]).flatten().tolist() == kept, p
    cfg = DecodingConfig(do_sample=True, top_k=3, top_p=0.6)
    lp = sampling_log_probs(logits, cfg)
    assert torch.isinf(lp[0, [1, 3, 4]]).all()  # top-3 {0, 2, 3} renormalised, then mass ≥ 0.6: {0, 2}
    torch.testing.assert_close(lp[0, [0, 2]].exp(), torch.tensor([0.5, 0.2]) / 0.7)


def test_sampling_follows_the_distribution_and_a_tiny_temperature_is_greedy():
    toy = Bigram()
    outs = generate(toy, [[BOS]] * 2000, DecodingConfig(max_new_tokens=1, do_sample=True))
    share_a = sum(o.ids == [A] for o in outs) / len(outs)
    assert abs(share_a - 0.6) < 4 * math.sqrt(0.24 / 2000)  # a 4σ band around P(A) = 0.6
    # equal prompts get distinct streams (their occurrence number is part of the seed)
    assert len({tuple(o.ids) for o in outs}) == 2
    greedy = generate(toy, [[BOS], [A], [B]], DecodingConfig(max_new_tokens=3))
    for seed in range(5):
        cold = generate(
            toy, [[BOS], [A], [B]], DecodingConfig(max_new_tokens=3, do_sample=True, temperature=1e-3, seed=seed)
        )
        assert [c.ids for c in cold] == [g.ids for g in greedy]
    zero = generate(toy, [[BOS]], DecodingConfig(max_new_tokens=3, do_sample=True, temperature=0))
    assert zero[0].ids == greedy[0].ids


def _tiny(name: str) -> torch.nn.Module:
    spec = ZOO.get(name)
    from dataclasses import replace

    return build_model(replace(spec, n_layer=2, dropout=0.0), vocab_size=97, eos_id=96, seed=3).eval()


PROMPTS = [[5, 17, 3], [9, 9, 40, 2, 71, 33, 8], [60], [12, 44, 44, 1, 90]]


@pytest.mark.parametrize("name", ["gpt2-tiny", "llama-tiny", "mamba-tiny", "mamba2-tiny"])
@pytest.mark.parametrize("sample", [False, True], ids=["greedy", "sampled"])
def test_a_continuation_does_not_depend_on_batching_order_or_the_cache(name, sample):
    model = _tiny(name)
    cfg = DecodingConfig(max_new_tokens=12, do_sample=sample, temperature=1.5, seed=7, eos_token_id=96)
    alone = [generate(model, [p], cfg)[0].ids for p in PROMPTS]
    together = [c.ids for c in generate(model, PROMPTS, cfg)]
    reverse = [c.ids for c in generate(model, PROMPTS[::-1], cfg)][::-1]
    pairs = [c.ids for c in generate(model, PROMPTS, DecodingConfig(**{**cfg.__dict__, "batch_size": 2}))]
    no_cache = [c.ids for c in generate(model, PROMPTS, DecodingConfig(**{**cfg.__dict__, "use_cache": False}))]
    assert together == alone == reverse == pairs == no_cache
    assert all(len(ids) == 12 for ids in alone)  # a random model never ends on its one EOS id by chance here


def test_left_padded_logits_equal_the_prompt_alone():
    # the pitfall the positions fix: gpt2-tiny's learned positions would shift with the padding
    model = _tiny("gpt2-tiny")
    batch = start(model, PROMPTS, pad_id=0)
    for i, p in enumerate(PROMPTS):
        torch.testing.assert_close(batch.logits[i], start(model, [p]).logits[0], atol=1e-5, rtol=1e-5)


def test_the_step_api_drives_two_states_with_the_same_tokens():
    # context-aware decoding's loop: one state with a context, one without, advanced together
    model = _tiny("llama-tiny")
    with_ctx = start(model, [[4, 8, 15, 16, 23, 42]])
    without = start(model, [[23, 42]])
    for _ in range(4):
        mixed = 2 * torch.log_softmax(with_ctx.logits, -1) - torch.log_softmax(without.logits, -1)
        tok = mixed.argmax(-1)
        with_ctx, without = advance(model, with_ctx, tok), advance(model, without, tok)
    assert with_ctx.tokens.shape == (1, 10) and without.tokens.shape == (1, 6)
    # the cached state equals a fresh start on the same tokens
    torch.testing.assert_close(with_ctx.logits, start(model, with_ctx.tokens.tolist()).logits, atol=1e-5, rtol=1e-5)
    # select repeats rows (and their cache) for beams
    twice = select(start(model, [[1, 2, 3]]), torch.tensor([0, 0]))
    stepped = advance(model, twice, torch.tensor([5, 6]))
    torch.testing.assert_close(stepped.logits[1], start(model, [[1, 2, 3, 6]]).logits[0], atol=1e-5, rtol=1e-5)
