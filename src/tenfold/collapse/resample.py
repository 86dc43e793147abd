"""Detector-weighted resampling of a training pool of unknown origin (paper §3; official
``src/utils/data_selection_strategy.py::weighted_sampling``).

Glossary (n items in the pool):

* ``c_i``   the detector's calibrated P(AI) of item i (``p_ai``);
* ``w_i``   the importance weight ``(1 − c_i)^β``: p_H(x)/p_mix(x) = P(human|x)/π_H ∝ 1 − c_i, so β = 1 is the textbook
  importance weight and β = 10 (the official ``bias_factor``) sharpens it towards filtering;
* ``R``     ``max_repeats``: each index appears R times in the multiset drawn from (no item used more than R times);
* ``u``     ``upsample_factor``: M = round(u·n) draws *without replacement* from the R·n copies, with probability
  proportional to the copies' remaining weights (numpy's ``choice(..., replace=False, p=...)``).

Consequence used by the tests: with n_H human items of weight 1 and synthetic ones of weight ≈ 0, the human share of
the selection is min(1, R·n_H/M) — 0.400 at 20 % human data with R = 3, u = 1.5 — and an all-human selection needs a
pool that is at least u/R = 50 % human ("sufficient human data").

Variants beyond the paper: a clean seeded sampler (``numpy.random.Generator``, a seed per generation instead of the
official global ``np.random.seed(42)``), a fallback where fewer than M copies have non-zero weight (the official code
raises there), pure filtering, and loss weighting (the pool kept, each item's loss weighted by w_i).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tenfold.common.errors import UserError

log = logging.getLogger(__name__)

SELECTIONS = ("none", "importance", "filter", "weight")
"""How the pool becomes a training set: keep it, importance resampling (the paper), keep items with P(AI) below a
threshold, or keep every item and weight its loss by w_i."""

SAMPLERS = ("clean", "official")
"""``official``: ``np.random.seed(seed)`` and the legacy ``np.random.choice``, index for index; ``clean``: a seeded
``numpy.random.Generator`` (no global state)."""

OFFICIAL_SEED = 42
"""The official code's seed, the same every generation."""


@dataclass(frozen=True)
class Selection:
    """The training set drawn from a pool, and what it says about the pool."""

    indices: list[int]
    """pool indices in draw order, duplicates kept (each at most R times)."""
    weights: list[float]
    """per-index loss weight (1 except for ``weight`` selection)."""
    ess: float
    """Kish's effective sample size of the importance weights over the pool, (Σw)²/Σw²."""
    fallback: bool = False
    """the draw needed the fallback (fewer than M copies with non-zero weight)."""

    def human_share(self, is_human: Sequence[bool]) -> float:
        """Share of the selected items (weighted by their loss weight) that are human."""
        total = sum(self.weights)
        return sum(w for i, w in zip(self.indices, self.weights, strict=True) if is_human[i]) / total if total else 0.0


def importance_weights(p_ai: Sequence[float] | np.ndarray, beta: float) -> np.ndarray:
    """w_i = (1 − c_i)^β in float64 (β = 0: all ones)."""
    c = np.asarray(p_ai, dtype=np.float64)
    if c.ndim != 1 or not np.isfinite(c).all():
        bad = int(np.flatnonzero(~np.isfinite(c))[0]) if c.ndim == 1 else -1
        raise UserError(f"the detector returned a non-finite P(AI) (item {bad}); check the detector")
    if ((c < 0) | (c > 1)).any():
        raise UserError("P(AI) must lie in [0, 1]")
    if beta < 0:
        raise UserError(f"beta must be >= 0, got {beta}")
    return (1.0 - c) ** beta


def effective_sample_size(weights: np.ndarray) -> float:
    """(Σw)²/Σw² (0 for all-zero weights)."""
    sq = float((weights**2).sum())
    return float(weights.sum()) ** 2 / sq if sq > 0 else 0.0


