"""Exactness of the LaTIM decomposition on random tiny Mamba-1 and Mamba-2 models (``transformers`` modules, untouched):
Σ_j T_i(j) + bias_i equals the module's output (1e-5 relative, float32) and a float64 recurrence (1e-10), causality,
padding invariance, the frozen-ablation identity, and ALTI rows."""

from __future__ import annotations

import pytest
import torch

from tenfold.latim.api import contributions, explain
from tenfold.latim.decompose import blocks
from tenfold.latim.layers import blocks as layers_of
from tenfold.latim.layers import trace
from tenfold.latim.mixers import internals, reference_output
from tenfold.lm.zoo import ModelSpec, build_model

VOCAB = 23


def tiny(family: str, seed: int, groups: int = 1, act: str = "silu", bias: bool = False):
    """A random tiny model with non-trivial dynamics (Δ, D and conv taps away from their inits)."""
    spec = ModelSpec(family, d_model=16, n_layer=2, d_state=4, expand=2, head_dim=8, chunk_size=8, conv_kernel=4)
    model = build_model(spec, VOCAB, 0, seed=seed)
    cfg = model.config
    if family == "mamba2" and groups != 1:
        import transformers as tf

        cfg = tf.Mamba2Config(**{**cfg.to_dict(), "n_groups": groups})
        torch.manual_seed(seed)
        model = tf.Mamba2ForCausalLM(cfg)
    if act != "silu" or bias:
        import transformers as tf

        cls = tf.MambaForCausalLM if family == "mamba" else tf.Mamba2ForCausalLM
        conf = type(cfg)(**{**cfg.to_dict(), "hidden_act": act, "use_bias": bias})
        torch.manual_seed(seed)
        model = cls(conf)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "A_log" in name or name.endswith(".D") or "dt" in name or "conv1d" in name or "bias" in name:
                p.add_(0.3 * torch.randn(p.shape, generator=g))
    return model.eval()


def _ids(seed: int, batch: int, length: int) -> torch.Tensor:
    return torch.randint(1, VOCAB, (batch, length), generator=torch.Generator().manual_seed(seed))


CASES = [("mamba", 1), ("mamba2", 1), ("mamba2", 2), ("mamba2", 4)]


@pytest.mark.parametrize(("family", "groups"), CASES)
@pytest.mark.parametrize("mode", ["post-conv", "frozen"])
def test_contributions_sum_to_the_module_output(family, groups, mode):
    for seed, length in ((0, 1), (1, 7), (2, 33), (3, 64)):
        model = tiny(family, seed, groups)
        ids = _ids(seed, 3, length)
        for lc in contributions(model, ids, mode=mode):
            total = lc.vectors.sum(2) + lc.bias
            err = (total - lc.output).norm() / lc.output.norm().clamp(min=1e-12)
            assert err < 1e-5, (family, groups, mode, seed, length, lc.layer, float(err))
            # causality: nothing from the future
            future = torch.triu(torch.ones(length, length, dtype=torch.bool), diagonal=1)
            assert lc.vectors[:, future].abs().max() == 0 if length > 1 else True


@pytest.mark.parametrize(("family", "groups"), CASES)
@pytest.mark.parametrize("mode", ["post-conv", "frozen"])
def test_float64_decomposition_equals_a_float64_recurrence(family, groups, mode):
    model = tiny(family, 5, groups)
    ids = _ids(5, 2, 40)
    tr = trace(model, ids)
    for layer, block in enumerate(layers_of(model)):
        it = internals(block.mixer, tr.u[layer], None, torch.float64)
        ref = reference_output(it)
        # the float64 recurrence is the module's computation: it matches transformers to float32 precision
        assert (ref.float() - tr.o[layer]).norm() / tr.o[layer].norm() < 1e-5
        for blk in blocks(it, mode, budget_bytes=4096):  # tiny budget: many row blocks
            total = blk.vectors.sum(2) + blk.bias
            err = (total - ref[:, blk.rows]).abs().max() / ref.abs().max()
            assert err < 1e-10, (family, mode, layer, float(err))


def test_a_linear_activation_model_is_decomposed_exactly_through_the_conv():
    for family in ("mamba", "mamba2"):
        model = tiny(family, 6, act="linear", bias=True)
        ids = _ids(6, 2, 20)
        for lc in contributions(model, ids, mode="linear", dtype="float64"):
            assert ((lc.vectors.sum(2) + lc.bias) - lc.output.double()).abs().max() < 1e-5
    from tenfold.common.errors import UserError

    with pytest.raises(UserError, match="linear conv activation"):
        contributions(tiny("mamba", 6), _ids(6, 1, 5), mode="linear")


