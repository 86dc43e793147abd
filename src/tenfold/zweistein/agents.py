"""Agents ("bots", OpenSpiel's word): given a position and the die just rolled, pick a move.

Agent specs (strings, so that tournaments can build agents in worker processes)::

    random                      uniform over legal moves
    <eval>-1ply                 greedy: the move whose resulting position <eval> values most (= depth 1)
    <eval>-d<N>                 expectiminimax to depth N (plies of roll + move) with Star1 pruning
    <eval>-t<MS>                iterative-deepening expectiminimax with a time budget of MS milliseconds per move
    <eval>-mcts<N>              MCTS with N iterations, <eval> as the leaf value (no random playouts)

``<eval>`` is ``zweistein``, ``naive`` or ``schwarz`` (:mod:`~tenfold.zweistein.evaluation`).
"""

from __future__ import annotations

import math
import re
import time
from typing import Protocol

import numpy as np

from tenfold.common.errors import UserError
from tenfold.zweistein.evaluation import EVALUATORS, Evaluator
from tenfold.zweistein.game import State


class Bot(Protocol):
    name: str

    def reset(self, seed: int) -> None:
        """Start a new game; ``seed`` drives any randomness of the bot."""
        ...

    def choose(self, state: State, die: int) -> int:
        """A legal move for ``state.to_move`` after rolling ``die``; ``state`` must be left as it was given."""
        ...


class RandomBot:
    name = "random"

    def __init__(self) -> None:
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def choose(self, state: State, die: int) -> int:
        moves = state.legal_moves(die)
        return moves[int(self.rng.integers(len(moves)))]


class Timeout(Exception):
    pass


class ExpectiminimaxBot:
    """Expectiminimax over rolls and moves (depth = plies of roll + move), leaves valued by ``evaluator``.

    Star1 pruning (Ballard 1983): values lie in [0, 1], so after ``k`` of the 6 rolls of a chance node the average is
    bounded by ``(Σ + (5 − k)·0)/6`` and ``(Σ + (5 − k)·1)/6``; each roll's subtree gets the window that could still
    move the average across [α, β], and the node stops as soon as it cannot. With ``time_ms`` the bot deepens
    iteratively from depth 1 and plays the best move of the deepest search that finished in time.
    """

    def __init__(self, evaluator: Evaluator, depth: int = 2, time_ms: float | None = None, star1: bool = True):
        if depth < 1:
            raise UserError("search depth must be >= 1")
        self.evaluator, self.depth, self.time_ms, self.star1 = evaluator, depth, time_ms, star1
        kind = f"t{int(time_ms)}" if time_ms else ("1ply" if depth == 1 else f"d{depth}")
        self.name = f"{evaluator.name}-{kind}"
        self.nodes = 0
        self._deadline = math.inf

    def reset(self, seed: int) -> None:
        self.nodes = 0

    def choose(self, state: State, die: int) -> int:
        moves = state.legal_moves(die)
        if len(moves) == 1:
            return moves[0]
        if not self.time_ms:
            return self._root(state, moves, self.depth)
        self._deadline = time.perf_counter() + self.time_ms / 1000
        best = self._root(state, moves, 1)  # depth 1 always finishes
        depth = 2
        try:
            while time.perf_counter() < self._deadline and depth <= 64:
                best = self._root(state, moves, depth)
                depth += 1
        except Timeout:
            pass
        finally:
            self._deadline = math.inf
        return best

    def search_value(self, state: State, die: int, depth: int | None = None) -> float:
        """Expectiminimax value for the side to move after rolling ``die``."""
        return self._max(state, die, depth or self.depth, -1.0, 2.0)

    def _root(self, state: State, moves: list[int], depth: int) -> int:
        best_move, best, alpha = moves[0], -1.0, -1.0
        for move in moves:
            v = self._after_move(state, move, depth, alpha, 2.0)
            if v > best:
                best_move, best = move, v
                alpha = max(alpha, v)
        return best_move

    def _after_move(self, state: State, move: int, depth: int, alpha: float, beta: float) -> float:
        player = state.to_move
        state.apply(move)
        try:
            if state.winner is not None:
                return 1.0 if state.winner == player else 0.0
            if depth <= 1:
                self.nodes += 1
                return self.evaluator.value(state, player)
            return 1.0 - self._chance(state, depth - 1, 1.0 - beta, 1.0 - alpha)
        finally:
            state.undo()

    def _max(self, state: State, die: int, depth: int, alpha: float, beta: float) -> float:
        if time.perf_counter() > self._deadline:
            raise Timeout
        best = -1.0
        for move in state.legal_moves(die):
            v = self._after_move(state, move, depth, alpha, beta)
            if v > best:
                best = v
                if best > alpha:
                    alpha = best
                    if best >= beta:
                        break
        return best

    def _chance(self, state: State, depth: int, alpha: float, beta: float) -> float:
        total = 0.0
        for die in range(1, 7):
            remaining = 6 - die
            if not self.star1:
                total += self._max(state, die, depth, -1.0, 2.0)
                continue
            child_alpha = 6 * alpha - total - remaining  # the rest could still add at most 1 each
            child_beta = 6 * beta - total  # ... and at least 0 each
            v = self._max(state, die, depth, child_alpha, child_beta)
            total += v
            if v <= child_alpha:
                return (total + remaining) / 6  # an upper bound <= alpha
            if v >= child_beta:
                return total / 6  # a lower bound >= beta
        return total / 6


