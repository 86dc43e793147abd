"""The Flow of Reasoning paper's claims as ``tenfold reproduce flowreason`` checks them.

Trained policies differ between machines (float sums round differently, and training follows), so the judged
training claims are judged on several seeds: the diversity claims on means over the preset's seeds with a ratio
margin, the exact-target claim on the median over seeds per puzzle (one seed that misses a mode does not decide it).
"""

from __future__ import annotations

import math
import statistics

from tenfold.common.claims import Claim

_RUN = "tenfold reproduce flowreason --preset quick"
BASELINES = ("reinforce", "ppo", "sft")
"""the reward-maximising and supervised methods FoR's diversity is compared with."""


def _diverse(v, t) -> bool:
    return all(r >= t["min_ratio"] for r in v["ratios"].values()) and v["gap"] <= t["max_gap"]


def _diversity(task: str, title: str, paper: str) -> Claim:
    return Claim(
        f"diversity_{task}",
        title + ", held-out problems, means over the preset's seeds: FoR's distinct correct @20 ≥ {min_ratio}× "
        "each of REINFORCE / PPO / SFT, per-sample accuracy at most {max_gap} points below the best of them",
        paper,
        _RUN,
        thresholds={"min_ratio": 2, "max_gap": 5},
        judge=_diverse,
    )


CLAIMS = (
    Claim(
        "identities",
        "loss identities: VarGrad = TB at the batch log Z (≤ {tol_vargrad}); TB = 0 at the flow policy "
        "(≤ {tol_zero}); β = 2 targets R² (TB ≤ {tol_zero} there, > {min_off} at the R policy)",
        "Sec. 3.2 (objective); official code's tb_loss(logpartition=True)",
        "pytest tests/flowreason/test_objectives.py",
        thresholds={"tol_vargrad": 1e-6, "tol_zero": 1e-12, "min_off": 1e-3},
        judge=lambda v, t: (
            v["vargrad_vs_tb"] < t["tol_vargrad"]
            and v["tb_at_flow"] < t["tol_zero"]
            and v["tb_r2_at_r2"] < t["tol_zero"]
            and v["tb_r1_at_r2"] > t["min_off"]
        ),
    ),
    Claim(
        "game24_solvable",
        "solvable Game24 multisets of 1..13: {solvable:,}",
        "1,362 (ToT's 24.csv)",
        _RUN,
        thresholds={"solvable": 1362},
        judge=lambda v, t: v["solvable"] == t["solvable"],
    ),
    _diversity(
        "game24",
        "Game24",
        "FoR finds more distinct correct solutions than SFT, PPO and inference-time methods (Table 2)",
    ),
    _diversity("blocksworld", "BlocksWorld", "FoR finds more diverse plans (Table 1)"),
    _diversity("prontoqa", "ProntoQA-style logic", "FoR finds more diverse proofs (ProntoQA table)"),
    Claim(
        "exact_target",
        "FoR's exact trajectory distribution on an enumerable puzzle trained alone: median L1 over the preset's seeds "
        "≤ {max_l1} from the tempered target R^β / Z, for every puzzle",
        "— (the paper cannot measure it; FoR's premise: sampling ∝ reward)",
        _RUN,
        thresholds={"max_l1": 0.1},
        judge=lambda v, t: all(statistics.median(p["after"]) <= t["max_l1"] for p in v["puzzles"].values()),
    ),
    Claim(
        "ablation",
        "trajectory balance without replay and local search",
        "ablation (Table 5)",
        "tenfold reproduce flowreason --preset paper",
    ),
    Claim("large", "the same methods trained on 200 Game24 problems", "— (the paper trains on ~15)", _RUN),
)


def ratio(ours: float, theirs: float) -> float:
    """FoR's distinct correct over a baseline's: unbounded when only FoR found any, 0 when neither did."""
    if theirs:
        return ours / theirs
    return math.inf if ours else 0.0
