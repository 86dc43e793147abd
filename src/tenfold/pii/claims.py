"""The PII paper's claims as ``tenfold reproduce pii`` checks them.

Thresholds are the issue's. Counts of extracted emails are small integers at this scale (a few to a few dozen per
run), so the claims compare counts with factors (2×) or strict orderings, never with decimals a CPU could round
differently; greedy decoding and seeded batches make each count a pure function of the seed.
"""

from __future__ import annotations

from tenfold.common.claims import Claim

_RUN = "tenfold reproduce pii --preset quick"

CLAIMS = (
    Claim(
        "taxonomy_identities",
        "clean classes partition the extracted set and retained + forgotten = the previous extracted set on "
        "{sequences} random sequences and a hand-built three-checkpoint example, where the faithful mode reproduces "
        "the official overlap (an email both immediate and retained)",
        "official taxonomy.py definitions (categories overlap in epochs 2–3)",
        "pytest tests/pii/test_taxonomy.py",
        thresholds={"sequences": 200},
        judge=lambda v, t: (
            v["random"]["violations"] == 0
            and v["random"]["sequences"] == t["sequences"]
            and not v["hand"]["violations"]
            and v["hand"]["faithful_overlap"][2] == ["b"]
        ),
    ),
    Claim(
        "assisted_memorisation",
        "continuous training, greedy: at least {min_assisted} assisted records in total and at least {factor}× as "
        "many as with shuffled similarity families; assisted records overlap more with the records seen since their "
        "first exposure than never-extracted ones (one-sided Mann–Whitney p < {max_p})",
        "assisted memorisation: up to 1/3 of extracted PII",
        _RUN,
        thresholds={"min_assisted": 10, "factor": 2.0, "max_p": 0.05},
        judge=lambda v, t: (
            v["assisted"] >= t["min_assisted"]
            and v["assisted"] >= t["factor"] * v["assisted_shuffled"]
            and v["p"] < t["max_p"]
        ),
    ),
    Claim(
        "adding_pii",
        "extraction of D10's records by the model trained on D100 ≥ {factor}× that by the model trained on D10 (and "
        "≥ {factor} records when D10's model extracts none: 1 vs 0 is noise, not a ratio), rising with the PII added "
        "(Spearman ρ ≥ {min_rho}), and above D10 plus non-PII filler of the same token count",
        "adding PII raises extraction of other PII by up to ≈7.5× (top-k)",
        _RUN,
        thresholds={"factor": 2.0, "min_rho": 0.6},
        judge=lambda v, t: (
            v["last"] >= t["factor"] * max(v["first"], 1)
            and v["spearman"] >= t["min_rho"]
            and v["counts"][max(v["counts"], key=lambda n: int(n[1:]))] > v["control"]
        ),
    ),
    Claim(
        "removal_onion",
        "after removing every extracted record and fine-tuning again, records never extracted before are extracted, "
        "more than fine-tuning with another seed alone produces",
        "removing PII exposes other PII (privacy onion)",
        _RUN,
        judge=lambda v, t: bool(v["new"]) and v["new"][0] > 0 and v["new"][0] > v["control_new"],
    ),
    Claim(
        "canary_exposure",
        "canary exposure rises with repetitions: mean exposure at 16 repetitions ≥ {min_gain} bits above 1",
        "Secret Sharer (Carlini et al. 2019), beyond the paper",
        _RUN,
        thresholds={"min_gain": 3.0},
        judge=lambda v, t: v["gain"] >= t["min_gain"],
    ),
    Claim(
        "attack_quality",
        "the top-k (k = 40) noise floor — Jaccard of the email sets two sampling seeds extract from the same prompts "
        "on the final model — and the precision of likelihood and zlib ranking among the top-ranked greedy "
        "generations, beside the base rate",
        "one top-k sample per prompt (official extract.py); ranking from Carlini et al. 2021, beyond the paper",
        _RUN,
    ),
    Claim(
        "dp_sgd",
        "DP-SGD (σ as configured): ε from the RDP accountant reported; untargeted extraction below the non-private run",
        "beyond the paper",
        _RUN,
        judge=lambda v, t: v["rows"]["dp-sgd"]["extracted"] < v["rows"]["none"]["extracted"],
    ),
)
