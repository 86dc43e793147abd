"""Gradient baselines: gradient × input per layer, and Mamba-LRP (Jafari et al., NeurIPS 2024).

Both explain the logit of the token the model predicts at target i, f_i = logit_i[argmax], and score source j at
layer ℓ by the relevance that reaches that layer's residual-stream input: c^ℓ_ij = |Σ_d h^ℓ_j[d] ∂f_i/∂h^ℓ_j[d]|, rows
normalised over j ≤ i. ``grad-input`` differentiates the model as it is; ``mamba-lrp`` differentiates it under
Mamba-LRP's propagation rules, which make gradient × input conserve relevance: the RMSNorm denominators (block norms,
the final norm, Mamba-2's gated norm) and the selection Δ, B, C are detached, SiLU(v) is v · σ(v) with σ detached, and
the gate product splits its relevance in half (:func:`~.mixers.internals`, ``lrp=True``). The published Mamba-LRP
covers Mamba-1; the same rules are applied to Mamba-2 here.

The forward is re-built from the module weights (:mod:`.mixers`) and checked against the model's own logits in the
tests; one backward pass per target row.
"""

from __future__ import annotations

from typing import Any

import torch

from tenfold.latim.layers import backbone, blocks
from tenfold.latim.mixers import internals, reference_output
from tenfold.latim.scores import normalise_rows


def _rms(norm: Any, h: torch.Tensor, detach: bool) -> torch.Tensor:
    denom = torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + norm.variance_epsilon)
    return norm.weight * h * (denom.detach() if detach else denom)


def functional_forward(
    model: Any,
    ids: torch.Tensor,
    mask: torch.Tensor | None = None,
    lrp: bool = False,
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Logits [B, L, V] and each block's residual input h^ℓ [B, L, d] (in the graph), from the weights."""
    bb = backbone(model)
    h = bb.embeddings(ids).float()
    h_ins = []
    for block in blocks(model):
        h_ins.append(h)
        it = internals(block.mixer, _rms(block.norm, h, lrp), mask, torch.float32, lrp=lrp)
        h = h + reference_output(it)
    h = _rms(bb.norm_f, h, lrp)
    head = model.lm_head if hasattr(model, "lm_head") else None
    logits = h @ (head.weight if head is not None else bb.embeddings.weight).T
    return logits, h_ins


def gradient_maps(
    model: Any,
    ids: torch.Tensor,
    mask: torch.Tensor | None,
    layers: list[int],
    rule: str = "plain",
    rows: list[int] | None = None,
) -> torch.Tensor:
    """[B, len(layers), T, L] maps of gradient × input (``plain``) or Mamba-LRP (``lrp``)."""
    length = ids.shape[1]
    targets = torch.arange(length) if rows is None else torch.as_tensor(rows, dtype=torch.long)
    with torch.enable_grad():
        logits, h_ins = functional_forward(model, ids, mask, lrp=rule == "lrp")
        picked = logits.argmax(-1)  # [B, L]: the predicted token at each target
        inputs = [h_ins[layer] for layer in layers]
        out = torch.zeros(ids.shape[0], len(layers), targets.numel(), length)
        for k, i in enumerate(targets.tolist()):
            f = logits[:, i].gather(-1, picked[:, i, None]).sum()
            grads = torch.autograd.grad(f, inputs, retain_graph=True)
            for n, (g, h) in enumerate(zip(grads, inputs, strict=True)):
                out[:, n, k] = (g * h).sum(-1).abs().detach()
    maps = torch.stack([normalise_rows(out[:, n], targets) for n in range(len(layers))], 1)
    if mask is not None:
        maps = maps * mask[:, None, None, :].to(maps.dtype)
    return maps
