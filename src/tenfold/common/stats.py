"""Small statistics shared by systems: means of table cells, Wilson intervals, Elo from a score, Bradley–Terry
ratings, SPRT."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

Z95 = 1.959963984540054


def mean(xs: Sequence[float]) -> float:
    """The arithmetic mean; NaN for an empty sequence (a table cell with nothing measured, not an error)."""
    return sum(xs) / len(xs) if xs else float("nan")


def wilson_interval(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95 % by default); (0, 1) when n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def elo_from_score(score: float) -> float:
    """Elo difference implied by an expected score in (0, 1) (±inf at the ends)."""
    if score <= 0:
        return -math.inf
    if score >= 1:
        return math.inf
    return -400.0 * math.log10(1.0 / score - 1.0)


def score_from_elo(elo: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-elo / 400.0))


def sprt_llr(wins: float, losses: float, elo0: float, elo1: float) -> float:
    """Log-likelihood ratio of H1 (Elo difference ``elo1``) against H0 (``elo0``) for win/loss counts (no draws)."""
    p0, p1 = score_from_elo(elo0), score_from_elo(elo1)
    return wins * math.log(p1 / p0) + losses * math.log((1 - p1) / (1 - p0))


def sprt_bounds(alpha: float = 0.05, beta: float = 0.05) -> tuple[float, float]:
    """Wald's (lower, upper) LLR thresholds: accept H0 below the lower, H1 above the upper."""
    return math.log(beta / (1 - alpha)), math.log((1 - beta) / alpha)


def bradley_terry(wins: np.ndarray, iters: int = 1000, tol: float = 1e-10) -> np.ndarray:
    """Elo ratings (mean 0) fitted to a win matrix ``wins[i, j]`` (games i won against j) by the MM algorithm
    (Hunter 2004). Players with no wins or no losses get finite but extreme ratings via a 0.5-game prior."""
    w = np.asarray(wins, dtype=float)
    n = len(w)
    w = w + 0.5 * ((w + w.T) > 0)  # prior: half a win each way in every pairing that was played
    games = w + w.T
    strength = np.ones(n)
    for _ in range(iters):
        denom = (games / (strength[:, None] + strength[None, :] + 1e-300)).sum(1)
        new = w.sum(1) / np.maximum(denom, 1e-300)
        new /= np.exp(np.log(new).mean())
        if np.max(np.abs(new - strength)) < tol:
            strength = new
            break
        strength = new
    return 400.0 * np.log10(strength)


def proportion_summary(successes: float, n: int) -> dict[str, float]:
    lo, hi = wilson_interval(successes, n)
    return {"rate": successes / n if n else math.nan, "lo": lo, "hi": hi, "n": n}
