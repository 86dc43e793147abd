"""Rule conformance of the EWN engine (OpenSpiel-style: rules, apply/undo, records, golden playthrough)."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.common.errors import UserError
from tenfold.zweistein.agents import RandomBot
from tenfold.zweistein.game import (
    BLUE,
    CELLS,
    MOVABLE,
    RED,
    START_CELLS,
    GameRecord,
    Rules,
    State,
    cell_name,
    parse_cell,
    parse_position,
)
from tenfold.zweistein.tournament import play_game

START = "ABC../DE.../F...d/...ef/..abc r"


def moves_of(state: State, die: int) -> set[str]:
    return {f"{cell_name(m // CELLS)}{cell_name(m % CELLS)}" for m in state.legal_moves(die)}


def test_start_triangles_and_first_player():
    s = State.initial((1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 5, 6))
    assert all(r + c <= 2 for cell in START_CELLS[RED] for r, c in [divmod(cell, 5)])
    assert all(r + c >= 6 for cell in START_CELLS[BLUE] for r, c in [divmod(cell, 5)])
    assert s.to_move == RED and State.initial((1, 2, 3, 4, 5, 6), (1, 2, 3, 4, 5, 6), Rules(BLUE)).to_move == BLUE
    assert s.distances(RED) == (4, 4, 4, 4, 3, 4) and s.distances(BLUE) == (4, 3, 4, 4, 4, 4)


def test_directions_and_edges():
    state, _ = parse_position("A..../...../...../...../....a r")
    assert moves_of(state, 1) == {"a1b1", "a1a2", "a1b2"}  # right, down, down-right
    state, _ = parse_position("....A/...../...../...../a.... r")
    assert moves_of(state, 1) == {"e1e2"}  # the right edge: only down
    state.to_move = BLUE
    assert moves_of(state, 1) == {"a5a4"}  # Blue on the bottom-left: only up


def test_missing_cube_gives_nearest_lower_and_higher():
    assert MOVABLE[0b101101][2] == (1, 3)  # cubes 1,3,4,6 present; roll 2 -> 1 or 3
    assert MOVABLE[0b101101][5] == (4, 6)
    assert MOVABLE[0b001100][1] == (3,)  # only higher exists
    assert MOVABLE[0b001100][6] == (4,)  # only lower exists
    assert MOVABLE[0b111111][4] == (4,)  # present: forced


def test_captures_own_and_enemy_and_wins():
    state, _ = parse_position("AB.../.a.../...../...../....b r")
    state.apply(parse_cell("a1") * CELLS + parse_cell("b1"))  # self-capture of Red 2
    assert state.board[parse_cell("b1")] == 1 and state.pos[RED][2] == -1 and state.winner is None
    state.undo()
    assert state.board[parse_cell("b1")] == 2 and state.pos[RED][2] == parse_cell("b1")
    state.apply(parse_cell("a1") * CELLS + parse_cell("b2"))  # captures Blue 1, Blue still has cube 2
    assert state.pos[BLUE][1] == -1 and state.winner is None
    state, _ = parse_position("A..../.a.../...../...../..... r")
    state.apply(parse_cell("a1") * CELLS + parse_cell("b2"))
    assert state.winner == RED  # all enemy cubes captured
    state, _ = parse_position("..a../...../...../...A./..... r")
    assert state.winner is None
    state.apply(parse_cell("d4") * CELLS + parse_cell("e5"))
    assert state.winner == RED and state.legal_moves(1) == []  # reached the corner


def test_apply_undo_restores_everything_over_random_games():
    rng = np.random.default_rng(0)
    for _ in range(50):
        state = State.initial(tuple(rng.permutation(6) + 1), tuple(rng.permutation(6) + 1))
        snapshots = []
        while state.winner is None:
            snapshots.append((state.board[:], [p[:] for p in state.pos], state.mask[:], state.to_move))
            moves = state.legal_moves(int(rng.integers(1, 7)))
            state.apply(moves[int(rng.integers(len(moves)))])
        for snap in reversed(snapshots):
            state.undo()
            assert (state.board, state.pos, state.mask, state.to_move) == snap
            assert state.winner is None


def test_records_replay_exactly_and_golden_game():
    bot_a, bot_b = RandomBot(), RandomBot()
    winner, record = play_game(bot_a, bot_b, seed=7, game=3, record=True)
    assert record is not None and record.winner == winner
    replayed = list(record.replay())
    assert [m for _, _, m in replayed] == record.moves
    assert record.final_state().winner == winner
    # golden playthrough: the same seed gives the same game on any machine
    again = play_game(RandomBot(), RandomBot(), seed=7, game=3, record=True)[1]
    assert again.to_dict() == record.to_dict()
    # a hand-written opening: Red rolls 6 and steps cube 6 from a3 to b3
    golden = GameRecord((1, 2, 3, 4, 5, 6), (6, 5, 4, 3, 2, 1), RED, rolls=[6], moves=[10 * CELLS + 11])
    assert len(list(golden.replay())) == 1 and golden.final_state().board[11] == 6
    golden.winner = RED  # a record that lies about the result is caught
    with pytest.raises(UserError, match="winner"):
        list(golden.replay())


def test_illegal_record_is_rejected():
    bad = GameRecord((1, 2, 3, 4, 5, 6), (6, 5, 4, 3, 2, 1), RED, rolls=[1], moves=[10 * CELLS + 11], winner=None)
    with pytest.raises(UserError, match="not legal"):
        list(bad.replay())


def test_position_string_round_trip():
    state, die = parse_position(START + " 3")
    assert die == 3 and state.to_string(die) == START + " 3"
    assert parse_position(state.to_string())[0].board == state.board


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("ABC../DE.../F...d/...ef/..abc", "expected '<rows> <r|b> [die]'"),
        ("ABC../DE.../F...d/...ef r", "5 rows of 5 cells"),
        ("ABC../DEA../F...d/...ef/..abc r", "Red cube 1 appears twice"),
        ("ABCG./DE.../F...d/...ef/..abc r", "unknown cell 'G'"),
        ("ABC../DE.../F...d/...ef/..abc x", "'r' or 'b'"),
        ("ABC../DE.../F...d/...ef/..abc r 7", "die must be 1-6"),
        ("...../...../...../...../..... r", "at least one cube"),
    ],
)
def test_malformed_positions(text, fragment):
    with pytest.raises(UserError) as err:
        parse_position(text)
    assert fragment in str(err.value)


def test_impossible_boards():
    board = [0] * 25
    board[0] = board[7] = 3  # Red cube 3 twice: a seventh Red cube
    with pytest.raises(UserError, match="red cube 3 is on two squares"):
        State(board)
    with pytest.raises(UserError, match=r"0 or ±1\.\.±6"):
        State([7] + [0] * 24)
    with pytest.raises(UserError, match="25 cells"):
        State([1, -1])


def test_cells():
    assert cell_name(0) == "a1" and cell_name(24) == "e5" and parse_cell("c2") == 7
    with pytest.raises(UserError, match="not a cell"):
        parse_cell("f9")
