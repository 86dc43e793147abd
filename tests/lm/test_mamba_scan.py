"""Exact identities of the fast Mamba-1 scan: against the plain recurrence, its own gradients (gradcheck), and
``transformers``' own scan inside a real ``MambaForCausalLM`` (forward, gradients, cached generation)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from tenfold.lm import mamba_scan
from tenfold.lm.mamba_scan import SelectiveScan, reference_selective_scan
from tenfold.lm.zoo import ModelSpec, build_model


def _inputs(b=2, d=3, n=4, length=9, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    u = torch.randn(b, d, length, generator=g, dtype=dtype)
    delta = F.softplus(torch.randn(b, d, length, generator=g, dtype=dtype))
    A = -torch.rand(d, n, generator=g, dtype=dtype) * 3
    B = torch.randn(b, n, length, generator=g, dtype=dtype)
    C = torch.randn(b, n, length, generator=g, dtype=dtype)
    return [t.requires_grad_() for t in (u, delta, A, B, C)]


def test_forward_equals_recurrence():
    args = _inputs()
    y, last = SelectiveScan.apply(*args)
    y_ref, last_ref = reference_selective_scan(*args)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(last, last_ref, rtol=0, atol=1e-12)


def test_backward_passes_gradcheck():
    assert torch.autograd.gradcheck(SelectiveScan.apply, _inputs(length=6))


def test_backward_equals_autograd_of_recurrence():
    args = _inputs(seed=1)
    ref_args = [a.detach().clone().requires_grad_() for a in args]
    w = torch.randn(2, 3, 9, dtype=torch.float64)
    y, last = SelectiveScan.apply(*args)
    ((y * w).sum() + last.square().sum()).backward()
    y_r, last_r = reference_selective_scan(*ref_args)
    ((y_r * w).sum() + last_r.square().sum()).backward()
    for a, r in zip(args, ref_args, strict=True):
        torch.testing.assert_close(a.grad, r.grad, rtol=1e-10, atol=1e-10)


def test_inference_path_without_grad_matches():
    args = [a.detach() for a in _inputs(seed=2)]
    with torch.no_grad():
        y, last = SelectiveScan.apply(*args)
    y_ref, last_ref = reference_selective_scan(*args)
    torch.testing.assert_close(y, y_ref, rtol=0, atol=1e-12)
    torch.testing.assert_close(last, last_ref, rtol=0, atol=1e-12)


def _model(seed=0):
    return build_model(ModelSpec("mamba", d_model=32, n_layer=2, d_state=8), 97, 0, seed=seed)


def test_hf_model_logits_and_grads_match_transformers_scan():
    assert mamba_scan.is_installed()  # building a Mamba-1 model installs the fast scan
    model = _model()
    ids = torch.randint(0, 97, (3, 40), generator=torch.Generator().manual_seed(0))
    out = model(input_ids=ids, labels=ids)
    out.loss.backward()
    fast_grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    with mamba_scan.hf_reference_scan():
        assert not mamba_scan.is_installed()
        ref = model(input_ids=ids, labels=ids)
        ref.loss.backward()
    assert mamba_scan.is_installed()
    assert (out.logits - ref.logits).abs().max() <= 1e-5
    for name, p in model.named_parameters():
        torch.testing.assert_close(fast_grads[name], p.grad, rtol=1e-4, atol=1e-6, msg=name)


def test_cached_generation_matches_transformers_scan():
    model = _model(seed=1).eval()
    prompt = torch.randint(1, 97, (2, 12), generator=torch.Generator().manual_seed(1))
    kwargs = {"max_new_tokens": 10, "do_sample": False, "pad_token_id": 0}
    fast = model.generate(prompt, **kwargs)
    with mamba_scan.hf_reference_scan():
        ref = model.generate(prompt, **kwargs)
    assert torch.equal(fast, ref)


def test_install_is_idempotent_and_reversible():
    mamba_scan.install()
    mamba_scan.install()
    assert mamba_scan.is_installed()
    mamba_scan.uninstall()
    assert not mamba_scan.is_installed()
    mamba_scan.install()
    assert mamba_scan.is_installed()
