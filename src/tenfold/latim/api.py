"""The user-facing API: ``contributions`` (the vectors) and ``explain`` (scalar maps, LaTIM or a baseline).

>>> maps = explain(model, input_ids, method="latim-alti")        # [layers, L, L] for one sequence
>>> per_layer = contributions(model, input_ids, mode="frozen")    # one LayerContributions per layer

Methods (``METHODS``): ``latim-l1``, ``latim-l2``, ``latim-alti`` (mixer output), ``latim-alti-res`` (with the
residual stream), ``latim-alti-rollout`` (rollout of ``latim-alti-res`` across layers), ``latim-logit`` (|each
contribution's effect on the logit of the predicted token|, through the final norm with its denominator frozen: the
direct path of ALTI-Logit, exact for the last layer; earlier layers' effects through later mixers are not routed),
and the baselines
``hidden-attention`` (Ali et al. 2024: |M_ij| averaged over channels or heads, no D, gate, value or W_out),
``grad-input`` and ``mamba-lrp`` (:mod:`.baselines`). Every map is row-normalised over j ≤ i.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from tenfold.common.errors import UserError
from tenfold.latim.decompose import MODES, blocks
from tenfold.latim.layers import blocks as model_blocks
from tenfold.latim.layers import check_ids, check_layers, trace
from tenfold.latim.methods import METHODS
from tenfold.latim.mixers import internals
from tenfold.latim.scores import normalise_rows, raw_scores, rollout


@dataclass
class LayerContributions:
    """The decomposition of one layer on a batch."""

    layer: int
    rows: torch.Tensor
    """[T] target positions."""
    vectors: torch.Tensor
    """[B, T, L, d_model] T_i(j): zero for j > i and for padding sources."""
    bias: torch.Tensor
    """[B, T, d_model] the bias bucket."""
    output: torch.Tensor
    """[B, T, d_model] the mixer output o_i as ``transformers`` computed it (Σ_j vectors + bias reproduces it)."""
    residual: torch.Tensor
    """[B, T, d_model] the block's residual-stream input h_in,i."""


def _dtype(dtype: Any) -> torch.dtype:
    if dtype is None:
        return torch.float32  # transformers runs the scan in float32 whatever the model's dtype
    if isinstance(dtype, str):
        if dtype not in ("float32", "float64"):
            raise UserError(f"dtype must be float32 or float64, not '{dtype}'")
        return getattr(torch, dtype)
    return dtype


@torch.no_grad()
def _layer_internals(model: Any, tr, layer: int, mask: torch.Tensor | None, dtype: torch.dtype):
    mixer = model_blocks(model)[layer].mixer
    return internals(mixer, tr.u[layer], mask, dtype)


@torch.no_grad()
def contributions(
    model: Any,
    input_ids: Any,
    mode: str = "post-conv",
    layers: int | Sequence[int] | None = None,
    rows: Sequence[int] | None = None,
    dtype: Any = None,
    attention_mask: Any = None,
    budget_bytes: int = 256 << 20,
) -> list[LayerContributions]:
    """The contribution vectors of every (or the given) layer: see :class:`LayerContributions`.

    Args:
        model: a ``transformers`` ``MambaForCausalLM`` / ``Mamba2ForCausalLM`` (or their backbones).
        input_ids: [L] or [B, L] token ids.
        mode: post-conv (default), frozen or linear (see :mod:`.decompose`).
        layers: layer indices (default all).
        rows: target positions (default all).
        dtype: float32 (default) or float64 (audits).
        attention_mask: [B, L] 1 for tokens, 0 for padding.
        budget_bytes: memory for one row block's temporaries.
    """
    if mode not in MODES:
        raise UserError(f"unknown LaTIM mode '{mode}' (choose from {', '.join(MODES)})")
    ids, mask, _ = check_ids(input_ids, attention_mask)
    idx = check_layers(model, layers)
    dt = _dtype(dtype)
    tr = trace(model, ids, mask)
    out = []
    length = ids.shape[1]
    for layer in idx:
        it = _layer_internals(model, tr, layer, mask, dt)
        parts = list(blocks(it, mode, rows, budget_bytes))
        target = torch.cat([p.rows for p in parts])
        vec = torch.zeros(ids.shape[0], target.numel(), length, it.W_out.shape[0], dtype=dt)
        at = 0
        for p in parts:
            vec[:, at : at + p.rows.numel(), : p.vectors.shape[2]] = p.vectors
            at += p.rows.numel()
        bias = torch.cat([p.bias for p in parts], 1)
        out.append(
            LayerContributions(
                layer, target, vec, bias, tr.o[layer][:, target].to(dt), tr.h_in[layer][:, target].to(dt)
            )
        )
    return out


def explain(
    model: Any,
    input_ids: Any,
    method: str = "latim-alti",
    layers: int | Sequence[int] | None = None,
    mode: str = "post-conv",
    rows: Sequence[int] | None = None,
    attention_mask: Any = None,
    dtype: Any = None,
    budget_bytes: int = 256 << 20,
) -> torch.Tensor:
    """Interaction maps ``maps[layer, i, j]`` (``[B, layers, T, L]`` for a batch), rows normalised over j ≤ i.

    ``rows`` restricts the targets (e.g. ``[-1]``-style retrieval: only the last position), computed row-blocked so that
    memory stays O(block · L · d). Rollout needs all rows and all layers up to the last one asked for.
    """
    return explain_all(model, input_ids, (method,), layers, mode, rows, attention_mask, dtype, budget_bytes)[method]


