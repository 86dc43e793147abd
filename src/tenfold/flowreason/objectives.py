"""GFlowNet objectives (FoR Sec. 3.2 and the official code's variants) and the backward policy.

Glossary: for a complete trajectory τ = (s_0 → … → s_n) of problem x,

* ``log_pf``  Σ_t log P_F(s_t | s_{t−1}; x)            shape [B]
* ``log_pb``  Σ_t log P_B(s_{t−1} | s_t; x)            shape [B] (0 for tree-structured tasks)
* ``log_r``   log R(x, τ), already multiplied by the reward temperature β (so the target is ∝ R^β)   [B]
* ``log_z``   log Z(x), learned                          scalar or [B]

Trajectory balance (Eq. 4): L_TB(τ) = (log Z(x) + log P_F(τ) − log R(x, τ) − log P_B(τ))², mean over the batch.

Log-partition variance (VarGrad; Zhang et al. 2023 §3.2; the official code's ``tb_loss(logpartition=True)``, used in
five of its six tasks): for the trajectories of one problem, ζ_i = log R_i + log P_B(τ_i) − log P_F(τ_i) estimates
log Z; the loss is the variance of ζ, which equals TB evaluated at log Z = −mean_i(log P_F − log R − log P_B)
(:func:`vargrad_log_z`); the tests check this identity.

Sub-trajectory balance (Madan et al. 2023): with learned state flows log F(s_t) (log F(s_n) := log R), every
sub-trajectory i < j contributes λ^{j−i} (log F(s_i) + Σ_{i<t≤j} log P_F − log F(s_j) − Σ log P_B)², normalised by the
sum of weights.
"""

from __future__ import annotations

import math

import torch


def tb_loss(log_pf: torch.Tensor, log_r: torch.Tensor, log_z: torch.Tensor, log_pb: torch.Tensor | None = None):
    """Trajectory balance, mean over the batch. Shapes: ``log_pf``, ``log_r``, ``log_pb`` [B]; ``log_z`` [] or [B]."""
    log_pb = torch.zeros_like(log_pf) if log_pb is None else log_pb
    return (log_z + log_pf - log_r - log_pb).pow(2).mean()


def vargrad_log_z(log_pf: torch.Tensor, log_r: torch.Tensor, log_pb: torch.Tensor | None = None) -> torch.Tensor:
    """The batch estimate of log Z(x): mean_i (log R_i + log P_B(τ_i) − log P_F(τ_i)) (no gradient)."""
    log_pb = torch.zeros_like(log_pf) if log_pb is None else log_pb
    return (log_r + log_pb - log_pf).mean().detach()


def vargrad_loss(log_pf: torch.Tensor, log_r: torch.Tensor, log_pb: torch.Tensor | None = None) -> torch.Tensor:
    """Log-partition variance over the trajectories of *one* problem: mean_i (ζ_i − mean_j ζ_j)²,
    ζ = log P_F − log R − log P_B.

    Equal to :func:`tb_loss` evaluated at ``log_z = vargrad_log_z(...)`` (its gradient does not flow through the mean).
    """
    log_pb = torch.zeros_like(log_pf) if log_pb is None else log_pb
    zeta = log_pf - log_r - log_pb
    return (zeta - zeta.mean().detach()).pow(2).mean()


def subtb_loss(
    log_pf_steps: torch.Tensor,
    log_pb_steps: torch.Tensor,
    log_flows: torch.Tensor,
    log_r: torch.Tensor,
    lam: float = 0.9,
) -> torch.Tensor:
    """Sub-trajectory balance of one trajectory of n steps.

    Args:
        log_pf_steps: [n] log P_F(s_t | s_{t−1}) for t = 1..n.
        log_pb_steps: [n] log P_B(s_{t−1} | s_t).
        log_flows: [n] log F(s_0), …, log F(s_{n−1}) (log F(s_0) plays the role of log Z(x)).
        log_r: [] tempered log R of the terminal state (its log flow).
        lam: weight λ^{length} of a sub-trajectory.
    """
    n = log_pf_steps.shape[0]
    flows = torch.cat([log_flows, log_r.reshape(1)])
    cum_pf = torch.cat([log_pf_steps.new_zeros(1), log_pf_steps.cumsum(0)])
    cum_pb = torch.cat([log_pb_steps.new_zeros(1), log_pb_steps.cumsum(0)])
    total, weight = log_pf_steps.new_zeros(()), 0.0
    for i in range(n):
        for j in range(i + 1, n + 1):
            w = lam ** (j - i)
            delta = flows[i] + (cum_pf[j] - cum_pf[i]) - flows[j] - (cum_pb[j] - cum_pb[i])
            total = total + w * delta.pow(2)
            weight += w
    return total / weight


def uniform_log_pb(n_parents: list[int]) -> float:
    """log P_B(τ) of the uniform (parent-counting) backward policy: −Σ_t log |Pa(s_t)| over s_1..s_n."""
    return -sum(math.log(p) for p in n_parents)
