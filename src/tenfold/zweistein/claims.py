"""The Zweistein paper's claims as ``tenfold reproduce zweistein`` checks them.

Strength claims are judged on the Wilson 95 % interval of a paired match (common dice and setups, colours swapped):
its lower bound must clear one half, so a verdict needs a margin of about two standard errors over the games played,
not one lucky trajectory.
"""

from __future__ import annotations

from tenfold.common.claims import Claim

_RUN = "tenfold reproduce zweistein --preset quick"


def _wins(v, t) -> bool:
    return v["lo"] > t["min_lower_bound"]


def _match(claim_id: str, a: str, b: str, text: str, paper: str, games: int = 2000) -> Claim:
    return Claim(
        claim_id,
        text + " (Wilson 95 % lower bound of the win rate > {min_lower_bound})",
        paper,
        f"tenfold zweistein tournament --agents {a},{b} --games {games}",
        thresholds={"min_lower_bound": 0.5, "agents": (a, b)},
        judge=_wins,
    )


CLAIMS = (
    Claim(
        "race_exact",
        "the race value from the DP table equals exact win rates of the no-capture game (|Δ| ≤ {max_diff}; the "
        "value is invariant under the 180° mirror with colours swapped to {max_mirror})",
        "'aligns with exact win rates on simple boards'",
        _RUN,
        thresholds={"max_diff": 1e-9, "max_mirror": 1e-12},
        judge=lambda v, t: (
            v["abs_diff"] <= t["max_diff"] and abs(v["board_value_red"] - v["mirror_value_blue"]) <= t["max_mirror"]
        ),
    ),
    Claim(
        "rules_openspiel",
        "our rules equal OpenSpiel's einstein_wurfelt_nicht on random games (no move-set or winner mismatch)",
        "— (engine check)",
        "pytest tests/zweistein/test_openspiel.py",
        judge=lambda v, t: v["move_set_mismatches"] == 0 and v["winner_mismatches"] == 0,
    ),
    Claim("first_mover", "random vs random: first-mover win rate", "not reported", _RUN),
    _match(
        "beats_naive",
        "zweistein-d2",
        "naive-d2",
        "Zweistein-d2 beats a naive mean-distance evaluation at depth 2",
        "beats 'traditional evaluation functions' (figures not available)",
    ),
    _match(
        "beats_schwarz",
        "zweistein-d2",
        "schwarz-d2",
        "Zweistein-d2 beats a Schwarz-table-style evaluation at depth 2",
        "performs better than SchwarzTable (figures not available)",
    ),
    _match(
        "deeper_is_better",
        "zweistein-d2",
        "zweistein-1ply",
        "Zweistein-d2 beats Zweistein-d1 (search adds to the evaluation)",
        "not reported",
    ),
    Claim(
        "beats_random",
        "Zweistein-1ply beats random: win rate > {min_rate} and Wilson 95 % lower bound > {min_lower_bound}",
        "not reported",
        "tenfold zweistein tournament --agents zweistein-1ply,random --games 2000",
        thresholds={"min_rate": 0.9, "min_lower_bound": 0.5, "agents": ("zweistein-1ply", "random")},
        judge=lambda v, t: v["rate"] > t["min_rate"] and _wins(v, t),
    ),
    _match(
        "d3_vs_d2",
        "zweistein-d3",
        "zweistein-d2",
        "Zweistein-d3 beats Zweistein-d2 (paper preset only)",
        "not reported",
        games=10000,
    ),
)
"""In report order; the strength matches are played in this order too."""

MATCH_CLAIMS = tuple(c.id for c in CLAIMS if "agents" in c.thresholds)
