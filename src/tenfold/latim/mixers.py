"""The Mamba-1 and Mamba-2 mixers, re-read from the weights of unmodified ``transformers`` modules (LaTIM Sec. 3).

Glossary (positions i, j, m; channels d; heads h; state n):

* ``u_j``        mixer input (the block's RMSNorm of the residual stream h_in,j)                 [B, L, d_model]
* ``x'_j``       the value half of ``in_proj(u_j)`` before the causal conv (``x_pre``)            [B, L, D]
* ``v_j``        conv output ``Σ_k w_k ⊙ x'_{j−K+1+k} + b_conv``, before the activation           [B, L, D]
* ``x_j``        ``act(v_j)`` (SiLU by default), zeroed at padding: the scan's *value*            [B, L, D]
* ``z_j``        the gate half of ``in_proj(u_j)``; the output is gated by ``SiLU(z_i)``          [B, L, D]
* ``Δ_j``        step size: Mamba-1 per channel [B, L, D], Mamba-2 per head [B, L, H]
* ``B_j, C_j``   input and output projections of the state: Mamba-1 [B, L, N], Mamba-2 [B, L, G, N]
* ``A``          −exp(A_log): Mamba-1 [D, N], Mamba-2 [H]
* ``D``          the skip term: Mamba-1 [D], Mamba-2 [H]
* ``s_i``        Mamba-2 only: the gated RMSNorm's denominator of target i, per norm group      [B, L, G_norm]

Mamba-1:  ỹ_i = Σ_{j≤i} M_ij ⊙ x_j + D ⊙ x_i,  M_ij[d] = Δ_j[d] Σ_n C_i[n] B_j[n] exp(Σ_{k=j+1..i} Δ_k[d] A[d, n]),
          o_i = W_out(ỹ_i ⊙ SiLU(z_i)) + b_out.
Mamba-2:  ỹ^h_i = Σ_{j≤i} M^h_ij x^h_j + D_h x^h_i,  M^h_ij = (C_i · B_j) exp(Σ_{k=j+1..i} Δ^h_k A_h) Δ^h_j,
          y_g = ỹ ⊙ SiLU(z),  o_i = W_out(w ⊙ y_g,i / s_i) + b_out,  s_i = sqrt(mean_group(y_g,i²) + ε).

:func:`internals` computes every quantity above from a layer's input, in any float dtype (float64 for audits), exactly
as the module does (masking of padding included); :func:`reference_output` runs the scan as a plain recurrence on
them. Both only read the module's parameters, so any checkpoint that loads into ``MambaForCausalLM`` or
``Mamba2ForCausalLM`` works, on CPU, without kernels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from tenfold.common.errors import UserError


def kind_of(mixer: Any) -> str:
    """``mamba1`` or ``mamba2`` for a ``transformers`` mixer module; a :class:`UserError` otherwise."""
    name = type(mixer).__name__
    if name == "MambaMixer":
        return "mamba1"
    if name == "Mamba2Mixer":
        return "mamba2"
    raise UserError(f"LaTIM explains Mamba-1 and Mamba-2 mixers, not {name}")


def activation_ratio(v: torch.Tensor, name: str) -> torch.Tensor:
    """act(v) / v, the factor that makes the activation linear when frozen (SiLU: σ(v)); its limit at v = 0."""
    if name in ("silu", "swish"):
        return torch.sigmoid(v)
    if name == "linear":
        return torch.ones_like(v)
    if name == "relu":
        return (v > 0).to(v.dtype)
    raise UserError(f"no frozen-ratio rule for the conv activation '{name}' (silu, linear, relu are supported)")


def activation(v: torch.Tensor, name: str) -> torch.Tensor:
    if name in ("silu", "swish"):
        return F.silu(v)
    if name == "linear":
        return v
    if name == "relu":
        return F.relu(v)
    raise UserError(f"unsupported conv activation '{name}'")


@dataclass
class Internals:
    """One mixer's quantities on one batch (see the module glossary); all tensors in ``dtype``."""

    kind: str
    u: torch.Tensor
    x_pre_lin: torch.Tensor
    """W_in,x u_j: the value channels of in_proj *without* its bias (token j's own linear input to the conv)."""
    x_pre: torch.Tensor
    """x'_j = W_in,x u_j + b_in,x (the conv's input)."""
    v: torch.Tensor
    x: torch.Tensor
    z: torch.Tensor
    delta: torch.Tensor
    B: torch.Tensor
    C: torch.Tensor
    A: torch.Tensor
    D: torch.Tensor
    mask: torch.Tensor
    """[B, L] 1 for real tokens, 0 for padding."""
    conv_w: torch.Tensor
    """[D, K] depthwise conv taps of the value channels."""
    conv_b: torch.Tensor | None
    """[D] their bias."""
    act: str
    W_out: torch.Tensor
    b_out: torch.Tensor | None
    heads: int = 0
    head_dim: int = 0
    norm_w: torch.Tensor | None = None
    """Mamba-2: the gated RMSNorm's weight [D]."""
    s: torch.Tensor | None = None
    """Mamba-2: the gated RMSNorm's denominators [B, L, G_norm] (target side, frozen in the decomposition)."""
    norm_group: int = 0
    """Mamba-2: channels per norm group."""
    norm_eps: float = 0.0
    """Mamba-2: the gated norm's ε."""
    lrp: bool = False
    """built with Mamba-LRP's rules (:func:`internals` ``lrp=True``)."""

    @property
    def gate(self) -> torch.Tensor:
        """SiLU(z): [B, L, D] (Mamba-LRP: z · σ(z) with σ(z) detached)."""
        return self.z * torch.sigmoid(self.z).detach() if self.lrp else F.silu(self.z)

    def output_scale(self) -> torch.Tensor:
        """What multiplies ỹ_i channel-wise before W_out: SiLU(z_i) (Mamba-1) or SiLU(z_i) ⊙ w / s_i (Mamba-2)."""
        if self.kind == "mamba1":
            return self.gate
        assert self.s is not None and self.norm_w is not None
        s = self.s.repeat_interleave(self.norm_group, dim=-1)
        return self.gate * self.norm_w / s


