"""A fast CPU selective scan for Hugging Face Mamba-1 models.

Glossary (Gu & Dao 2023, "Mamba", Sec. 3 and Alg. 2; names as in ``transformers``' ``MambaMixer``)::

    B_sz  batch size                 L   sequence length
    D     intermediate size (d_inner = expand · d_model)      N   state size (d_state)
    u     (B_sz, D, L)  the scan input x_t (after conv1d + SiLU)
    Δ     (B_sz, D, L)  step sizes, softplus(dt_proj(x) + dt_bias)   ("delta", "time_step")
    A     (D, N)        -exp(A_log), the continuous state matrix (diagonal per channel)
    B, C  (B_sz, N, L)  input-dependent input and output projections
    h_t   (B_sz, D, N)  the state:  h_t = exp(Δ_t A) ⊙ h_{t-1} + (Δ_t u_t) ⊗ B_t          (zero-order hold, Eq. 4)
    y_t   (B_sz, D)     the output: y_t = h_t C_t + D ⊙ u_t, then gated by SiLU(z_t)

Why this exists: ``transformers`` runs Mamba-1's scan on CPU as a Python loop whose autograd graph slices a
(B_sz, D, L, N) tensor per position; backward then zero-fills a full-size gradient for every slice, which made a
training step at batch 64 × 64 tokens, d_model 64, 2 layers take seconds. Here the scan is one
``torch.autograd.Function`` with a hand-written backward (a reverse-time scan, as in the CUDA ``selective_scan``
kernel). Both directions walk time in steps that touch only cache-resident (B_sz, D, N) tensors, with no autograd
graph per step. We measured that this beats whole-sequence vectorised formulations on CPU (cumulative-sum "chunked"
scans that materialise several (L, B_sz, D, N) tensors): they are memory-bound, and a (B_sz, D, N) step stays in cache.

Backward (with G_t = ∂loss/∂h_t, accumulated in reverse time)::

    G_t   = G_{t+1} ⊙ exp(Δ_{t+1} A) + ∂y_t ⊗ C_t
    ∂C_t  = Σ_d ∂y_t[d] h_t[d, :]           ∂B_t = Σ_d G_t[d, :] Δ_t[d] u_t[d]
    ∂(Δu)_t = Σ_n G_t[:, n] B_t[n]          P_t  = G_t ⊙ h_{t-1} ⊙ exp(Δ_t A)
    ∂Δ_t  = ∂(Δu)_t ⊙ u_t + Σ_n P_t A       ∂A   = Σ_{b,t} P_t Δ_t        ∂u_t = ∂(Δu)_t ⊙ Δ_t

Module layout and weights are untouched: :func:`install` swaps the reference function that ``MambaMixer`` calls
(``transformers.models.mamba.modeling_mamba.mamba_selective_scan``); outputs match the reference within float32
rounding (tested to 1e-5), and generation's single-token update path is unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
import torch.nn.functional as F


class SelectiveScan(torch.autograd.Function):
    """``y, h_L = SelectiveScan.apply(u, delta, A, B, C)``; see the module docstring for symbols and shapes.

    Args (all float32): u, delta: (B_sz, D, L); A: (D, N); B, C: (B_sz, N, L).
    Returns: y (B_sz, D, L) without the D skip or gate; the last state h_L (B_sz, D, N).
    """

    @staticmethod
    def forward(ctx, u, delta, A, B, C):  # type: ignore[override]
        bsz, d, seqlen = u.shape
        n = A.shape[1]
        # Time-major copies so that every per-step slice below is contiguous.
        delta_t = delta.permute(2, 0, 1).contiguous()  # (L, B_sz, D)
        du_t = (delta * u).permute(2, 0, 1).contiguous()  # (L, B_sz, D): Δ_t u_t
        B_t = B.permute(2, 0, 1).contiguous()  # (L, B_sz, N)
        C_t = C.permute(2, 0, 1).contiguous()
        keep = any(ctx.needs_input_grad)
        # States are kept for backward only when a gradient is needed; inference keeps one rolling state.
        H = u.new_empty(seqlen if keep else 2, bsz, d, n)
        y = u.new_empty(seqlen, bsz, d)
        decay = u.new_empty(bsz, d, n)
        for t in range(seqlen):
            cur, prev = (t, t - 1) if keep else (t % 2, (t - 1) % 2)
            torch.mul(delta_t[t, :, :, None], A, out=decay).exp_()  # exp(Δ_t A)
            torch.mul(du_t[t, :, :, None], B_t[t, :, None, :], out=H[cur])  # (Δ_t u_t) ⊗ B_t
            if t:
                H[cur].addcmul_(decay, H[prev])
            torch.linalg.vecdot(H[cur], C_t[t, :, None, :], out=y[t])  # h_t C_t
        last = H[(seqlen - 1) if keep else (seqlen - 1) % 2].clone()
        if keep:
            ctx.save_for_backward(u, delta, A, B, C, H)
        return y.permute(1, 2, 0), last

    @staticmethod
    def backward(ctx, grad_y, grad_last):  # type: ignore[override]
        u, delta, A, B, C, H = ctx.saved_tensors
        seqlen = u.shape[-1]
        delta_t = delta.permute(2, 0, 1).contiguous()
        u_t = u.permute(2, 0, 1).contiguous()
        du_t = delta_t * u_t
        B_t = B.permute(2, 0, 1).contiguous()
        C_t = C.permute(2, 0, 1).contiguous()
        gy_t = grad_y.permute(2, 0, 1).contiguous()  # (L, B_sz, D)

        G = grad_last.clone() if grad_last is not None else torch.zeros_like(H[0])
        grad_C, grad_B = torch.empty_like(C_t), torch.empty_like(B_t)
        grad_du = torch.empty_like(du_t)  # ∂(Δu)_t
        grad_delta_decay = torch.zeros_like(du_t)  # Σ_n P_t A
        grad_A = torch.zeros_like(H[0])  # Σ_t P_t Δ_t, batch summed at the end
        decay, decay_next, P = torch.empty_like(G), torch.empty_like(G), torch.empty_like(G)
        for t in range(seqlen - 1, -1, -1):
            if t < seqlen - 1:
                G.mul_(decay_next)
            G.addcmul_(gy_t[t, :, :, None], C_t[t, :, None, :])
            torch.sum(H[t] * gy_t[t, :, :, None], 1, out=grad_C[t])
            torch.sum(G * du_t[t, :, :, None], 1, out=grad_B[t])
            torch.linalg.vecdot(G, B_t[t, :, None, :], out=grad_du[t])
            torch.mul(delta_t[t, :, :, None], A, out=decay).exp_()
            if t > 0:
                torch.mul(G, H[t - 1], out=P).mul_(decay)
                torch.linalg.vecdot(P, A, out=grad_delta_decay[t])
                grad_A.addcmul_(P, delta_t[t, :, :, None])
            decay, decay_next = decay_next, decay
        grad_delta = grad_du * u_t + grad_delta_decay
        grad_u = grad_du * delta_t
        return (
            grad_u.permute(1, 2, 0),
            grad_delta.permute(1, 2, 0),
            grad_A.sum(0),
            grad_B.permute(1, 2, 0),
            grad_C.permute(1, 2, 0),
        )


def selective_scan(
    hidden_states: torch.Tensor,
    dt: torch.Tensor,
    A: torch.Tensor,
    B: torch.Tensor,
    C: torch.Tensor,
    D: torch.Tensor | None = None,
    z: torch.Tensor | None = None,
    delta_bias: torch.Tensor | None = None,
    delta_softplus: bool = False,
    return_last_state: bool = False,
    **_: object,
):
    """Drop-in for ``transformers``' ``mamba_selective_scan`` (same arguments, shapes and outputs).

    Args:
        hidden_states: u, (B_sz, D, L).
        dt: pre-activation step sizes, (B_sz, D, L); ``delta_bias`` (D,) is added and softplus applied if asked.
        A: (D, N). B, C: (B_sz, N, L). D: (D,) skip weights. z: (B_sz, D, L) gate input.
        return_last_state: also return the final state (B_sz, D, N) (used to fill the generation cache).
    """
    in_dtype = hidden_states.dtype
    if delta_bias is not None:
        dt = dt + delta_bias.to(dt.dtype)[..., None]
    if delta_softplus:
        dt = F.softplus(dt)
    y, last = SelectiveScan.apply(hidden_states.float(), dt.float(), A.float(), B.float(), C.float())
    if D is not None:
        y = y + hidden_states * D[None, :, None]
    if z is not None:
        y = y * F.silu(z)
    y = y.to(in_dtype)
    return (y, last) if return_last_state else y


def reference_selective_scan(u, delta, A, B, C):
    """The plain recurrence, step by step with autograd (slow; the ground truth in tests). Same I/O as
    :class:`SelectiveScan`."""
    h = u.new_zeros(u.shape[0], u.shape[1], A.shape[1])
    ys = []
    for t in range(u.shape[-1]):
        h = torch.exp(delta[:, :, t, None] * A) * h + (delta[:, :, t] * u[:, :, t])[..., None] * B[:, None, :, t]
        ys.append((h * C[:, None, :, t]).sum(-1))
    return torch.stack(ys, -1), h


def _hf_module():
    import transformers.models.mamba.modeling_mamba as modeling_mamba

    return modeling_mamba


_HF_ORIGINAL: dict[str, object] = {}


def install() -> None:
    """Make every Hugging Face Mamba-1 model in this process use :func:`selective_scan` (idempotent)."""
    module = _hf_module()
    if "scan" not in _HF_ORIGINAL:
        _HF_ORIGINAL["scan"] = module.mamba_selective_scan
    module.mamba_selective_scan = selective_scan


def uninstall() -> None:
    """Restore ``transformers``' own scan."""
    if "scan" in _HF_ORIGINAL:
        _hf_module().mamba_selective_scan = _HF_ORIGINAL["scan"]


def is_installed() -> bool:
    return _hf_module().mamba_selective_scan is selective_scan


@contextlib.contextmanager
def hf_reference_scan() -> Iterator[None]:
    """Temporarily run ``transformers``' own (slow) scan, e.g. to compare against it."""
    was = is_installed()
    uninstall()
    try:
        yield
    finally:
        if was:
            install()
