"""LaTIM's decomposition: a mixer's output at target i as an exact sum of per-source vectors (LaTIM Sec. 3).

Unrolling the scan gives the causal mixing tensor M̃_ij (M plus D on the diagonal; :mod:`.mixers` has the glossary).
Everything that multiplies ỹ_i channel-wise after the scan — the gate SiLU(z_i), and for Mamba-2 the gated RMSNorm's
weight over the *target's* denominator s_i, held fixed as ALTI holds LayerNorm's — is the target-side scale σ_i. Then

    post-conv (the paper's default):  T_i(j) = W_out(σ_i ⊙ M̃_ij ⊙ x_j),               bias_i = b_out
    frozen (exact through the conv):  T_i(m) = W_out(σ_i ⊙ Σ_{j=m}^{m+K−1} M̃_ij ⊙ ρ_j ⊙ w_{K−1−(j−m)} ⊙ x'_m),
                                      bias_i = W_out(σ_i ⊙ Σ_j M̃_ij ⊙ ρ_j ⊙ c_j) + b_out

with ρ_j = act(v_j) / v_j frozen (σ(v_j) for SiLU; 1 for a model trained with a linear activation, where the frozen
form needs no freezing: mode ``linear`` checks that), x'_m = W_in,x u_m the source's own conv input and c_j the
conv and in_proj biases that reach v_j. In both modes Σ_j T_i(j) + bias_i = o_i exactly (the tests check 1e-5 against
``transformers`` and 1e-10 in float64), T_i(j) = 0 for j > i, and Δ, B, C, z are the selection's fixed weights (as
softmax weights are in ALTI): zeroing x_j alone changes o_i by exactly −T_i(j).

Post-conv attribution gives token j everything that enters the scan at j, including what the conv mixed in from up to
K − 1 earlier tokens; the frozen form routes that part back to those tokens.

Computation is row-blocked: a block of r targets needs M̃ for r × (max row + 1) pairs, never L × L × D at once; the
decay exponents Σ_{k=j+1..i} Δ_k A are differences of float64 cumulative sums, and every exponential has a
non-positive exponent (Mamba-1 factors the decay through the block's first row c, exp(S_i − S_c) · exp(S_c − S_j),
so that the sources before the block need one matrix product per channel instead of an r × J × D × N exponential).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch

from tenfold.common.errors import UserError
from tenfold.latim.methods import MODES
from tenfold.latim.mixers import Internals, activation_ratio


@dataclass
class Block:
    """One block of target rows: contributions to them from every source up to the block's last row."""

    rows: torch.Tensor
    """[r] target positions."""
    vectors: torch.Tensor
    """[B, r, J, d_model] T_i(j) (J = rows.max() + 1; zero for j > i)."""
    bias: torch.Tensor
    """[B, r, d_model] the bias bucket."""
    mixing: torch.Tensor | None = None
    """[B, r, J, D or H] |M_ij| without D (hidden attention's raw material), when asked for."""


def _segment_exp(cum: torch.Tensor, rows: torch.Tensor, width: int, dtype: torch.dtype, start: int = 0) -> torch.Tensor:
    """exp(S_i − S_j) for i in ``rows``, start ≤ j < ``width``, zero for j > i: [B, r, width − start, *rest] from
    float64 cumsums S."""
    seg = cum[:, rows][:, :, None] - cum[:, None, start:width]
    causal = torch.arange(start, width)[None, :] <= rows[:, None]  # [r, J]
    shape = (1, *causal.shape) + (1,) * (seg.dim() - 3)
    seg = seg.masked_fill(~causal.view(shape), float("-inf"))
    return torch.exp(seg).to(dtype)


def mixing(it: Internals, rows: torch.Tensor, width: int, cum: torch.Tensor) -> torch.Tensor:
    """M_ij without D: Mamba-1 [B, r, J, D] per channel, Mamba-2 [B, r, J, H] per head."""
    dtype = it.x.dtype
    if it.kind == "mamba1":  # M_ij[d] = Δ_j[d] Σ_n C_i[n] B_j[n] exp(S_i[d,n] − S_j[d,n])
        return _mixing_mamba1(it, rows, width, cum)
    E = _segment_exp(cum, rows, width, dtype)
    rep = it.heads // it.B.shape[2]
    cb = torch.einsum("bign,bjgn->bijg", it.C[:, rows], it.B[:, :width]).repeat_interleave(rep, dim=-1)
    return cb * E * it.delta[:, None, :width]


def _mixing_mamba1(it: Internals, rows: torch.Tensor, width: int, cum: torch.Tensor) -> torch.Tensor:
    """Mamba-1's M [B, r, J, D] without an [r, J, D, N] exponential.

    For sources j ≤ c = min(rows) the decay factors through the block's first row:
    exp(S_i − S_j) = exp(S_i − S_c) · exp(S_c − S_j), both exponents ≤ 0 (so neither factor overflows), and
    Σ_n C_i[n] B_j[n] exp(S_i − S_j)[d, n] becomes one matrix product per channel over n. Only the sources inside the
    block (c < j ≤ max(rows)) take the direct segment exponential, on an [r, r', D, N] window."""
    dtype = it.x.dtype
    c = int(rows.min())
    C_rows = it.C[:, rows].to(torch.float64)  # [B, r, N]
    left = (C_rows[:, :, None, :] * torch.exp(cum[:, rows] - cum[:, c, None])).to(dtype)  # [B, r, D, N]
    past = min(c + 1, width)
    right = (it.B[:, :past, None, :].double() * torch.exp(cum[:, c, None] - cum[:, :past])).to(dtype)  # [B, J', D, N]
    M_past = torch.einsum("bidn,bjdn->bijd", left, right)
    parts = [M_past]
    if width > past:  # sources after the reference row: causal, direct
        E = _segment_exp(cum, rows, width, dtype, start=past)  # [B, r, J − J', D, N]
        parts.append(torch.einsum("bin,bjn,bijdn->bijd", it.C[:, rows], it.B[:, past:width], E))
    M = torch.cat(parts, 2) if len(parts) > 1 else M_past
    return M * it.delta[:, None, :width]


