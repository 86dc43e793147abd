"""Matches and round-robin tournaments with common random numbers.

Games are played in pairs: the same setup and the same dice stream, with the agents' colours swapped, so that luck
of the dice and of the placement cancels within a pair (variance reduction). Pairs run in parallel worker processes
(agents are rebuilt there from their spec strings). Results: win rates with Wilson 95 % intervals, Elo differences,
Bradley–Terry ratings for a round robin, an optional SPRT that stops a match once it is decided, a win-rate matrix plot.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tenfold.common.parallel import pmap
from tenfold.common.progress import progress
from tenfold.common.seeding import derive_seed
from tenfold.common.stats import bradley_terry, elo_from_score, sprt_bounds, sprt_llr, wilson_interval
from tenfold.zweistein.agents import Bot, make_agent
from tenfold.zweistein.data import Placement, dice, draw_setup
from tenfold.zweistein.game import BLUE, RED, GameRecord, Rules, State

DEFAULT_RULES = Rules()
MAX_PLIES = 200  # a game ends within 96 moves (each move raises the mover's r + c sum); a guard against bugs


def play_game(
    red: Bot,
    blue: Bot,
    seed: int,
    game: int,
    rules: Rules = DEFAULT_RULES,
    placement: Placement = "random",
    record: bool = False,
) -> tuple[int, GameRecord | None]:
    """Play game ``game`` of a match seeded ``seed``; returns the winner (0 Red, 1 Blue) and optionally the record."""
    red_setup, blue_setup = draw_setup(seed, game, placement)
    state = State.initial(red_setup, blue_setup, rules)
    bots = (red, blue)
    for side, bot in enumerate(bots):
        bot.reset(derive_seed(seed, "bot", game, side))
    rec = GameRecord(red_setup, blue_setup, rules.first_player) if record else None
    rolls = dice(seed, game)
    for _ in range(MAX_PLIES):
        roll = next(rolls)
        move = bots[state.to_move].choose(state, roll)
        if rec is not None:
            rec.rolls.append(roll)
            rec.moves.append(move)
        state.apply(move)
        if state.winner is not None:
            if rec is not None:
                rec.winner = state.winner
            return state.winner, rec
    raise RuntimeError(f"game {game} did not end within {MAX_PLIES} plies")


def _play_pair(args: tuple[str, str, int, int, Rules, Placement]) -> tuple[int, int]:
    """Games 2i (A Red) and 2i+1 (A Blue) on the same setup and dice; returns A's wins in each (0/1, 0/1)."""
    spec_a, spec_b, seed, pair, rules, placement = args
    a, b = make_agent(spec_a), make_agent(spec_b)
    w1, _ = play_game(a, b, seed, pair, rules, placement)
    w2, _ = play_game(b, a, seed, pair, rules, placement)
    return int(w1 == RED), int(w2 == BLUE)


@dataclass
class MatchResult:
    """Outcome of A against B over paired games."""

    a: str
    b: str
    wins_a: int = 0
    games: int = 0
    wins_a_as_red: int = 0
    games_as_red: int = 0
    stopped_by_sprt: str | None = None

    @property
    def rate(self) -> float:
        return self.wins_a / self.games if self.games else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.wins_a, self.games)

    @property
    def elo(self) -> float:
        return elo_from_score(self.rate)

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.interval
        return {
            "a": self.a,
            "b": self.b,
            "wins_a": self.wins_a,
            "games": self.games,
            "rate": self.rate,
            "wilson_lo": lo,
            "wilson_hi": hi,
            "elo_diff": self.elo,
            "sprt": self.stopped_by_sprt,
            "a_as_red_rate": self.wins_a_as_red / max(1, self.games_as_red),
        }


