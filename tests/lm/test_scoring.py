"""Continuation scores after a shared prompt: the cached batch equals one full forward per continuation, gradients
included, for a tiny random Llama (the SmolLM2 architecture) and GPT-2."""

from __future__ import annotations

import pytest
import torch

from tenfold.lm.scoring import (
    continuation_log_probs,
    continuation_log_probs_reference,
    sequence_log_probs,
    token_log_probs,
)
from tenfold.lm.zoo import ModelSpec, build_model


@pytest.mark.parametrize("family", ["llama", "gpt2"])
def test_cached_batch_equals_full_forwards(family):
    model = build_model(ModelSpec(family, d_model=32, n_layer=2, n_head=4, n_kv_head=2, dropout=0.0), 50, 0, seed=3)
    model.eval()
    prompt = [5, 9, 2, 7, 7, 1]
    conts = [[3], [4, 8, 8], [11, 2], [3, 3, 3, 3, 30]]  # lengths differ: right padding must not leak
    fast, h = continuation_log_probs(model, prompt, conts, hidden=True)
    slow = continuation_log_probs_reference(model, prompt, conts)
    assert fast.shape == (4,) and h is not None and h.shape == (32,)
    torch.testing.assert_close(fast, slow, rtol=1e-5, atol=1e-5)
    # gradients through the repeated prompt cache equal those of the full forwards
    g_fast = torch.autograd.grad(fast.sum(), list(model.parameters()), allow_unused=True)
    g_slow = torch.autograd.grad(
        continuation_log_probs_reference(model, prompt, conts).sum(), list(model.parameters()), allow_unused=True
    )
    for a, b in zip(g_fast, g_slow, strict=True):
        if a is None or b is None:
            assert a is None and b is None
        else:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    # one-token continuations need no second pass, and sum to ≤ 0
    single, _ = continuation_log_probs(model, prompt, [[1], [2], [3]])
    assert (single <= 0).all()
    torch.testing.assert_close(single, continuation_log_probs_reference(model, prompt, [[1], [2], [3]]))


def test_bad_input():
    model = build_model(ModelSpec("llama", d_model=32, n_layer=1, n_head=4, n_kv_head=2), 20, 0)
    with pytest.raises(ValueError, match="prompt"):
        continuation_log_probs(model, [], [[1]])
    with pytest.raises(ValueError, match="continuation"):
        continuation_log_probs(model, [1], [[1], []])


@pytest.mark.parametrize("family", ["gpt2", "llama", "mamba"])
def test_batch_scores_of_different_prompts_equal_one_forward_each(family):
    spec = ModelSpec(family, d_model=32, n_layer=2, n_head=4, n_kv_head=2, dropout=0.0)
    model = build_model(spec, 50, 0, seed=5).eval()
    prompts = [[5, 9, 2], [7], [1, 2, 3, 4, 5, 6, 7], [8, 8]]
    conts = [[3, 4], [4, 8, 8, 9, 10], [11], []]
    lp, mask = token_log_probs(model, prompts, conts)
    assert lp.shape == mask.shape == (4, 5) and mask.sum().item() == 8
    for i, (p, c) in enumerate(zip(prompts, conts, strict=True)):
        if c:
            ref = continuation_log_probs_reference(model, p, [c])[0]
            torch.testing.assert_close(lp[i].sum(), ref, rtol=1e-5, atol=1e-5)
    assert lp[3].eq(0).all()  # an empty continuation scores 0
    sums = sequence_log_probs(model, prompts, conts, batch_size=3)
    means = sequence_log_probs(model, prompts, conts, reduce="mean")
    torch.testing.assert_close(sums, lp.sum(-1))
    torch.testing.assert_close(means[:3], sums[:3] / torch.tensor([2.0, 5.0, 1.0]))
    # differentiable: the gradient of the batch equals the sum of the single-pair gradients
    params = [q for q in model.parameters() if q.requires_grad]
    g_batch = torch.autograd.grad(sequence_log_probs(model, prompts[:3], conts[:3]).sum(), params, allow_unused=True)
    singles = sum(sequence_log_probs(model, [p], [c]).sum() for p, c in zip(prompts[:3], conts[:3], strict=True))
    g_single = torch.autograd.grad(singles, params, allow_unused=True)
    for a, b in zip(g_batch, g_single, strict=True):
        if a is not None and b is not None:
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="reduce"):
        sequence_log_probs(model, prompts, conts, reduce="max")
