"""``tenfold reproduce zweistein``: the race table's exactness, the rules against OpenSpiel, and the strength table."""

from __future__ import annotations

from tenfold.common.claims import Measured, Skipped, claim_index
from tenfold.common.reproduce import Context, Reproducer
from tenfold.common.stats import wilson_interval
from tenfold.zweistein import openspiel_bridge
from tenfold.zweistein.claims import CLAIMS, MATCH_CLAIMS
from tenfold.zweistein.config import PRESETS, ReproConfig
from tenfold.zweistein.evaluation import ZweisteinEvaluator
from tenfold.zweistein.game import RED, Rules, State
from tenfold.zweistein.race import array_index, default_table, exact_race
from tenfold.zweistein.tournament import MatchResult, Tournament, play_game, play_match

REPRODUCER = Reproducer("zweistein", CLAIMS, PRESETS, code=("tenfold.zweistein",))
CLAIM_INDEX = claim_index(CLAIMS)


def start_arrays(red_setup: tuple[int, ...]) -> tuple[int, ...]:
    """Distance array of a side at the start: cube on the cell next to the corner (distance 3), the rest 4."""
    state = State.initial(red_setup, red_setup[::-1])
    return state.distances(RED)


def race_exactness(small: bool) -> dict[str, float]:
    """The first mover's table value at a symmetric all-cubes start against the exact expectimax of the race."""
    arrays = (2, 2, 2, 2, 2, 1) if small else start_arrays((1, 2, 3, 4, 5, 6))
    table = default_table()
    index = array_index(arrays)
    zweistein = 1.0 - table.value(index, index)  # the side to move wins iff Y <= X
    exact = exact_race(arrays, arrays)
    # the 180° mirror with colours swapped: the same arrays for the other colour, so the value is invariant by
    # construction of the table; evaluate it through a real board to test the distance mapping too.
    state = State.initial((1, 2, 3, 4, 5, 6), (6, 5, 4, 3, 2, 1))
    ev = ZweisteinEvaluator(table)
    board_red = ev.value(state, RED)
    mirrored = State([-v for v in reversed(state.board)], 1 - state.to_move)
    return {
        "arrays": list(arrays),
        "zweistein": zweistein,
        "exact": exact,
        "abs_diff": abs(zweistein - exact),
        "board_value_red": board_red,
        "mirror_value_blue": ev.value(mirrored, 1 - RED),
    }


def first_mover_rate(games: int, seed: int) -> tuple[int, int]:
    from tenfold.zweistein.agents import RandomBot

    a, b = RandomBot(), RandomBot()
    wins = sum(play_game(a, b, seed, g)[0] == RED for g in range(games))
    return wins, games


def _strength_matches(ctx: Context) -> dict[str, MatchResult]:
    """Every strength match of the preset (claim id → result), the win-matrix plot and the ratings."""
    cfg: ReproConfig = ctx.config
    rules = Rules(first_player=cfg.first_player)
    matchups = {cid: CLAIM_INDEX[cid].thresholds["agents"] for cid in MATCH_CLAIMS if cid != "d3_vs_d2" or cfg.deeper}
    agents = sorted({a for pair in matchups.values() for a in pair})
    tour = Tournament(agents, cfg.strength_games, ctx.seed, rules, cfg.placement, cfg.workers)  # type: ignore[arg-type]
    out = {}
    for claim_id, (a, b) in matchups.items():
        m = play_match(a, b, cfg.strength_games, ctx.seed, rules, cfg.placement, cfg.workers)  # type: ignore[arg-type]
        tour.matches.append(m)
        ctx.run.log(None, match=f"{a} vs {b}", **m.to_dict())
        out[claim_id] = m
    ctx.save_figure(tour.plot(), "win_matrix")
    ctx.run.write_json("ratings.json", tour.ratings())
    return out


def _match_claim(claim_id: str) -> None:
    @REPRODUCER.measures(claim_id)
    def measure(ctx: Context) -> Measured | Skipped:
        matches = ctx.once(_strength_matches)
        if claim_id not in matches:
            return Skipped("deeper=false (Zweistein-d3 plays in the paper preset)")
        m = matches[claim_id]
        lo, hi = m.interval
        return Measured(
            f"{m.rate:.3f} [{lo:.3f}, {hi:.3f}] over {m.games} games (Elo {m.elo:+.0f})",
            {**m.to_dict(), "rate": m.rate, "lo": lo, "hi": hi},
        )


for _claim_id in MATCH_CLAIMS:
    _match_claim(_claim_id)


@REPRODUCER.measures("race_exact")
def race_exact(ctx: Context) -> Measured:
    race = race_exactness(small=not ctx.config.exact_start)
    return Measured(
        f"table {race['zweistein']:.12f} vs exact {race['exact']:.12f} (|Δ| {race['abs_diff']:.1e}); mirror value "
        f"{race['mirror_value_blue']:.12f} for {race['board_value_red']:.12f}",
        race,
        note=f"arrays {race['arrays']}",
    )


@REPRODUCER.measures("rules_openspiel")
def rules_openspiel(ctx: Context) -> Measured | Skipped:
    if not openspiel_bridge.available():
        return Skipped("open-spiel is not installed (pip install open-spiel)")
    check = openspiel_bridge.cross_check(ctx.config.openspiel_games, ctx.seed)
    return Measured(
        f"{check['games']} games, {check['decisions']} decisions, {check['move_set_mismatches']} move-set and "
        f"{check['winner_mismatches']} winner mismatches",
        check,
    )


@REPRODUCER.measures("first_mover")
def first_mover(ctx: Context) -> Measured:
    wins, games = first_mover_rate(ctx.config.random_games, ctx.seed)
    lo, hi = wilson_interval(wins, games)
    return Measured(
        f"{wins / games:.3f} [{lo:.3f}, {hi:.3f}] over {games} games",
        {"wins": wins, "games": games, "lo": lo, "hi": hi},
        note="measured, not a paper figure",
    )