def _conv(x_pre: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None) -> torch.Tensor:
    """Causal depthwise conv: [B, L, D] with taps [D, K] → [B, L, D]."""
    k = w.shape[1]
    out = F.conv1d(x_pre.transpose(1, 2), w[:, None, :], b, padding=k - 1, groups=w.shape[0])
    return out[..., : x_pre.shape[1]].transpose(1, 2)


def _act(v: torch.Tensor, name: str, lrp: bool) -> torch.Tensor:
    # Mamba-LRP's SiLU rule: v · (act(v) / v) with the ratio detached, so relevance flows through v only
    return v * activation_ratio(v, name).detach() if lrp else activation(v, name)


def internals(
    mixer: Any, u: torch.Tensor, mask: torch.Tensor | None = None, dtype: torch.dtype | None = None, lrp: bool = False
) -> Internals:
    """Every quantity of the glossary for mixer input ``u`` [B, L, d_model] (``mask`` [B, L]; None: no padding).

    Differentiable in ``u``. ``lrp``: Mamba-LRP's rules (Jafari et al. 2024) for gradient × input — Δ, B, C (hence
    the scan's mixing) and Mamba-2's norm denominators detached, the activations' ratios detached, half of the
    relevance at the gate product (:func:`reference_output`).
    """
    kind = kind_of(mixer)
    dtype = dtype or torch.float32
    u = u.to(dtype)
    mask = torch.ones(u.shape[:2], dtype=dtype) if mask is None else mask.to(dtype)
    u = u * mask[..., None]  # the module zeroes padding before in_proj
    W_in = mixer.in_proj.weight.to(dtype)
    b_in = mixer.in_proj.bias.to(dtype) if mixer.in_proj.bias is not None else None
    conv_w = mixer.conv1d.weight.to(dtype)[:, 0, :]  # [C, K]
    conv_b = mixer.conv1d.bias.to(dtype) if mixer.conv1d.bias is not None else None
    lin = u @ W_in.T  # [B, L, P]
    proj = lin + b_in if b_in is not None else lin
    act = mixer.activation
    out_b = mixer.out_proj.bias.to(dtype) if mixer.out_proj.bias is not None else None
    if kind == "mamba1":
        d = mixer.intermediate_size
        x_pre, z = proj[..., :d], proj[..., d:]
        x_pre_lin = lin[..., :d]
        v = _conv(x_pre, conv_w, conv_b)
        x = _act(v, act, lrp) * mask[..., None]
        r, n = mixer.time_step_rank, mixer.ssm_state_size
        xp = x @ mixer.x_proj.weight.to(dtype).T
        dt, B, C = xp[..., :r], xp[..., r : r + n], xp[..., r + n :]
        delta = F.softplus(dt @ mixer.dt_proj.weight.to(dtype).T + mixer.dt_proj.bias.to(dtype))
        if lrp:
            delta, B, C = delta.detach(), B.detach(), C.detach()
        A = -torch.exp(mixer.A_log.to(dtype))
        return Internals(
            kind,
            u,
            x_pre_lin,
            x_pre,
            v,
            x,
            z,
            delta,
            B,
            C,
            A,
            mixer.D.to(dtype),
            mask,
            conv_w,
            conv_b,
            act,
            mixer.out_proj.weight.to(dtype),
            out_b,
            lrp=lrp,
        )
    d, hn = mixer.intermediate_size, mixer.num_heads
    g, n = mixer.n_groups, mixer.ssm_state_size
    z, xbc_pre, dt = proj[..., :d], proj[..., d : d + mixer.conv_dim], proj[..., d + mixer.conv_dim :]
    vbc = _conv(xbc_pre, conv_w, conv_b)
    xbc = _act(vbc, act, lrp) * mask[..., None]
    v, x = vbc[..., :d], xbc[..., :d]
    B = xbc[..., d : d + g * n].unflatten(-1, (g, n))
    C = xbc[..., d + g * n :].unflatten(-1, (g, n))
    lo, hi = mixer.time_step_limit
    delta = torch.clamp(F.softplus(dt + mixer.dt_bias.to(dtype)), min=lo, max=hi)
    if lrp:
        delta, B, C = delta.detach(), B.detach(), C.detach()
    A = -torch.exp(mixer.A_log.to(dtype))
    it = Internals(
        kind,
        u,
        lin[..., d : 2 * d],
        xbc_pre[..., :d],
        v,
        x,
        z,
        delta,
        B,
        C,
        A,
        mixer.D.to(dtype),
        mask,
        conv_w[:d],
        conv_b[:d] if conv_b is not None else None,
        act,
        mixer.out_proj.weight.to(dtype),
        out_b,
        heads=hn,
        head_dim=mixer.head_dim,
        norm_w=mixer.norm.weight.to(dtype),
        norm_group=mixer.norm.group_size,
        norm_eps=mixer.norm.variance_epsilon,
        lrp=lrp,
    )
    y = scan(it) * it.gate
    groups = y.unflatten(-1, (d // it.norm_group, it.norm_group))
    it.s = torch.sqrt(groups.pow(2).mean(-1) + mixer.norm.variance_epsilon)
    if lrp:
        it.s = it.s.detach()
    return it


def scan(it: Internals, x: torch.Tensor | None = None) -> torch.Tensor:
    """ỹ (before gate and norm) by the plain recurrence h_j = exp(Δ_j A) h_{j−1} + Δ_j B_j x_j, ỹ_j = C_j h_j + D x_j.

    ``x`` replaces the value path (Δ, B, C kept): the frozen-ablation identity uses it. Returns [B, L, D].
    """
    x = it.x if x is None else x
    b, length, d = x.shape
    ys = []
    if it.kind == "mamba1":
        h = x.new_zeros(b, d, it.A.shape[1])
        for j in range(length):
            da = torch.exp(it.delta[:, j, :, None] * it.A)  # [B, D, N]
            h = da * h + (it.delta[:, j, :, None] * it.B[:, j, None, :]) * x[:, j, :, None]
            ys.append((h * it.C[:, j, None, :]).sum(-1) + it.D * x[:, j])
        return torch.stack(ys, 1)
    hn, p = it.heads, it.head_dim
    rep = hn // it.B.shape[2]
    Bh = it.B.repeat_interleave(rep, dim=2)  # [B, L, H, N]
    Ch = it.C.repeat_interleave(rep, dim=2)
    xh = x.unflatten(-1, (hn, p))  # [B, L, H, P]
    h = x.new_zeros(b, hn, p, it.B.shape[-1])
    for j in range(length):
        da = torch.exp(it.delta[:, j] * it.A)  # [B, H]
        h = da[..., None, None] * h + (it.delta[:, j, :, None, None] * xh[:, j, :, :, None]) * Bh[:, j, :, None, :]
        ys.append(((h * Ch[:, j, :, None, :]).sum(-1) + it.D[:, None] * xh[:, j]).flatten(-2))
    return torch.stack(ys, 1)


def reference_output(it: Internals, x: torch.Tensor | None = None) -> torch.Tensor:
    """The mixer output o [B, L, d_model] from the recurrence (in ``it``'s dtype), with s_i frozen for Mamba-2.

    Under Mamba-LRP's rules the gate product ỹ ⊙ σ_i passes half of its gradient to each factor (the "half rule",
    which conserves relevance: ∂/∂ỹ · ỹ + ∂/∂σ · σ = ỹ ⊙ σ)."""
    y = scan(it, x)
    scale = it.output_scale()
    y = 0.5 * y * scale + 0.5 * (y * scale).detach() if it.lrp else y * scale
    out = y @ it.W_out.T
    return out + it.b_out if it.b_out is not None else out
