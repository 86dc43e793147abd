"""LaTIM (Pitorro & Treviso, arXiv 2502.15612): token-to-token interaction maps for Mamba-1 and Mamba-2, from an exact
decomposition of each mixer's output into per-source contributions — for unmodified ``transformers`` checkpoints,
in pure torch on CPU.

>>> from tenfold.latim import contributions, explain
>>> maps = explain(model, input_ids, method="latim-alti")      # [layers, L, L]

Modules: :mod:`.mixers` (the mixers re-read from the weights, a reference recurrence), :mod:`.decompose` (row-blocked
contribution vectors, three conv treatments), :mod:`.scores` (norms, ALTI, rollout), :mod:`.api` (the API),
:mod:`.layers` (reading a model's layers).
"""

from typing import Any

from tenfold.common.registry import Paper, SystemSpec

__all__ = ["SYSTEM", "contributions", "explain"]

SYSTEM = SystemSpec(
    name="latim",
    paper=Paper(
        "LaTIM: Measuring Latent Token-to-Token Interactions in Mamba Models",
        ("Hugo Pitorro", "Marcos Treviso"),
        "2502.15612",
    ),
    summary="token-to-token interaction maps for any Mamba-1/Mamba-2 model",
    module="tenfold.latim",
)


def __getattr__(name: str) -> Any:
    # torch and transformers load on first use, so that `tenfold systems` stays fast
    if name in __all__:
        from tenfold.latim import api

        return getattr(api, name)
    raise AttributeError(name)