def explain_all(
    model: Any,
    input_ids: Any,
    methods: Sequence[str],
    layers: int | Sequence[int] | None = None,
    mode: str = "post-conv",
    rows: Sequence[int] | None = None,
    attention_mask: Any = None,
    dtype: Any = None,
    budget_bytes: int = 256 << 20,
) -> dict[str, torch.Tensor]:
    """:func:`explain` for several methods at once: one forward, and one decomposition per layer shared by every
    LaTIM score and hidden attention."""
    for method in methods:
        if method not in METHODS:
            raise UserError(f"unknown method '{method}' (choose from {', '.join(METHODS)})")
    ids, mask, single = check_ids(input_ids, attention_mask)
    idx = check_layers(model, layers)
    length = ids.shape[1]
    if rows is not None:
        rows = [r % length if -length <= r < length else r for r in rows]
    out: dict[str, torch.Tensor] = {}
    for method in methods:
        if method in ("grad-input", "mamba-lrp"):
            from tenfold.latim.baselines import gradient_maps

            out[method] = gradient_maps(
                model, ids, mask, idx, rule="lrp" if method == "mamba-lrp" else "plain", rows=rows
            )
    local = [m for m in methods if m not in out]
    if local:
        dt = _dtype(dtype)
        tr = trace(model, ids, mask)
        scored = [m for m in local if m != "latim-alti-rollout"]
        if "latim-alti-rollout" in local and "latim-alti-res" not in scored:
            scored.append("latim-alti-res")
        upto = max(idx) + 1 if "latim-alti-rollout" in local else 0
        per_layer = {
            layer: _maps(model, tr, layer, mask, dt, scored, mode, None if layer < upto else rows, budget_bytes)
            for layer in sorted(set(idx) | set(range(upto)))
        }
        for m in local:
            if m == "latim-alti-rollout":
                full = torch.stack([per_layer[layer]["latim-alti-res"] for layer in range(upto)], 1)
                rolled = rollout(full)[:, idx]
                out[m] = rolled if rows is None else rolled[:, :, torch.as_tensor(rows)]
            else:
                out[m] = torch.stack([_rows(per_layer[layer][m], rows, layer < upto) for layer in idx], 1)
    return {m: (v[0] if single else v) for m, v in out.items()}


def _rows(maps: torch.Tensor, rows, computed_all: bool) -> torch.Tensor:
    # a layer computed for every row (because rollout needed it) is cut down to the rows asked for
    return maps[:, torch.as_tensor(rows)] if computed_all and rows is not None else maps


def _logit_directions(model: Any, tr, dtype) -> torch.Tensor:
    """[B, L, d] the direction whose dot product with a residual-stream vector at i is its effect on the logit of the
    token predicted at i, through the final RMSNorm with its denominator frozen: W_U[ŷ_i] ⊙ g / s_i (the direct
    path; for the last layer the only one)."""
    from tenfold.latim.layers import backbone

    bb = backbone(model)
    final = (tr.h_in[-1] + tr.o[-1]).to(dtype)
    s = torch.sqrt(final.pow(2).mean(-1, keepdim=True) + bb.norm_f.variance_epsilon)
    head = model.lm_head.weight if hasattr(model, "lm_head") else bb.embeddings.weight
    picked = tr.logits.argmax(-1)  # [B, L]
    return head.to(dtype)[picked] * bb.norm_f.weight.to(dtype) / s


@torch.no_grad()
def _maps(
    model: Any,
    tr,
    layer: int,
    mask,
    dtype,
    methods: list[str],
    mode: str,
    rows,
    budget_bytes: int,
) -> dict[str, torch.Tensor]:
    """{method: [B, T, L] normalised maps} of one layer, from one pass over its decomposition blocks."""
    it = _layer_internals(model, tr, layer, mask, dtype)
    b, length = it.x.shape[:2]
    parts: dict[str, list[torch.Tensor]] = {m: [] for m in methods}
    for blk in blocks(it, mode, rows, budget_bytes, with_mixing="hidden-attention" in methods):
        for method in methods:
            if method == "hidden-attention":
                assert blk.mixing is not None
                raw = blk.mixing.mean(-1)
            elif method == "latim-logit":
                raw = (blk.vectors @ _logit_directions(model, tr, dtype)[:, blk.rows, :, None])[..., 0].abs()
            else:
                kind = method.removeprefix("latim-")
                raw = raw_scores(blk.vectors, blk.bias, kind, tr.h_in[layer][:, blk.rows].to(dtype), blk.rows)
            full = torch.zeros(b, blk.rows.numel(), length, dtype=dtype)
            full[..., : raw.shape[-1]] = normalise_rows(raw, blk.rows)
            if mask is not None:  # padding sources never score (their values are zero; this covers D's diagonal)
                full = full * mask[:, None, :].to(dtype)
            parts[method].append(full)
    return {m: torch.cat(v, 1) for m, v in parts.items()}
