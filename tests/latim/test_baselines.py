"""Gradient baselines: the functional forward reproduces the model's logits; gradient × input and Mamba-LRP give
causal, row-stochastic maps; Mamba-LRP conserves relevance through a mixer (its rules make the output linear in the
values)."""

from __future__ import annotations

import pytest
import torch

from tenfold.latim.api import explain
from tenfold.latim.baselines import functional_forward
from tenfold.latim.layers import blocks, trace
from tenfold.latim.mixers import internals, reference_output

from .test_decompose import _ids, tiny


@pytest.mark.parametrize("family", ["mamba", "mamba2"])
def test_functional_forward_reproduces_the_logits(family):
    model = tiny(family, 1)
    ids = _ids(1, 2, 17)
    with torch.no_grad():
        ours, _ = functional_forward(model, ids)
        theirs = model(input_ids=ids).logits
        lrp, _ = functional_forward(model, ids, lrp=True)  # the rules change gradients, never values
    assert torch.allclose(ours, theirs, atol=1e-4, rtol=1e-4)
    assert torch.allclose(lrp, theirs, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("method", ["grad-input", "mamba-lrp"])
def test_gradient_maps_are_causal_and_row_stochastic(method):
    model = tiny("mamba2", 2, 2)
    maps = explain(model, _ids(2, 2, 9), method=method)
    assert maps.shape == (2, 2, 9, 9) and (maps >= 0).all()
    assert torch.triu(maps, diagonal=1).abs().max() == 0
    assert torch.allclose(maps.sum(-1), torch.ones(2, 2, 9), atol=1e-6)
    last = explain(model, _ids(2, 2, 9), method=method, rows=[8])
    assert torch.allclose(last[:, :, 0], maps[:, :, 8], atol=1e-6)


@pytest.mark.parametrize("family", ["mamba", "mamba2"])
def test_lrp_conserves_relevance_through_a_mixer(family):
    """Under the rules the mixer output is linear in its input u: Σ_j u_j · ∂o_i/∂u_j = o_i (no bias, no
    in_proj bias, conv bias zeroed)."""
    model = tiny(family, 3)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "conv1d.bias" in name:
                p.zero_()
    ids = _ids(3, 1, 8)
    tr = trace(model, ids)
    mixer = blocks(model)[0].mixer
    u = tr.u[0].clone().requires_grad_(True)
    o = reference_output(internals(mixer, u, None, torch.float32, lrp=True))
    target = o[0, 5].sum()
    (g,) = torch.autograd.grad(target, u)
    assert torch.allclose((g * u).sum(), target, rtol=1e-4, atol=1e-5)
