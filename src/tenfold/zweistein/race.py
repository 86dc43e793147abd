"""The Zweistein table: distributions of race lengths in EWN-simple, by dynamic programming (Hsueh & Hsu 2025).

Glossary (paper → code)::

    EWN-simple      EWN without captures: the mover always steps its cube one Chebyshev step closer to the goal
    distance array  d ∈ {0..4}^6: d[k-1] = distance of cube k to the goal corner, 0 = captured     → ``digits[a]``
                    indexed a = Σ_k d[k-1]·5^(k-1), 5^6 = 15,625 arrays                         → ``array_index``
    X(d)            number of the side's own turns until one of its cubes reaches the corner     → ``pdf[a, t]``
    M_d(r)          cubes that may move on roll r: {r} if present, else nearest present lower / higher
    i*(r)           the cube chosen from M_d(r): default argmin E[X] after the move ("min-expected")
    f_d(t)          P(X = t) = 1/6 Σ_r [d_i* = 1]·δ(t = 1) + [d_i* > 1]·f_{d − e_i*}(t − 1)
    value           for the side that just moved with X against the side to move with Y:
                    P(X < Y) = Σ_i P(X ≤ i − 1)·P(Y = i)       (the side to move gets its i-th turn first)

The support of X is 1..19: six cubes at distance 4 need 6 × 3 steps to all reach distance 1, plus one final step. Arrays
are processed by increasing total distance (each step lowers it by one), so every child is known before its parent;
the whole table (15,625 × 20 float64 = 2.5 MB) builds in a few hundred milliseconds with NumPy, level by level.

:func:`exact_race` solves EWN-simple exactly by expectimax over pairs of distance arrays (opponent-aware choices),
independently of the table: the reference the table is tested against.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from tenfold.common.errors import UserError

N_ARRAYS = 5**6
MAX_TURNS = 19
POW5 = 5 ** np.arange(6)
ChoiceRule = Literal["min-expected", "higher", "lower"]
CHOICE_RULES: tuple[str, ...] = ("min-expected", "higher", "lower")
"""How the table picks between the next-higher and next-lower cube when the rolled cube is absent: minimise E[X]
(default; the paper's rule was not available, this is the natural reading of "exhaustive search"), or always the
higher / always the lower one."""


def array_index(distances: Sequence[int]) -> int:
    """Table row of a distance array (entry k-1 = cube k's distance, 0 = captured)."""
    if len(distances) != 6 or any(not 0 <= d <= 4 for d in distances):
        raise UserError(f"a distance array has 6 entries in 0..4, got {list(distances)}")
    return int(np.dot(distances, POW5))


@functools.cache
def _digits() -> np.ndarray:
    """(15625, 6) int8: the distance array of every index."""
    a = np.arange(N_ARRAYS)[:, None]
    return ((a // POW5) % 5).astype(np.int8)


def _candidates(digits: np.ndarray) -> np.ndarray:
    """(n, 6 dice, 2) cube indices (0..5) that may move on each roll: [forced or lower, higher]; -1 = none."""
    present = digits > 0
    n = len(digits)
    out = np.full((n, 6, 2), -1, dtype=np.int64)
    for r in range(6):
        lower = np.full(n, -1)
        for j in range(r):  # the last present j < r wins: nearest lower
            lower = np.where(present[:, j], j, lower)
        higher = np.full(n, -1)
        for j in range(5, r, -1):  # the last assignment is the smallest j > r: nearest higher
            higher = np.where(present[:, j], j, higher)
        out[:, r, 0] = np.where(present[:, r], r, lower)
        out[:, r, 1] = np.where(present[:, r], -1, higher)
    return out


@dataclass(frozen=True)
class RaceTable:
    """``pdf[a, t]`` = P(X = t) for array index ``a`` (t = 0..19; column 0 is 0), ``cdf`` its cumulative sums and
    ``expected[a]`` = E[X]. The empty array (index 0) has no race: its row is all zeros."""

    pdf: np.ndarray
    cdf: np.ndarray
    expected: np.ndarray
    choice: str

    def value(self, mover_just_moved: int, side_to_move: int) -> float:
        """P(X < Y): the race value for the side that just moved (array ``mover_just_moved``, X) against the side to
        move (array ``side_to_move``, Y). 1 if the side to move has no cubes, 0 if the side that moved has none."""
        if side_to_move == 0:
            return 1.0
        if mover_just_moved == 0:
            return 0.0
        # P(X <= i-1) P(Y = i), i = 1..19
        return float(np.dot(self.cdf[mover_just_moved, :-1], self.pdf[side_to_move, 1:]))


def build_table(choice: ChoiceRule = "min-expected") -> RaceTable:
    """Run the dynamic programme over all 15,625 distance arrays (see the module docstring)."""
    if choice not in CHOICE_RULES:
        raise UserError(f"unknown choice rule '{choice}'; choose one of: {', '.join(CHOICE_RULES)}")
    digits = _digits().astype(np.int64)
    cands = _candidates(digits)
    total = digits.sum(1)
    pdf = np.zeros((N_ARRAYS, MAX_TURNS + 1))
    expected = np.zeros(N_ARRAYS)
    arrived = np.zeros(MAX_TURNS + 1)
    arrived[1] = 1.0  # stepping a distance-1 cube onto the corner ends the race this turn
    for level in range(1, int(total.max()) + 1):
        idx = np.nonzero(total == level)[0]
        acc = np.zeros((len(idx), MAX_TURNS + 1))
        acc_e = np.zeros(len(idx))
        for r in range(6):
            options = []
            for k in range(2):
                cube = cands[idx, r, k]
                valid = cube >= 0
                safe = np.where(valid, cube, 0)
                dist = digits[idx, safe]
                child = idx - POW5[safe]
                done = dist == 1
                shifted = np.zeros((len(idx), MAX_TURNS + 1))
                shifted[:, 1:] = pdf[np.where(done, 0, child), :-1]  # f_child(t - 1)
                contrib = np.where(done[:, None], arrived, shifted)
                exp = np.where(done, 1.0, expected[np.where(done, 0, child)] + 1.0)
                options.append((valid, contrib, exp))
            (v0, c0, e0), (v1, c1, e1) = options
            if choice == "min-expected":
                take_high = v1 & (~v0 | (e1 < e0))
            elif choice == "higher":
                take_high = v1
            else:
                take_high = v1 & ~v0
            acc += np.where(take_high[:, None], c1, c0)
            acc_e += np.where(take_high, e1, e0)
        pdf[idx] = acc / 6
        expected[idx] = acc_e / 6
    return RaceTable(pdf, np.cumsum(pdf, axis=1), expected, choice)


@functools.cache
def default_table(choice: ChoiceRule = "min-expected") -> RaceTable:
    """The table for ``choice``, built once per process."""
    return build_table(choice)


# -- exact EWN-simple ------------------------------------------------------------------------------------------------


def _closure(start: Sequence[int]) -> np.ndarray:
    """Indices of every array reachable from ``start`` without captures: same cubes, each distance in 1..start."""
    grids = np.meshgrid(*[np.arange(1, d + 1) if d else np.array([0]) for d in start], indexing="ij")
    return np.stack([g.ravel() for g in grids], axis=1) @ POW5


def exact_race(first: Sequence[int], second: Sequence[int]) -> float:
    """Exact probability that the side to move (distance array ``first``) wins EWN-simple against ``second``.

    Full expectimax over pairs of distance arrays: at every roll the mover takes the cube (of the allowed ones) that
    maximises its own win probability, knowing the opponent's array (so it is exact, not the table's E[X] rule).
    ``V(a, b) = 1/6 Σ_r max_{i ∈ M_a(r)} ([a_i = 1] + [a_i > 1]·(1 − V(b, a − e_i)))``, solved for all reachable pairs
    level by level (total distance), vectorised with NumPy.
    """
    if not any(first) or not any(second):
        raise UserError("both sides need at least one cube for a race")
    digits = _digits().astype(np.int64)
    sets = [_closure(first), _closure(second)]
    local = [np.full(N_ARRAYS, -1), np.full(N_ARRAYS, -1)]
    for s in (0, 1):
        local[s][sets[s]] = np.arange(len(sets[s]))
    sums = [digits[sets[s]].sum(1) for s in (0, 1)]
    cands = [_candidates(digits[sets[s]]) for s in (0, 1)]
    # V[s][i, j]: side s to move with its array sets[s][i], the other side with sets[1-s][j]
    V = [np.zeros((len(sets[0]), len(sets[1]))), np.zeros((len(sets[1]), len(sets[0])))]
    # pairs of each matrix grouped by level (sorted once rather than scanned per level)
    groups = []
    for s in (0, 1):
        flat = (sums[s][:, None] + sums[1 - s][None, :]).ravel()
        order = np.argsort(flat, kind="stable")
        bounds = np.searchsorted(flat[order], np.arange(flat.max() + 2))
        groups.append((order, bounds, len(sets[1 - s])))
    for level in range(int(min(sums[0].min(), sums[1].min())), int(sums[0].max() + sums[1].max()) + 1):
        for s in (0, 1):
            order, bounds, width = groups[s]
            if level + 1 >= len(bounds):
                continue
            ii, jj = np.divmod(order[bounds[level] : bounds[level + 1]], width)
            if len(ii) == 0:
                continue
            arrays = sets[s][ii]
            total = np.zeros(len(ii))
            for r in range(6):
                best = np.full(len(ii), -1.0)
                for k in range(2):
                    cube = cands[s][ii, r, k]
                    valid = cube >= 0
                    safe = np.where(valid, cube, 0)
                    dist = digits[arrays, safe]
                    done = dist == 1
                    child_local = local[s][np.where(done | ~valid, sets[s][0], arrays - POW5[safe])]
                    opp = V[1 - s][jj, child_local]
                    val = np.where(done, 1.0, 1.0 - opp)
                    best = np.where(valid, np.maximum(best, val), best)
                total += best
            V[s][ii, jj] = total / 6
    return float(V[0][local[0][array_index(first)], local[1][array_index(second)]])
