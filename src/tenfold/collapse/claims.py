"""The collapse paper's claims as ``tenfold reproduce collapse`` checks them.

Thresholds and why they hold on another CPU: the identities are exact; the collapse claims compare perplexities
that move by factors (147 → 1,500 for greedy at quick) and diversities that sit near 0.02 or 0.98 against cut-offs of
0.2 and 0.9; the prevention claim's 2 % margin is the issue's, on a perplexity that every compared run measures on
the same 128 test blocks.
"""

from __future__ import annotations

from tenfold.common.claims import Claim

_RUN = "tenfold reproduce collapse --preset quick"


def _collapse(v, t) -> bool:
    runs = v["runs"]
    rises = all(runs[s]["ppl_rises"] for s in v["deterministic"])
    low = all(runs[s]["final_diversity"] < t["max_det_diversity"] for s in v["deterministic"])
    high = all(runs[s]["min_diversity"] > t["min_sampling_diversity"] for s in v["stochastic"])
    return rises and low and high


CLAIMS = (
    Claim(
        "resampler_identity",
        "importance resampling: output length round(u·n), no item more than R times, seeded, β = 0 uniform, the "
        "official indices one for one; with P(AI) = 1 − 1e-6 for synthetic and 0 for human items at 20 % human data "
        "the human share after selection is min(1, R·n_H/round(u·n)) = {share} on {seeds} seeds, and {share} with "
        "the fallback (P(AI) = 1)",
        "an all-human set needs ≥ u/R = 50 % human data ('with sufficient human data')",
        "pytest tests/collapse/test_resample.py",
        thresholds={"share": 0.4, "seeds": 5},
        judge=lambda v, t: v["all_hold"] and all(abs(s - t["share"]) < 1e-12 for s in v["shares"] + v["fallback"]),
    ),
    Claim(
        "metric_identities",
        "diversity of distinct tokens = 1 and of one token repeated 10 times = 1/504 (official formula); self-BLEU of "
        "identical sequences = 1",
        "metric definitions (rep-n, diversity, Self-BLEU)",
        "pytest tests/collapse/test_metrics.py",
        judge=lambda v, t: (
            abs(v["distinct"] - 1) < 1e-12 and abs(v["repeated"] * 504 - 1) < 1e-9 and abs(v["self_bleu"] - 1) < 1e-12
        ),
    ),
    Claim(
        "detector_quality",
        "the trained detector's held-out accuracy on generation 1's texts is ≥ {min_accuracy}; temperature scaling "
        "lowers ECE on the test split and leaves accuracy and AUC unchanged",
        "a calibrated detector (ModernBERT on MAGE, temperature-scaled)",
        _RUN,
        thresholds={"min_accuracy": 0.9},
        judge=lambda v, t: (
            v["calibrated"]["accuracy"] >= t["min_accuracy"]
            and v["calibrated"]["ece"] < v["uncalibrated"]["ece"]
            and v["calibrated"]["accuracy"] == v["uncalibrated"]["accuracy"]
            and abs(v["calibrated"]["auc"] - v["uncalibrated"]["auc"]) < 1e-12
        ),
    ),
    Claim(
        "collapse_by_decoding",
        "replace regime: test perplexity rises every generation for greedy and beam search and their token "
        "diversity falls below {max_det_diversity}; sampling strategies stay above {min_sampling_diversity}",
        "the decoding strategy decides how fast models collapse (deterministic decoding fastest)",
        _RUN,
        thresholds={"max_det_diversity": 0.2, "min_sampling_diversity": 0.9},
        judge=_collapse,
    ),
    Claim(
        "resampling_prevents_collapse",
        "50 % unknown-origin mix, greedy: with importance resampling (detector refitted each generation) test "
        "perplexity is below no selection at every generation and ≤ {max_ratio} × generation 0",
        "importance resampling with an MGT detector prevents model collapse",
        _RUN,
        thresholds={"max_ratio": 1.02},
        judge=lambda v, t: v["below_none"] and v["max_ratio"] <= t["max_ratio"],
    ),
    Claim(
        "versus_human_only",
        "the resampled run's final perplexity beside generation 0 (human data, 1 epoch) and human-only controls "
        "trained for the same and 1.5× the optimisation steps",
        "with enough human data, resampling improves on training on human data alone",
        _RUN,
    ),
    Claim(
        "twenty_percent",
        "20 % human data, one generation: human share after selection against its bound min(1, R·n_H/round(u·n)) "
        "and the perplexity beside no selection",
        "resampling needs sufficient human data",
        _RUN,
    ),
)
"""In report order."""
