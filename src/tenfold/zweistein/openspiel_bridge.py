"""Interoperability with OpenSpiel's ``einstein_wurfelt_nicht`` (PyPI ``open-spiel``): a rules oracle for tests, a
speed baseline for benchmarks, and a wrapper that lets tenfold agents play as OpenSpiel bots.

Mapping: OpenSpiel's player 0 ("black", ``b1``..``b6``) starts top-left = our Red; player 1 ("white") starts
bottom-right = our Blue and moves first (``Rules(first_player=BLUE)``). OpenSpiel models placement as two chance nodes
over the 720 orders of each side and the roll as a chance node with outcomes 0..5 (= die 1..6). We compare moves as
(from cell, to cell) pairs read off the boards, so no knowledge of OpenSpiel's action numbering is needed.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from tenfold.common.errors import missing_package
from tenfold.zweistein.game import BLUE, CELLS, RED, State

OPENSPIEL_GAME = "einstein_wurfelt_nicht"


def available() -> bool:
    return importlib.util.find_spec("pyspiel") is not None


def pyspiel():
    if not available():
        raise missing_package("open-spiel", "the OpenSpiel cross-check")
    import pyspiel as _pyspiel

    return _pyspiel


def board_of(os_state: Any) -> list[int]:
    """Our board encoding (+k Red cube k, -k Blue cube k) read from OpenSpiel's text rendering."""
    cells = []
    for token in str(os_state).replace("\n", "").split("|"):
        token = token.strip()
        if not token:
            continue
        if token == "__":
            cells.append(0)
        else:
            cells.append(int(token[1]) if token[0] == "b" else -int(token[1]))
    if len(cells) != CELLS:
        raise ValueError(f"cannot parse OpenSpiel board: {os_state}")
    return cells


def action_moves(os_state: Any) -> dict[tuple[int, int], int]:
    """OpenSpiel's legal actions at a decision node, keyed by the (from cell, to cell) move they make."""
    before = board_of(os_state)
    out = {}
    for action in os_state.legal_actions():
        child = os_state.clone()
        child.apply_action(action)
        after = board_of(child)
        changed = [c for c in range(CELLS) if before[c] != after[c]]
        frm = next(c for c in changed if after[c] == 0)
        to = next(c for c in changed if c != frm)
        out[(frm, to)] = action
    return out


def cross_check(games: int, seed: int = 0) -> dict[str, int]:
    """Play ``games`` random games in OpenSpiel and in our engine side by side; at every decision compare the legal
    (from, to) sets, then the boards and the winner. Returns counts of decisions, games and mismatches."""
    sp = pyspiel()
    game = sp.load_game(OPENSPIEL_GAME)
    rng = np.random.default_rng(seed)
    decisions = mismatches = winner_mismatches = 0
    for _ in range(games):
        os_state = game.new_initial_state()
        for _placement in range(2):
            os_state.apply_action(int(rng.integers(len(os_state.chance_outcomes()))))
        ours = State(board_of(os_state), BLUE)
        while not os_state.is_terminal():
            die = int(rng.integers(6)) + 1
            os_state.apply_action(die - 1)
            theirs = action_moves(os_state)
            mine = {divmod(m, CELLS) for m in ours.legal_moves(die)}
            decisions += 1
            if mine != set(theirs):
                mismatches += 1
                break
            frm_to = sorted(theirs)[int(rng.integers(len(theirs)))]
            os_state.apply_action(theirs[frm_to])
            ours.apply(frm_to[0] * CELLS + frm_to[1])
            if ours.board != board_of(os_state) or ours.is_terminal != os_state.is_terminal():
                mismatches += 1
                break
        if os_state.is_terminal():
            returns = os_state.returns()
            their_winner = RED if returns[0] > 0 else BLUE
            winner_mismatches += int(ours.winner != their_winner)
    return {
        "games": games,
        "decisions": decisions,
        "move_set_mismatches": mismatches,
        "winner_mismatches": winner_mismatches,
    }


def openspiel_random_playouts(games: int, seed: int = 0) -> int:
    """Play ``games`` uniformly random games with OpenSpiel's C++ engine driven from Python; returns plies played."""
    sp = pyspiel()
    game = sp.load_game(OPENSPIEL_GAME)
    rng = np.random.default_rng(seed)
    plies = 0
    for _ in range(games):
        state = game.new_initial_state()
        while not state.is_terminal():
            if state.is_chance_node():
                state.apply_action(int(rng.integers(len(state.chance_outcomes()))))
            else:
                actions = state.legal_actions()
                state.apply_action(actions[int(rng.integers(len(actions)))])
                plies += 1
    return plies


def as_openspiel_bot(bot: Any, seed: int = 0):
    """Wrap a tenfold agent as a ``pyspiel.Bot`` (it plays whichever colour OpenSpiel asks it to)."""
    sp = pyspiel()

    class TenfoldBot(sp.Bot):
        def __init__(self) -> None:
            sp.Bot.__init__(self)
            bot.reset(seed)

        def restart_at(self, state: Any) -> None:
            bot.reset(seed)

        def step(self, state: Any) -> int:
            die = _last_roll(state)
            ours = State(board_of(state), RED if state.current_player() == 0 else BLUE)
            move = bot.choose(ours, die)
            return action_moves(state)[divmod(move, CELLS)]

    return TenfoldBot()


def _last_roll(os_state: Any) -> int:
    return int(os_state.history()[-1]) + 1