class MCTSBot:
    """Monte-Carlo tree search for a dice game: open-loop over sampled rolls, UCT at decision nodes, the evaluator as
    the leaf value (the "cutoff evaluation" use of Zweistein), values backed up for each node's mover."""

    def __init__(self, evaluator: Evaluator, iterations: int = 400, c: float = 0.7):
        self.evaluator, self.iterations, self.c = evaluator, iterations, c
        self.name = f"{evaluator.name}-mcts{iterations}"
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def choose(self, state: State, die: int) -> int:
        moves = state.legal_moves(die)
        if len(moves) == 1:
            return moves[0]
        # node key: the sequence of (roll, move) from the root; stats[key] = [visits, value sum for the mover]
        stats: dict[tuple, list[float]] = {}
        for root_visits in range(self.iterations):
            path: list[tuple[tuple, int]] = []  # (edge key, mover)
            key: tuple = ()
            roll = die
            sim = state
            applied = 0
            value_for = None
            while True:
                legal = sim.legal_moves(roll)
                parent_visits = root_visits if not key else stats.get(key, [1, 0])[0]
                mover = sim.to_move
                best, best_score = legal[0], -math.inf
                for m in legal:
                    edge = (*key, roll, m)
                    st = stats.get(edge)
                    if st is None:
                        best, best_score = m, math.inf
                        break
                    score = st[1] / st[0] + self.c * math.sqrt(math.log(parent_visits + 1) / st[0])
                    if score > best_score:
                        best, best_score = m, score
                edge = (*key, roll, best)
                new = edge not in stats
                sim.apply(best)
                applied += 1
                path.append((edge, mover))
                if sim.winner is not None:
                    value_for = (mover, 1.0 if sim.winner == mover else 0.0)
                    break
                if new:
                    value_for = (mover, self.evaluator.value(sim, mover))
                    break
                key, roll = edge, int(self.rng.integers(1, 7))
            who, v = value_for
            for edge, mover in path:
                st = stats.setdefault(edge, [0, 0.0])
                st[0] += 1
                st[1] += v if mover == who else 1.0 - v
            for _ in range(applied):
                sim.undo()
        return max(moves, key=lambda m: stats.get((die, m), [0, 0])[0])


_SPEC = re.compile(r"^(?P<eval>[a-z]+)-(?:(?P<oneply>1ply)|d(?P<depth>\d+)|t(?P<ms>\d+)|mcts(?P<iters>\d+))$")


def make_agent(spec: str) -> Bot:
    """Build an agent from its spec string (see the module docstring)."""
    if spec == "random":
        return RandomBot()
    m = _SPEC.match(spec)
    if not m:
        raise UserError(
            f"unknown agent '{spec}'; use random, <eval>-1ply, <eval>-d<N>, <eval>-t<ms> or "
            f"<eval>-mcts<N> with <eval> one of {', '.join(EVALUATORS.names())}"
        )
    evaluator = EVALUATORS.get(m["eval"])()
    if m["oneply"]:
        return ExpectiminimaxBot(evaluator, depth=1)
    if m["depth"]:
        return ExpectiminimaxBot(evaluator, depth=int(m["depth"]))
    if m["ms"]:
        return ExpectiminimaxBot(evaluator, depth=64, time_ms=float(m["ms"]))
    return MCTSBot(evaluator, iterations=int(m["iters"]))