@pytest.mark.parametrize(("family", "groups"), CASES[:3])
def test_zeroing_a_value_changes_the_output_by_exactly_minus_its_contribution(family, groups):
    model = tiny(family, 7, groups)
    ids = _ids(7, 1, 12)
    tr = trace(model, ids)
    it = internals(layers_of(model)[1].mixer, tr.u[1], None, torch.float64)
    (blk,) = list(blocks(it, "post-conv"))
    base = reference_output(it)
    for j in (0, 5, 11):
        x = it.x.clone()
        x[:, j] = 0  # the value path only: Δ, B, C (and s_i) are kept
        delta = reference_output(it, x) - base
        assert torch.allclose(delta[:, j:], -blk.vectors[:, j:, j], atol=1e-12, rtol=0)
        assert delta[:, :j].abs().max() == 0 if j else True


def test_padding_does_not_change_real_tokens_scores():
    for family, groups in CASES[:3]:
        model = tiny(family, 8, groups)
        real = _ids(8, 1, 10)
        padded = torch.cat([torch.zeros(1, 4, dtype=torch.long), real], 1)
        mask = torch.cat([torch.zeros(1, 4), torch.ones(1, 10)], 1).long()
        for method in ("latim-alti", "latim-l2", "hidden-attention"):
            a = explain(model, real, method=method)
            b = explain(model, padded, method=method, attention_mask=mask)
            assert torch.allclose(b[..., 4:, 4:], a, atol=1e-5), (family, method)
            assert b[..., 4:, :4].abs().max() == 0  # padding is never a source


@pytest.mark.parametrize(
    "method", ["latim-alti", "latim-alti-res", "latim-l1", "latim-l2", "hidden-attention", "latim-alti-rollout"]
)
def test_maps_are_row_stochastic_and_lower_triangular(method):
    model = tiny("mamba2", 9, 2)
    maps = explain(model, _ids(9, 2, 15), method=method)
    assert maps.shape == (2, 2, 15, 15)
    assert (maps >= 0).all()
    assert torch.triu(maps, diagonal=1).abs().max() == 0
    assert torch.allclose(maps.sum(-1), torch.ones(2, 2, 15, dtype=maps.dtype), atol=1e-6)


def test_rows_and_row_blocks_give_the_same_maps():
    model = tiny("mamba", 10)
    ids = _ids(10, 1, 30)
    full = explain(model, ids, method="latim-alti", budget_bytes=1 << 30)
    small = explain(model, ids, method="latim-alti", budget_bytes=2048)
    last = explain(model, ids, method="latim-alti", rows=[-1])
    assert torch.allclose(full, small, atol=1e-6) and torch.allclose(last[0, :, 0], full[0, :, -1], atol=1e-6)
    assert not full.requires_grad


def test_bad_input():
    from tenfold.common.errors import UserError

    model = tiny("mamba", 11)
    with pytest.raises(UserError, match="no tokens"):
        explain(model, torch.zeros(1, 0, dtype=torch.long))
    with pytest.raises(UserError, match="out of range"):
        explain(model, _ids(0, 1, 4), layers=5)
    with pytest.raises(UserError, match="unknown method"):
        explain(model, _ids(0, 1, 4), method="attention")
    gpt = build_model(ModelSpec("gpt2", d_model=16, n_layer=1, n_head=2), VOCAB, 0)
    with pytest.raises(UserError, match="Mamba-1 and Mamba-2"):
        explain(gpt, _ids(0, 1, 4))


@pytest.mark.parametrize("family", ["mamba", "mamba2"])
def test_logit_contributions_of_the_last_layer_sum_to_the_predicted_logit(family):
    """latim-logit's signed parts: residual + Σ_j contributions + bias, projected through the final norm with its
    denominator frozen, give the predicted token's logit exactly."""
    from tenfold.latim.api import _logit_directions

    model = tiny(family, 12)
    ids = _ids(12, 2, 14)
    tr = trace(model, ids)
    (lc,) = contributions(model, ids, layers=-1)
    direction = _logit_directions(model, tr, torch.float32)  # [B, L, d]
    parts = lc.residual + lc.vectors.sum(2) + lc.bias
    logit = (parts * direction).sum(-1)
    expected = tr.logits.max(-1).values
    assert torch.allclose(logit, expected, rtol=1e-4, atol=1e-4)
    maps = explain(model, ids, method="latim-logit", layers=-1)
    assert torch.allclose(maps.sum(-1), torch.ones(2, 1, 14), atol=1e-6)


