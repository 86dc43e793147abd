"""Off-policy value targets and advantages of A-RIDE: Retrace(λ) (Munos et al. 2016) and the official V-trace form
(Espeholt et al. 2018; DistRL-open ``retrace.py``: both clips at 1, λ = 1).

Glossary, for one window of n steps s = 0 … n−1 collected by a behaviour policy μ and evaluated for the learner's π:

* ``r_s``       reward; ``γ_s`` = γ·(1 − done_s), the discount (0 after the episode's last step);
* ``V_s``       the critic's value of state s; ``V_n`` the bootstrap value after the window;
* ``ρ̂_s``       π(a_s|x_s) / μ(a_s|x_s), the importance ratio (given as its log);
* ``ρ_s``       min(ρ̄, ρ̂_s), the truncated weight of the TD error;  ``c_s`` = λ·min(c̄, ρ̂_s), the trace;
* ``δ_s``       ρ_s (r_s + γ_s V_{s+1} − V_s);
* the target    v_s = V_s + Σ_{t≥s} (Π_{s≤i<t} γ_i c_i) δ_t, computed backwards as
  v_s − V_s = δ_s + γ_s c_s (v_{s+1} − V_{s+1}), with v_n = V_n;
* advantage     A_s = ρ_s (r_s + γ_s v_{s+1} − V_s).

Identities (tested): π = μ, λ = 1 and clips ≥ 1 give the n-step discounted return Σ_t γ^t r_t + γ^n V_n; ρ̂ = 0 gives
v_s = V_s and A_s = 0; λ = 0 gives v_s = V_s + min(ρ̄, ρ̂_s)(r_s + γ_s V_{s+1} − V_s). ``OFFICIAL`` is ρ̄ = c̄ = 1,
λ = 1 (what DistRL-open computes under the name Retrace); ``RETRACE`` is c = λ·min(1, ρ̂) with ρ̄ = 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TraceConfig:
    lam: float = 1.0
    """λ, the trace decay."""
    rho_bar: float = 1.0
    """ρ̄, the clip of the TD error's weight."""
    c_bar: float = 1.0
    """c̄, the clip of the trace."""

    def __post_init__(self) -> None:
        if not 0 <= self.lam <= 1 or self.rho_bar < 0 or self.c_bar < 0:
            raise ValueError(f"need 0 <= lam <= 1 and non-negative clips, got {self}")


OFFICIAL = TraceConfig(lam=1.0, rho_bar=1.0, c_bar=1.0)
"""DistRL-open's ``retrace.py``: V-trace with both clips at 1 and λ = 1."""

RETRACE = TraceConfig(lam=0.95, rho_bar=1.0, c_bar=1.0)
"""Retrace(λ): truncated traces c = λ·min(1, ρ̂)."""


def off_policy_targets(
    rewards: np.ndarray,
    values: np.ndarray,
    bootstrap: float,
    log_ratios: np.ndarray,
    discounts: np.ndarray,
    cfg: TraceConfig = OFFICIAL,
) -> tuple[np.ndarray, np.ndarray]:
    """Targets v_s and advantages A_s of one window (see the module glossary).

    Args:
        rewards: [n] r_s.
        values: [n] V_s.
        bootstrap: V_n.
        log_ratios: [n] log π(a_s|x_s) − log μ(a_s|x_s).
        discounts: [n] γ_s (γ·(1 − done_s)).
        cfg: λ and the clips.

    Returns:
        (v, A): [n] each, float64.
    """
    r, v_ = np.asarray(rewards, np.float64), np.asarray(values, np.float64)
    g, lr = np.asarray(discounts, np.float64), np.asarray(log_ratios, np.float64)
    n = len(r)
    if not (len(v_) == len(g) == len(lr) == n):
        raise ValueError(f"window arrays disagree in length: {len(r)}, {len(v_)}, {len(lr)}, {len(g)}")
    ratio = np.exp(lr)
    rho = np.minimum(cfg.rho_bar, ratio)
    c = cfg.lam * np.minimum(cfg.c_bar, ratio)
    next_v = np.append(v_[1:], bootstrap)
    delta = rho * (r + g * next_v - v_)
    target = np.empty(n)
    carry = 0.0  # v_{s+1} − V_{s+1}, 0 at the window's end (v_n = V_n)
    for s in range(n - 1, -1, -1):
        carry = delta[s] + g[s] * c[s] * carry
        target[s] = v_[s] + carry
    next_target = np.append(target[1:], bootstrap)
    advantage = rho * (r + g * next_target - v_)
    return target, advantage
