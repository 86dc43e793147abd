"""Smoke tests of ``tenfold zweistein ...`` and the start-position exactness (slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import assert_one_line_error

START = "ABC../DE.../F...d/...ef/..abc r 3"


@pytest.mark.smoke
def test_eval_json(cli):
    out = json.loads(cli("zweistein", "eval", "--position", START, "--json", check=True).stdout)
    assert out["red"]["distances"] == [4, 4, 4, 4, 3, 4]
    assert out["red"]["values"]["zweistein"] == pytest.approx(0.547821603304, abs=1e-9)
    assert len(out["moves"]) == 3 and out["moves"][0]["value"] >= out["moves"][-1]["value"]
    assert out["depth"] == 2


@pytest.mark.smoke
def test_eval_deepens_within_its_time_budget_and_says_where_it_stopped(cli):
    proc = cli("zweistein", "eval", "--position", START, "--depth", "30", "--time", "0.5", "--json", check=True)
    out = json.loads(proc.stdout)
    assert 1 <= out["depth"] < 30 and len(out["moves"]) == 3
    assert f"depth {out['depth']}'s" in proc.stderr  # the warning names the depth whose values are shown


@pytest.mark.smoke
def test_bad_positions_and_agents(cli):
    assert_one_line_error(cli("zweistein", "eval", "--position", "ABC../DEA../F...d/...ef/..abc r"), "appears twice")
    assert_one_line_error(cli("zweistein", "eval", "--position", "nonsense"), "expected '<rows> <r|b> [die]'")
    assert_one_line_error(cli("zweistein", "tournament", "--agents", "zweistein-d2,gnubg"), "unknown agent 'gnubg'")


@pytest.mark.smoke
def test_table_and_tournament(cli, tmp_path):
    cli("zweistein", "table", "--out", tmp_path / "t.npz", check=True)
    data = np.load(tmp_path / "t.npz")
    assert data["pdf"].shape == (15625, 20)
    out = tmp_path / "tour"
    proc = cli(
        "zweistein", "tournament", "--agents", "zweistein-1ply,random", "--games", "20", "--out-dir", out, check=True
    )
    assert "zweistein-1ply" in proc.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["matches"][0]["games"] == 20 and (out / "win_matrix.png").exists()


def _play(stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "tenfold", "zweistein", "play", "--seed", "1", *args]
    env = {**os.environ, "TENFOLD_PROGRESS": "0"}
    return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.smoke
def test_play_rejects_bad_moves_and_asks_again():
    proc = _play("zz\nf9 a1\na1 a1\n99\nquit\n", "--agent", "random")
    assert proc.returncode == 0, proc.stderr
    assert "type two cells" in proc.stdout and "not a cell" in proc.stdout and "illegal move" in proc.stdout
    assert proc.stdout.rstrip().endswith("bye") and "Traceback" not in proc.stderr


@pytest.mark.smoke
def test_play_a_whole_game():
    proc = _play("1\n" * 100, "--agent", "zweistein-1ply", "--color", "blue")
    assert proc.returncode == 0, proc.stderr
    assert "You win!" in proc.stdout or "zweistein-1ply wins." in proc.stdout


@pytest.mark.slow
def test_start_value_equals_exact_race_and_mirror():
    from tenfold.zweistein.reproduce import race_exactness

    race = race_exactness(small=False)
    assert race["abs_diff"] <= 1e-9
    assert race["board_value_red"] == pytest.approx(race["mirror_value_blue"], abs=1e-12)


@pytest.mark.slow
def test_strength_table_2000_games():
    from tenfold.zweistein.tournament import play_match

    for a, b in [("zweistein-d2", "naive-d2"), ("zweistein-d2", "schwarz-d2"), ("zweistein-d2", "zweistein-1ply")]:
        assert play_match(a, b, 2000, seed=0).interval[0] > 0.5, (a, b)
    vs_random = play_match("zweistein-1ply", "random", 2000, seed=0)
    assert vs_random.rate > 0.9 and vs_random.interval[0] > 0.5
