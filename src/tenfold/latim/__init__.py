"""LaTIM (Pitorro & Treviso, arXiv 2502.15612): token-to-token interaction maps for Mamba-1 and Mamba-2, from an exact
decomposition of each mixer's output into per-source contributions — for unmodified ``transformers`` checkpoints,
in pure torch on CPU.

>>> from tenfold.latim import contributions, explain
>>> maps = explain(model, input_ids, method="latim-alti")      # [layers, L, L]

Modules: :mod:`.mixers` (the mixers re-read from the weights, a reference recurrence), :mod:`.decompose` (row-blocked
contribution vectors, three conv treatments), :mod:`.scores` (norms, ALTI, rollout), :mod:`.api` (the API),
:mod:`.model` (reading a model's layers).
"""

from typing import Any

from tenfold.common.registry import Claim, Paper, SystemSpec

__all__ = ["SYSTEM", "contributions", "explain"]

_RUN = "tenfold reproduce latim --preset quick"

SYSTEM = SystemSpec(
    name="latim",
    paper=Paper(
        "LaTIM: Measuring Latent Token-to-Token Interactions in Mamba Models",
        ("Hugo Pitorro", "Marcos Treviso"),
        "2502.15612",
    ),
    summary="token-to-token interaction maps for any Mamba-1/Mamba-2 model",
    status="in progress",
    cli="tenfold.latim.cli:register",
    reproduce="tenfold.latim.reproduce:reproduce",
    claims=(
        Claim(
            "exact",
            "Σ_j T_i(j) + bias_i equals the mixer output: 1e-5 relative against transformers, 1e-10 in float64",
            "the decomposition is exact (Sec. 3)",
            "pytest tests/latim/test_decompose.py",
        ),
        Claim(
            "copy",
            "variable-length copying, last layer: LaTIM-ALTI AUC ≥ 97 and top-1 ≥ hidden attention's + 3, both "
            "architectures, models ≥ 97 % copy accuracy",
            "copying AUC 98 (LaTIM); hidden attention and Mamba-LRP miss the copied token",
            _RUN,
        ),
        Claim(
            "copy_control",
            "fixed-length copying (negative control): every last-layer method's AUC < 70 on every seed's model",
            "— (not in the paper; the issue's premise: a model copies by position, leaving no source to find)",
            _RUN,
        ),
        Claim(
            "copy_control_causal",
            "fixed-length copying against each model's causal AUC (token removal at the last layer): every "
            "last-layer method's AUC < 70 where the causal one is, and ALTI's verdict (≥ 70) the causal one everywhere",
            "—",
            _RUN,
        ),
        Claim(
            "faithfulness",
            "LaTIM's scores (its best variant) correlate better (Spearman) than hidden attention's with the effect "
            "of removing each source's value from the layer (whole-token and prediction-level removal reported)",
            "LaTIM is more faithful than the baselines",
            _RUN,
        ),
        Claim(
            "translate",
            "synthetic translation with known alignments: LaTIM-ALTI's AER below hidden attention's (both "
            "architectures) and Mamba-LRP's (Mamba-1)",
            "AER 0.44 (RWTH de-en gold), 0.43 (IWSLT17 de→en), 0.35 (fr→en), below Mamba-Attention and Mamba-LRP",
            _RUN,
        ),
        Claim(
            "recall",
            "multi-query associative recall: accuracy and how often each method finds the recalled value",
            "—",
            _RUN,
        ),
        Claim(
            "retrieve",
            "needle retrieval, explained from the last row only: accuracy and how often each method finds the needle",
            "retrieval-based generation (RULER) is explained from the answer's row",
            "tenfold reproduce latim --preset paper",
        ),
    ),
)


def __getattr__(name: str) -> Any:
    # torch and transformers load on first use, so that `tenfold systems` stays fast
    if name in __all__:
        from tenfold.latim import api

        return getattr(api, name)
    raise AttributeError(name)
