"""Rules against OpenSpiel's C++ einstein_wurfelt_nicht (skipped only when open-spiel is not installed)."""

from __future__ import annotations

import numpy as np
import pytest

pyspiel = pytest.importorskip("pyspiel")

from tenfold.zweistein.agents import make_agent  # noqa: E402
from tenfold.zweistein.openspiel_bridge import as_openspiel_bot, cross_check  # noqa: E402


def test_rules_match_openspiel_on_1000_random_games():
    result = cross_check(1000, seed=0)
    assert result["move_set_mismatches"] == 0 and result["winner_mismatches"] == 0
    assert result["decisions"] > 15000


def test_agents_play_inside_openspiel():
    game = pyspiel.load_game("einstein_wurfelt_nicht")
    bot = as_openspiel_bot(make_agent("zweistein-1ply"))
    rng = np.random.default_rng(0)
    wins = 0
    for _ in range(40):
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                state.apply_action(int(rng.integers(len(state.chance_outcomes()))))
            elif state.current_player() == 0:
                state.apply_action(bot.step(state))
            else:
                actions = state.legal_actions()
                state.apply_action(actions[int(rng.integers(len(actions)))])
        wins += state.returns()[0] > 0
    assert wins >= 30  # about 0.92 of games against random in our engine