def _cumsum(it: Internals) -> torch.Tensor:
    """S_j = Σ_{k≤j} Δ_k A in float64: Mamba-1 [B, L, D, N], Mamba-2 [B, L, H]."""
    if it.kind == "mamba1":
        return torch.cumsum(it.delta.double()[..., None] * it.A.double(), dim=1)
    return torch.cumsum(it.delta.double() * it.A.double(), dim=1)


def block_size(it: Internals, budget_bytes: int) -> int:
    """Targets per block so that one block's temporaries stay under ``budget_bytes``: per row, the mixing and scaled
    value tensors [J, D] and the vectors [J, d_model] (and Mamba-2's float64 decays); for Mamba-1 also the in-block
    exponential window [r, r, D, N] in float64 (:func:`_mixing_mamba1`)."""
    b, length, d = it.x.shape
    item = it.x.element_size()
    per_row = b * length * (4 * d * item + 2 * it.W_out.shape[0] * item)
    if it.kind == "mamba2":
        per_row += b * length * it.heads * 8
    size = max(1, min(length, budget_bytes // max(per_row, 1)))
    if it.kind == "mamba1":  # r² D N float64 for the in-block window
        window = b * d * it.A.shape[-1] * 8
        size = max(1, min(size, int((budget_bytes / 2 / window) ** 0.5)))
    return size


def blocks(
    it: Internals,
    mode: str = "post-conv",
    rows: Sequence[int] | torch.Tensor | None = None,
    budget_bytes: int = 256 << 20,
    with_mixing: bool = False,
) -> Iterator[Block]:
    """The decomposition of one layer, block of target rows by block (see the module docstring).

    Args:
        it: the layer's :class:`~.mixers.Internals`.
        mode: post-conv, frozen or linear.
        rows: target positions (default all; e.g. only the last for retrieval).
        budget_bytes: memory for one block's temporaries.
        with_mixing: also return |M| (for the hidden-attention baseline).
    """
    if mode not in MODES:
        raise UserError(f"unknown LaTIM mode '{mode}' (choose from {', '.join(MODES)})")
    if mode == "linear" and it.act != "linear":
        raise UserError(
            f"mode 'linear' needs a model trained with a linear conv activation; this one uses {it.act}"
            " (use mode 'frozen' for the exact frozen-activation decomposition)"
        )
    length = it.x.shape[1]
    rows = torch.arange(length) if rows is None else torch.as_tensor(rows, dtype=torch.long)
    if rows.numel() and (rows.min() < 0 or rows.max() >= length):
        raise UserError(f"target rows must lie in 0..{length - 1}")
    cum = _cumsum(it)
    scale = it.output_scale()  # σ_i [B, L, D]
    ratio = activation_ratio(it.v, it.act) * it.mask[..., None] if mode != "post-conv" else None
    const = None
    if ratio is not None:  # c_j: the part of v_j that no token owns (conv bias, in_proj bias through the conv)
        from tenfold.latim.mixers import _conv

        const = _conv(it.x_pre - it.x_pre_lin, it.conv_w, it.conv_b)
    size = block_size(it, budget_bytes)
    for k in range(0, rows.numel(), size):
        r = rows[k : k + size]
        width = int(r.max()) + 1
        M = mixing(it, r, width, cum)
        raw = M.abs() if with_mixing else None
        if it.kind == "mamba2":
            M = M.repeat_interleave(it.head_dim, dim=-1)  # heads → channels
            Dc = it.D.repeat_interleave(it.head_dim)
        else:
            Dc = it.D
        M = M.clone()
        M[:, torch.arange(r.numel()), r] += Dc  # M̃ = M + diag(D)
        P = scale[:, r, None, :] * M  # [B, r, J, D]: what multiplies token j's value in ỹ_i, gate and norm included
        if ratio is None:
            vec = (P * it.x[:, None, :width]) @ it.W_out.T
            bias = vec.new_zeros(*vec.shape[:2], vec.shape[-1])
            if it.b_out is not None:
                bias = bias + it.b_out
        else:
            R = P * ratio[:, None, :width]
            Q = torch.zeros_like(R)
            kw = it.conv_w.shape[1]
            for s in range(min(kw, width)):  # source m feeds v_{m+s} through tap K−1−s
                Q[:, :, : width - s] += R[:, :, s:width] * it.conv_w[:, kw - 1 - s]
            vec = (Q * it.x_pre_lin[:, None, :width]) @ it.W_out.T
            bias = (R * const[:, None, :width]).sum(2) @ it.W_out.T
            if it.b_out is not None:
                bias = bias + it.b_out
        yield Block(r, vec, bias, raw)
