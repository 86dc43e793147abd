from __future__ import annotations

import numpy as np
import pytest

from tenfold.common.errors import UserError
from tenfold.zweistein.agents import ExpectiminimaxBot, make_agent
from tenfold.zweistein.evaluation import NaiveEvaluator, SchwarzEvaluator, ZweisteinEvaluator
from tenfold.zweistein.game import RED, State, parse_position


def random_positions(n: int, seed: int = 0, plies: int = 8):
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        state = State.initial(tuple(rng.permutation(6) + 1), tuple(rng.permutation(6) + 1))
        for _ in range(int(rng.integers(0, plies))):
            moves = state.legal_moves(int(rng.integers(1, 7)))
            state.apply(moves[int(rng.integers(len(moves)))])
            if state.winner is not None:
                break
        if state.winner is None:
            out.append((state, int(rng.integers(1, 7))))
    return out


@pytest.mark.parametrize(
    "spec", ["random", "zweistein-1ply", "naive-d2", "schwarz-d2", "zweistein-d2", "zweistein-mcts50", "zweistein-t20"]
)
def test_agents_play_legal_moves_and_leave_the_state_alone(spec):
    bot = make_agent(spec)
    bot.reset(0)
    for state, die in random_positions(10):
        before, plies = state.to_string(), len(state.history)
        move = bot.choose(state, die)
        assert move in state.legal_moves(die)
        assert state.to_string() == before and len(state.history) == plies


@pytest.mark.parametrize("depth", [2, 3])
def test_star1_pruning_does_not_change_values(depth):
    pruned = ExpectiminimaxBot(ZweisteinEvaluator(), depth=depth, star1=True)
    full = ExpectiminimaxBot(ZweisteinEvaluator(), depth=depth, star1=False)
    for state, die in random_positions(8, seed=depth):
        assert pruned.search_value(state, die) == pytest.approx(full.search_value(state, die), abs=1e-12)
        assert pruned.choose(state, die) == full.choose(state, die)


def test_star1_prunes():
    pruned = ExpectiminimaxBot(ZweisteinEvaluator(), depth=3, star1=True)
    full = ExpectiminimaxBot(ZweisteinEvaluator(), depth=3, star1=False)
    for state, die in random_positions(5, seed=9):
        pruned.choose(state, die)
        full.choose(state, die)
    assert pruned.nodes < full.nodes


def test_greedy_takes_an_immediate_win():
    state, die = parse_position("...../...../..b../...A./....a r 1")
    move = make_agent("naive-1ply").choose(state, die)
    state.apply(move)
    assert state.winner == RED


def test_evaluators_are_probabilities_and_zero_sum():
    for state, _ in random_positions(30, seed=4):
        for ev in (ZweisteinEvaluator(), NaiveEvaluator(), SchwarzEvaluator()):
            red, blue = ev.value(state, 0), ev.value(state, 1)
            assert 0.0 <= red <= 1.0 and red + blue == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("spec", ["greedy", "zweistein-d0", "alphazero-d2", "zweistein-x2"])
def test_bad_agent_specs(spec):
    with pytest.raises(UserError):
        make_agent(spec)