def test_value_ablation_of_a_linear_activation_model_is_the_norm_of_its_contribution():
    """With an identity activation the value-path ablation is linear in the removed input, so on Mamba-1 its effect
    on the layer's output is exactly ‖T_i(j)‖ through the conv window; the whole-token ablation also changes the
    selection (Δ_j, B_j, C_j), so it is not; and both are causal."""
    from tenfold.latim.evaluate import ablation_effects
    from tenfold.latim.tasks import Example

    model = tiny("mamba", 8, act="linear", bias=True)
    ids = _ids(8, 1, 14)
    e = Example(ids=ids[0].tolist(), rows=[6, 9, 13], sources=[0, 1, 2])
    value = ablation_effects(model, e, layer=1, ablation="value", target="layer")
    (lc,) = contributions(model, ids, mode="linear", layers=1, dtype="float64")
    norms = lc.vectors[0, e.rows].norm(dim=-1).float()  # [rows, L]
    assert torch.allclose(value, norms, rtol=1e-4, atol=1e-6)
    remove = ablation_effects(model, e, layer=1, ablation="remove", target="layer")
    assert not torch.allclose(remove, norms, rtol=1e-2)
    for eff in (value, remove, ablation_effects(model, e, layer=1, ablation="remove", target="prediction")):
        assert eff.shape == (3, 14) and eff[0, 7:].abs().max() == 0 and eff[1, 10:].abs().max() == 0
    with pytest.raises(ValueError, match="ablation must be one of"):
        ablation_effects(model, e, ablation="zero")


@pytest.mark.parametrize("family", ["mamba", "mamba2"])
def test_value_ablation_without_a_removed_token_is_the_module_output(family):
    from tenfold.latim.evaluate import _value_ablated_output

    model = tiny(family, 9, 2 if family == "mamba2" else 1)
    tr = trace(model, _ids(9, 2, 10))
    mixer = layers_of(model)[0].mixer
    it = internals(mixer, tr.u[0], None, torch.float64)
    out = mixer(tr.u[0]).double()
    assert ((_value_ablated_output(it, None) - out).abs().max() / out.abs().max()) < 1e-5


def test_factored_mamba1_mixing_equals_the_direct_exponential():
    """The decay factored through each block's first row equals the r × J × D × N exponential, for gapped rows,
    several blocks and a block that starts at row 0."""
    from tenfold.latim.decompose import _cumsum, _segment_exp, mixing

    model = tiny("mamba", 12)
    tr = trace(model, _ids(12, 2, 40))
    it = internals(layers_of(model)[0].mixer, tr.u[0], None, torch.float64)
    cum = _cumsum(it)
    for rows in ([0, 1, 2], [3, 17, 18, 39], [39], [10, 11, 12, 13, 14, 15]):
        r = torch.tensor(rows)
        width = int(r.max()) + 1
        E = _segment_exp(cum, r, width, torch.float64)
        direct = torch.einsum("bin,bjn,bijdn->bijd", it.C[:, r], it.B[:, :width], E) * it.delta[:, None, :width]
        torch.testing.assert_close(mixing(it, r, width, cum), direct, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("family", ["mamba", "mamba2"])
def test_causal_auc_is_chance_for_a_layer_that_writes_nothing_and_follows_the_effects_otherwise(family):
    """A last mixer whose output projection is zero reads no token: every removal leaves the prediction unchanged and
    the causal AUC is exactly 50 (all ties); otherwise it is the AUC of the removal effects as a map."""
    from tenfold.latim.evaluate import ablation_effects, causal_source_scores, source_scores
    from tenfold.latim.tasks import Example

    model = tiny(family, 3)
    ids = _ids(3, 2, 12)
    exs = [Example(ids=row.tolist(), rows=[5, 8, 11], sources=[1, 4, 9]) for row in ids]
    maps = []
    for e in exs:
        m = torch.zeros(12, 12)
        m[e.rows] = ablation_effects(model, e, layer=-1, ablation="remove", target="prediction")
        maps.append(m)
    assert causal_source_scores(model, exs).auc == pytest.approx(source_scores(maps, exs).auc)
    with torch.no_grad():
        layers_of(model)[-1].mixer.out_proj.weight.zero_()
    assert causal_source_scores(model, exs, layer=-1).auc == 50.0
