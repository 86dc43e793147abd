"""Pruning identities and exact parameter accounting; the layer score on a hand-set one-layer toy equals a
brute-force count and ignores prompt positions."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from tenfold.common.errors import UserError
from tenfold.lm.zoo import ZOO, build_model
from tenfold.pipkag.layers import activated_fraction, ffn_sites, prune_layers, removed_fraction


def _llama(n_layer: int = 4):
    return build_model(replace(ZOO.get("llama-tiny"), n_layer=n_layer, dropout=0.0), 97, 96, seed=0).eval()


def test_a_pruned_layer_computes_h_plus_attention_only():
    model = _llama()
    layer = model.model.layers[1]
    h = torch.randn(1, 7, 128)
    pos = torch.arange(7)[None]
    emb = model.model.rotary_emb(h, pos)
    attn_only = h + layer.self_attn(layer.input_layernorm(h), position_embeddings=emb, attention_mask=None)[0]
    removed = prune_layers(model, [1])
    out = layer(h, position_embeddings=emb, attention_mask=None, position_ids=pos)
    out = out[0] if isinstance(out, tuple) else out
    assert (out - attn_only).abs().max().item() < 1e-6
    # llama-tiny: 3 · 128 · 352 + 128 per layer
    assert removed == 3 * 128 * 352 + 128 == 135_168 + 128
    assert model.config.pipkag_pruned_layers == [1]


def test_the_dial_interpolates_between_original_and_pruned():
    ids = torch.tensor([[5, 9, 14, 2, 33]])
    base = _llama()(input_ids=ids).logits
    one = _llama()
    prune_layers(one, [0, 2], lam=1.0)
    torch.testing.assert_close(one(input_ids=ids).logits, base, rtol=0, atol=0)
    soft, hard = _llama(), _llama()
    prune_layers(soft, [0, 2], lam=1e-12)
    prune_layers(hard, [0, 2], lam=0.0)
    # λ → 0 is pruning: the FFN's norm is gone in the hard cut, but its output is scaled to nothing in the soft one
    torch.testing.assert_close(soft(input_ids=ids).logits, hard(input_ids=ids).logits, rtol=0, atol=1e-5)
    assert sum(p.numel() for p in hard.parameters()) == sum(p.numel() for p in _llama().parameters()) - 2 * 135_296


def test_llama3_8b_config_with_six_layers_pruned_loses_13_16_percent():
    from tenfold.pipkag.layers import llama3_8b_config

    assert removed_fraction(llama3_8b_config(), 6) * 100 == pytest.approx(13.16, abs=0.05)


def test_the_score_of_a_hand_set_layer_equals_a_brute_force_count():
    """One Llama layer whose gate weights are set by hand: the activated share equals a direct count of the neurons
    whose SiLU(gate) summed over the answer positions is positive; prompt positions do not matter."""
    model = _llama(n_layer=1)
    site = ffn_sites(model)[0]
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        site.layer.mlp.gate_proj.weight.copy_(torch.randn(352, 128, generator=g))
    ids = torch.tensor([3, 17, 42, 8, 60, 11])
    answer = torch.tensor([False, False, False, True, True, True])
    got = activated_fraction(model, ids, answer)[0].item()
    # brute force: rebuild the FFN input by hand
    acts = []
    site.layer.mlp.register_forward_hook(lambda m, i, o: acts.append(i[0]))
    model(input_ids=ids[None])
    x = acts[0][0]  # [T, d]: the FFN's input (after its norm)
    a = torch.nn.functional.silu(x @ site.layer.mlp.gate_proj.weight.T)
    expect = sum(1 for j in range(352) if a[3:, j].sum() > 0) / 352
    assert got == pytest.approx(expect)

    # activations at prompt positions do not count: forcing them all positive leaves the score as it was
    def force_prompt(_module, _inputs, output):
        output = output.clone()
        output[:, :3] = 1000.0
        return output

    handle = site.activation.register_forward_hook(force_prompt)  # runs before the scorer's own hook
    try:
        assert activated_fraction(model, ids, answer)[0].item() == pytest.approx(got)
        assert activated_fraction(model, ids, torch.ones(6, dtype=torch.bool))[0].item() == 1.0
    finally:
        handle.remove()


def test_bad_input():
    with pytest.raises(UserError, match="layer 9 does not exist"):
        prune_layers(_llama(), [9])
    with pytest.raises(UserError, match="λ must be in"):
        prune_layers(_llama(), [0], lam=1.5)
    mamba = build_model(replace(ZOO.get("mamba-tiny"), n_layer=1), 97, 96)
    with pytest.raises(UserError, match="recognises"):
        ffn_sites(mamba)
