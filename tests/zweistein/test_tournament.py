from __future__ import annotations

import math

import numpy as np
import pytest

from tenfold.common.stats import bradley_terry, elo_from_score, sprt_bounds, sprt_llr, wilson_interval
from tenfold.zweistein.data import dice, draw_setup
from tenfold.zweistein.tournament import SPRT, Tournament, play_match


def test_wilson_and_elo_known_values():
    lo, hi = wilson_interval(50, 100)
    assert (lo, hi) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert elo_from_score(0.5) == 0 and elo_from_score(10 / 11) == pytest.approx(400.0)
    assert math.isinf(elo_from_score(1.0))


def test_sprt_and_bradley_terry():
    lower, upper = sprt_bounds()
    assert lower == pytest.approx(-2.944, abs=1e-3) and upper == pytest.approx(2.944, abs=1e-3)
    assert sprt_llr(70, 30, 0, 50) > upper and sprt_llr(30, 70, 0, 50) < lower
    true = np.array([0.0, 200.0, -200.0])
    p = 1 / (1 + 10 ** ((true[None, :] - true[:, None]) / 400))
    wins = 10000 * p * (1 - np.eye(3))
    assert bradley_terry(wins) == pytest.approx(true - true.mean(), abs=2.0)


def test_paired_games_share_setup_and_dice():
    assert draw_setup(3, 5) == draw_setup(3, 5) and draw_setup(3, 5) != draw_setup(3, 6)
    red, blue = draw_setup(0, 1, "mirror")
    assert blue == red[::-1]
    a, b = dice(3, 5), dice(3, 5)
    assert [next(a) for _ in range(100)] == [next(b) for _ in range(100)]


def test_matches_are_reproducible_and_worker_independent():
    one = play_match("zweistein-1ply", "random", 24, seed=5, workers=1)
    two = play_match("zweistein-1ply", "random", 24, seed=5, workers=2)
    assert one.to_dict() == two.to_dict() and one.games == 24
    # random against itself with common random numbers: the colour-swapped game is the same game
    mirror = play_match("random", "random", 40, seed=1, workers=1)
    assert mirror.wins_a == mirror.games // 2


def test_sprt_stops_a_lopsided_match():
    result = play_match("zweistein-1ply", "random", 400, seed=0, workers=1, sprt=SPRT(0, 100))
    assert result.stopped_by_sprt == "H1" and result.games < 400


def test_round_robin_matrix_and_plot(tmp_path):
    tour = Tournament(["zweistein-1ply", "naive-1ply", "random"], games=8, workers=1).run()
    wins = tour.win_matrix()
    assert wins.shape == (3, 3) and (wins + wins.T)[0, 1] == 8 and np.trace(wins) == 0
    ratings = tour.ratings()
    assert ratings["zweistein-1ply"] > ratings["random"]
    fig = tour.plot()
    fig.savefig(tmp_path / "m.png")
    assert (tmp_path / "m.png").stat().st_size > 1000
