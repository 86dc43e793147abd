"""PIP-KAG's claims as ``tenfold reproduce pipkag`` checks them.

The tiny setting's test has 20 conflict items and 60 memorised facts, so one item moves ConR by 5 points and one
fact moves closed-book accuracy by 1.7: the thresholds (20 and 30 points) are four and eighteen such steps, margins a
different CPU's rounding cannot cross by itself; the unit tests pin the identities exactly.
"""

from __future__ import annotations

from tenfold.common.claims import Claim

_RUN = "tenfold reproduce pipkag --preset quick"
_TINY = "tenfold pipkag methods --setting tiny --methods base,pip-kag"


def _faithful(v, t) -> bool:
    return v["conr_gain"] >= t["min_conr_gain"] and v["mr_drop"] >= t["min_mr_drop"]


CLAIMS = (
    Claim(
        "pruning_identity",
        "a pruned layer computes h + Attn(Norm(h)) (max |Δ| ≤ {tol}); λ = 0 equals pruning and λ = 1 the original; "
        "pruning 6 FFNs (with their norms) of the LLaMA3-8B config removes {paper_share} % ± {share_tol} of its "
        "parameters",
        "13 % fewer parameters (LLaMA3-8B)",
        _RUN,
        thresholds={"tol": 1e-6, "paper_share": 13.16, "share_tol": 0.05},
        judge=lambda v, t: (
            max(v["pruned_vs_formula"], v["lambda0_vs_pruned"], v["lambda1_vs_original"]) <= t["tol"]
            and abs(v["llama3_8b_share"] - t["paper_share"]) <= t["share_tol"]
        ),
    ),
    Claim(
        "scorer_fixtures",
        "on all shipped CoConflictQA items, predicting the first gold scores (ConR, ParR, MR, EM) = {fixed} (any gold "
        "counts) and {official} (the official last-gold scorer); predicting the parametric answer (0, 100, 100, 0)",
        "metric definitions (ConR, ParR, MR, EM)",
        "pytest tests/pipkag/test_metrics.py",
        thresholds={"fixed": (95.20, 4.80, 4.80, 100.00), "official": (86.98, 4.80, 5.23, 86.16)},
        judge=lambda v, t: (
            tuple(v["fixed"]) == tuple(t["fixed"])
            and tuple(v["official"]) == tuple(t["official"])
            and tuple(v["parametric"]) == (0.0, 100.0, 100.0, 0.0)
        ),
    ),
    Claim(
        "score_finds_knowledge",
        "tiny setting: the k = 2 FFNs with the largest ΔR rank in the top quarter (≤ {max_rank} of 28) of all pairs by "
        "the closed-book accuracy their pruning costs",
        "ΔR locates the layers holding parametric knowledge (figure: the last quarter of LLaMA3-8B's layers)",
        _RUN,
        thresholds={"max_rank": 7},
        judge=lambda v, t: v["rank"] <= t["max_rank"],
    ),
    Claim(
        "pruning_forgets",
        "tiny setting: pruning the top-ΔR FFNs lowers closed-book accuracy on memorised facts by ≥ {min_drop} points",
        "pruning 'uninstalls' parametric knowledge",
        _RUN,
        thresholds={"min_drop": 30.0},
        judge=lambda v, t: v["drop"] >= t["min_drop"],
    ),
    Claim(
        "pipkag_faithful",
        "tiny setting, counterfactual contexts: PIP-KAG raises ConR by ≥ {min_conr_gain} points and lowers MR by ≥ "
        "{min_mr_drop} points against the base model",
        "'significantly reduces knowledge conflicts and improves context fidelity' (CoConflictQA, LLaMA3-8B)",
        _TINY,
        thresholds={"min_conr_gain": 20.0, "min_mr_drop": 20.0},
        judge=_faithful,
    ),
    Claim(
        "method_table",
        "tiny setting: ConR / ParR / MR / EM and general ability of every method (base, CAD, prune only, SFT, "
        "contrastive loss without pruning, PIP-KAG)",
        "baselines table (values not available offline)",
        "tenfold pipkag methods --setting tiny",
    ),
    Claim(
        "smollm2_table",
        "SmolLM2-135M-Instruct on real questions (country capitals with counterfactual contexts, CoConflictQA "
        "items): ConR / ParR / MR / EM of base, CAD, prune only and PIP-KAG, whichever way they fall",
        "— (LLaMA3-8B and Qwen2.5-7B in the paper)",
        "tenfold reproduce pipkag --preset paper",
    ),
)
"""In report order."""
