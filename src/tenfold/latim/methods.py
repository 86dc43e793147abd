"""The names LaTIM's API, CLI and reproduction share, in one place (no torch here: the CLI's help reads them).

``METHODS`` are the attribution methods of :func:`tenfold.latim.explain`: LaTIM's variants (Sec. 3: ℓ1 / ℓ2 norms of
the contribution vectors, ALTI, ALTI with the residual, rollout over layers, the logit projection) and the three
baselines the paper compares with (hidden attention, gradient × input, Mamba-LRP).
"""

from __future__ import annotations

LATIM_METHODS = ("latim-l1", "latim-l2", "latim-alti", "latim-alti-res", "latim-alti-rollout", "latim-logit")
BASELINE_METHODS = ("hidden-attention", "grad-input", "mamba-lrp")
METHODS = (*LATIM_METHODS, *BASELINE_METHODS)
MULTI_LAYER_METHODS = ("latim-alti-rollout",)
"""methods whose map of a layer composes every layer below it (not a single layer's map)."""
LAYER_METHODS = tuple(m for m in METHODS if m not in MULTI_LAYER_METHODS)
"""methods that explain one layer on its own (the fixed-length control judges these at the last layer)."""
ARCHS = ("mamba", "mamba2")
"""Mamba-1 (``mamba``) and Mamba-2 (``mamba2``)."""
SUITES = ("copy", "copy-fixed", "recall", "translate", "retrieve")
"""the reproduction's suites: the tasks, and the fixed-length copying control."""
MODES = ("post-conv", "frozen", "linear")
"""the conv treatments of the decomposition (:mod:`tenfold.latim.decompose`)."""
