"""Zweistein benchmarks, printed as JSON; each speed comes with a ratio against a baseline measured in the same run.

python benchmarks/bench_zweistein.py
"""

from __future__ import annotations

import json
import time

import numpy as np

from tenfold.zweistein import openspiel_bridge
from tenfold.zweistein.agents import RandomBot, make_agent
from tenfold.zweistein.evaluation import NaiveEvaluator, SchwarzEvaluator, ZweisteinEvaluator
from tenfold.zweistein.game import State
from tenfold.zweistein.race import build_table
from tenfold.zweistein.tournament import play_game


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def playouts(games: int = 3000) -> dict:
    def ours() -> int:
        a, b = RandomBot(), RandomBot()
        plies = 0
        for g in range(games):
            plies += len(play_game(a, b, 0, g, record=True)[1].moves)
        return plies

    plies, seconds = _timed(ours)
    out = {"tenfold_games_per_s": games / seconds, "tenfold_plies_per_s": plies / seconds}
    if openspiel_bridge.available():
        os_plies, os_seconds = _timed(openspiel_bridge.openspiel_random_playouts, games)
        out |= {
            "openspiel_games_per_s": games / os_seconds,
            "openspiel_plies_per_s": os_plies / os_seconds,
            "tenfold_over_openspiel": (games / seconds) / (games / os_seconds),
        }
    return out


def evaluations(n: int = 20000) -> dict:
    rng = np.random.default_rng(0)
    states = []
    for _ in range(200):
        s = State.initial(tuple(rng.permutation(6) + 1), tuple(rng.permutation(6) + 1))
        for _ in range(int(rng.integers(0, 10))):
            moves = s.legal_moves(int(rng.integers(1, 7)))
            s.apply(moves[int(rng.integers(len(moves)))])
            if s.winner is not None:
                s.undo()
                break
        states.append(s)
    rates = {}
    for ev in (ZweisteinEvaluator(), NaiveEvaluator(), SchwarzEvaluator()):
        t0 = time.perf_counter()
        for i in range(n):
            ev.value(states[i % len(states)], i & 1)
        rates[ev.name] = n / (time.perf_counter() - t0)
    return {"evals_per_s": rates, "zweistein_over_naive": rates["zweistein"] / rates["naive"]}


def depth2_games(games: int = 200) -> dict:
    out = {}
    for spec in ("zweistein-d2", "naive-d2", "zweistein-1ply"):
        a, b = make_agent(spec), make_agent(spec)
        t0 = time.perf_counter()
        for g in range(games):
            play_game(a, b, 1, g)
        seconds = time.perf_counter() - t0
        out[spec] = games / seconds
    return {"games_per_s": out, "d2_over_1ply": out["zweistein-d2"] / out["zweistein-1ply"]}


def main() -> None:
    _, table_seconds = _timed(build_table)
    print(
        json.dumps(
            {
                "table_build_s": table_seconds,
                "playouts": playouts(),
                "evaluations": evaluations(),
                "search": depth2_games(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
