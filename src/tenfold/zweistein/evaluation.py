"""Evaluation functions: the value of a position for a player, in [0, 1] (an estimated win probability).

* :class:`ZweisteinEvaluator` — the paper's evaluation: the race value of the two sides' distance arrays from the
  :mod:`~tenfold.zweistein.race` table. No tuned parameters.
* :class:`NaiveEvaluator` — the textbook baseline: mean distance of the present cubes to the goal.
* :class:`SchwarzEvaluator` — after Schwarz's tables (Wikipedia, "EinStein würfelt nicht!", Strategy): each cube's
  expected number of turns to the goal given how many die faces move it (mobility), the best cube per side, plus the
  chance that the opponent can capture one of our cubes on its next roll (threat). The published tables are not
  available to us; this is the common reading of them (paper note), not the paper's exact baseline.

Baselines map a score difference ``Δ`` to ``1 / (1 + e^(-Δ))``; the search only compares and averages values, so the
scale matters little, and they get no tuning either.
"""

from __future__ import annotations

import math
from typing import Protocol

from tenfold.common.registry import Registry
from tenfold.zweistein.game import DISTANCE, MOVABLE, STEPS, State
from tenfold.zweistein.race import RaceTable, default_table


class Evaluator(Protocol):
    name: str

    def value(self, state: State, player: int) -> float:
        """Estimated probability that ``player`` wins from ``state`` (terminal states score exactly 1 or 0)."""
        ...


class ZweisteinEvaluator:
    """The paper's evaluation: P(X < Y) for the side that just moved (X) against the side to move (Y)."""

    name = "zweistein"

    def __init__(self, table: RaceTable | None = None):
        self.table = table or default_table()

    def value(self, state: State, player: int) -> float:
        if state.winner is not None:
            return 1.0 if state.winner == player else 0.0
        mine, theirs = state.array_index(player), state.array_index(1 - player)
        if state.to_move != player:  # player just moved: its race X against the mover's Y
            return self.table.value(mine, theirs)
        return 1.0 - self.table.value(theirs, mine)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class NaiveEvaluator:
    """Mean distance of the present cubes: ``σ(mean_opponent − mean_own)``."""

    name = "naive"

    def value(self, state: State, player: int) -> float:
        if state.winner is not None:
            return 1.0 if state.winner == player else 0.0
        return _logistic(_mean_distance(state, 1 - player) - _mean_distance(state, player))


def _mean_distance(state: State, side: int) -> float:
    dist = DISTANCE[side]
    cells = [c for c in state.pos[side][1:] if c >= 0]
    return sum(dist[c] for c in cells) / len(cells)


FACES = tuple(tuple(sum(cube in MOVABLE[mask][die] for die in range(1, 7)) for cube in range(7)) for mask in range(64))
"""``FACES[mask][cube]``: how many die faces let ``cube`` move when the cubes in ``mask`` are present."""


class SchwarzEvaluator:
    """Mobility-weighted distance (Schwarz tables) with a capture-threat term: ``σ(S_opp − S_own + T_opp − T_own)``,
    ``S`` = min over cubes of 6·distance / faces, ``T`` = probability the other side can capture one of our cubes on its
    next roll."""

    name = "schwarz"

    def value(self, state: State, player: int) -> float:
        if state.winner is not None:
            return 1.0 if state.winner == player else 0.0
        opp = 1 - player
        score = _schwarz(state, opp) - _schwarz(state, player) + _threat(state, opp) - _threat(state, player)
        return _logistic(score)


def _schwarz(state: State, side: int) -> float:
    faces, dist, pos = FACES[state.mask[side]], DISTANCE[side], state.pos[side]
    return min(6.0 * dist[pos[k]] / faces[k] for k in range(1, 7) if pos[k] >= 0)


def _threat(state: State, side: int) -> float:
    """Fraction of the other side's die faces with which it can capture a cube of ``side``."""
    attacker = 1 - side
    board, pos, steps, mask = state.board, state.pos[attacker], STEPS[attacker], state.mask[attacker]
    sign = 1 if side == 0 else -1
    hits = 0
    for die in range(1, 7):
        if any(board[to] * sign > 0 for cube in MOVABLE[mask][die] for to in steps[pos[cube]]):
            hits += 1
    return hits / 6


EVALUATORS: Registry[type] = Registry("evaluator")
EVALUATORS.register("zweistein", ZweisteinEvaluator, "the paper's DP race table (no parameters)")
EVALUATORS.register("naive", NaiveEvaluator, "mean distance of present cubes to the goal")
EVALUATORS.register("schwarz", SchwarzEvaluator, "Schwarz-style mobility-weighted distance + capture threat")