@dataclass
class SPRT:
    """Stop a match once H1 (A is ``elo1`` stronger) or H0 (``elo0``) is accepted at error rates alpha/beta."""

    elo0: float = 0.0
    elo1: float = 50.0
    alpha: float = 0.05
    beta: float = 0.05

    def decide(self, wins: int, games: int) -> str | None:
        llr = sprt_llr(wins, games - wins, self.elo0, self.elo1)
        lower, upper = sprt_bounds(self.alpha, self.beta)
        return "H1" if llr >= upper else "H0" if llr <= lower else None


def play_match(
    a: str,
    b: str,
    games: int,
    seed: int = 0,
    rules: Rules = DEFAULT_RULES,
    placement: Placement = "random",
    workers: int | None = None,
    sprt: SPRT | None = None,
    desc: str | None = None,
) -> MatchResult:
    """``games`` games (rounded up to pairs) of agent spec ``a`` against ``b``, in parallel."""
    make_agent(a), make_agent(b)  # fail on a bad spec here, not in a worker
    pairs = (games + 1) // 2
    result = MatchResult(a, b)
    jobs = [(a, b, seed, i, rules, placement) for i in range(pairs)]
    bar = progress(total=pairs * 2, desc=desc or f"{a} vs {b}")
    for w_red, w_blue in _map(_play_pair, jobs, workers):
        result.wins_a += w_red + w_blue
        result.games += 2
        result.wins_a_as_red += w_red
        result.games_as_red += 1
        bar.update(2)
        if sprt is not None and (decision := sprt.decide(result.wins_a, result.games)):
            result.stopped_by_sprt = decision
            break
    bar.close()
    return result


def _map(fn: Callable, jobs: Sequence, workers: int | None):
    """Ordered results of ``fn`` over ``jobs`` (ordered, so SPRT decisions do not depend on scheduling; leaving early
    cancels the rest): forked worker processes, no torch."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    chunk = max(1, len(jobs) // (max(n, 1) * 8))
    return pmap(fn, jobs, workers, min_jobs=4, chunksize=chunk, start_method="fork", torch_threads=None)


@dataclass
class Tournament:
    """A round robin: every pair of agents plays ``games`` paired games."""

    agents: list[str]
    games: int
    seed: int = 0
    rules: Rules = field(default_factory=Rules)
    placement: Placement = "random"
    workers: int | None = None
    matches: list[MatchResult] = field(default_factory=list)

    def run(self) -> Tournament:
        for i, j in itertools.combinations(range(len(self.agents)), 2):
            self.matches.append(
                play_match(
                    self.agents[i], self.agents[j], self.games, self.seed, self.rules, self.placement, self.workers
                )
            )
        return self

    def win_matrix(self) -> np.ndarray:
        """``M[i, j]`` = games agent i won against agent j."""
        index = {name: k for k, name in enumerate(self.agents)}
        wins = np.zeros((len(self.agents), len(self.agents)))
        for m in self.matches:
            wins[index[m.a], index[m.b]] += m.wins_a
            wins[index[m.b], index[m.a]] += m.games - m.wins_a
        return wins

    def ratings(self) -> dict[str, float]:
        """Bradley–Terry Elo ratings (mean 0)."""
        return dict(zip(self.agents, bradley_terry(self.win_matrix()).tolist(), strict=True))

    def plot(self):
        """Heat map of row-agent win rates against column agents."""
        from tenfold.common.plots import new_figure

        wins = self.win_matrix()
        games = wins + wins.T
        rate = np.divide(wins, games, out=np.full_like(wins, np.nan), where=games > 0)
        fig, ax = new_figure(1.2 + 1.1 * len(self.agents), 0.9 + 0.9 * len(self.agents))
        ax.grid(False)
        im = ax.imshow(rate, vmin=0, vmax=1, cmap="RdYlGn")
        ax.set_xticks(range(len(self.agents)), self.agents, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(self.agents)), self.agents, fontsize=8)
        for i, j in itertools.product(range(len(self.agents)), repeat=2):
            if games[i, j]:
                ax.text(j, i, f"{rate[i, j]:.2f}", ha="center", va="center", fontsize=8)
        ax.set_title("win rate of row against column", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046)
        return fig