def official_indices(p_ai: Sequence[float], beta: float, repeats: int, upsample: float, seed: int = OFFICIAL_SEED):
    """The official draw, one for one: ``np.random.seed(seed)``; ``np.random.choice(np.repeat(arange(n), R),
    round(u·n), replace=False, p=w[expanded]/w[expanded].sum())``. Raises numpy's ValueError where it does."""
    w = importance_weights(p_ai, beta)
    np.random.seed(seed)
    expanded = np.repeat(np.arange(len(w)), repeats)
    p = w[expanded] / w[expanded].sum()
    return np.random.choice(expanded, size=round(len(w) * upsample), replace=False, p=p).tolist()


def resample(
    p_ai: Sequence[float],
    beta: float = 10.0,
    repeats: int = 3,
    upsample: float = 1.5,
    seed: int = 0,
    sampler: str = "clean",
) -> Selection:
    """Importance resampling of a pool of ``len(p_ai)`` items (see the module glossary).

    Where fewer than M = round(u·n) copies have non-zero weight (P(AI) = 1 exactly, which float32 softmax returns),
    the draw cannot be made without replacement: every non-zero copy is taken first (in weighted order), then the
    rest is filled uniformly from the zero-weight copies, and a warning is logged.
    """
    if repeats < 1 or upsample <= 0:
        raise UserError(f"repeats must be >= 1 and upsample > 0 (got {repeats}, {upsample})")
    if sampler not in SAMPLERS:
        raise UserError(f"sampler must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    w = importance_weights(p_ai, beta)
    n, m = len(w), round(len(w) * upsample)
    if m > repeats * n:
        raise UserError(f"cannot draw {m} items from {n} with at most {repeats} copies each (u > R)")
    ess = effective_sample_size(w)
    nonzero = int((w > 0).sum()) * repeats
    if nonzero >= m:
        if sampler == "official":
            return Selection(official_indices(p_ai, beta, repeats, upsample, seed), [1.0] * m, ess)
        rng = np.random.default_rng(seed)
        expanded = np.repeat(np.arange(n), repeats)
        p = w[expanded] / w[expanded].sum()
        return Selection(rng.choice(expanded, size=m, replace=False, p=p).tolist(), [1.0] * m, ess)
    log.warning(
        "only %d of the %d copies have a non-zero weight, fewer than the %d to draw: taking all of them, then a "
        "uniform fill",
        nonzero,
        repeats * n,
        m,
    )
    rng = np.random.default_rng(seed)
    live = np.repeat(np.flatnonzero(w > 0), repeats)
    first = rng.choice(live, size=len(live), replace=False, p=w[live] / w[live].sum()) if len(live) else live
    dead = np.repeat(np.flatnonzero(w == 0), repeats)
    fill = rng.choice(dead, size=m - len(live), replace=False)
    return Selection([*first.tolist(), *fill.tolist()], [1.0] * m, ess, fallback=True)


def select(
    p_ai: Sequence[float],
    how: str,
    beta: float = 10.0,
    repeats: int = 3,
    upsample: float = 1.5,
    threshold: float = 0.5,
    seed: int = 0,
    sampler: str = "clean",
) -> Selection:
    """The training set for selection rule ``how`` (one of :data:`SELECTIONS`)."""
    n = len(p_ai)
    if how == "none":
        return Selection(list(range(n)), [1.0] * n, float(n))
    if how == "importance":
        return resample(p_ai, beta, repeats, upsample, seed, sampler)
    w = importance_weights(p_ai, beta)
    ess = effective_sample_size(w)
    if how == "filter":
        keep = [i for i, c in enumerate(p_ai) if c < threshold]
        if not keep:
            log.warning("no item has P(AI) < %.2f: keeping the whole pool", threshold)
            keep = list(range(n))
        return Selection(keep, [1.0] * len(keep), ess)
    if how == "weight":
        if w.sum() <= 0:
            raise UserError("every importance weight is 0: nothing to weight the loss with")
        scale = n / w.sum()  # mean weight 1: the loss's scale and the learning rate's meaning are kept
        return Selection(list(range(n)), (w * scale).tolist(), ess)
    raise UserError(f"selection must be one of {', '.join(SELECTIONS)}, got {how!r}")


def human_share_bound(n_human: int, n: int, repeats: int, upsample: float) -> float:
    """min(1, R·n_H / round(u·n)): the largest human share importance resampling can reach."""
    return min(1.0, repeats * n_human / round(upsample * n)) if n else math.nan
