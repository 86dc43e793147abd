"""PIP-KAG's adaptation loss (step 2; official ``Llama_pruning_ffnForInputContrastive.forward``).

Glossary (an example: context c, question q, target answer y*):

* ``L_ctx``     NLL of y* given (c, q): the mean over y*'s tokens;
* ``L_noctx``   NLL of y* given q alone;
* ``m(t)``      the margin at training step t of T: ``m0 + (m1 − m0)·t/T`` (m0 = 1, m1 = 3);
* the loss      ``0.5·max(0, L_ctx − L_noctx + m(t)) + 0.5·L_ctx``: fit the answer from the context, and push the
  context-free likelihood of the same answer at least m below it (gradients flow through both terms, so the hinge
  raises ``L_noctx``).

Granularity: the paper's formula is per example (the hinge on each example, then the batch mean: ``per_example``);
the official code applies the hinge once to the batch means and multiplies the margin by the micro-batch size B
(``official``), offered behind that flag.
"""

from __future__ import annotations

import torch

GRANULARITIES = ("per_example", "official")


def margin(step: int, total_steps: int, m0: float = 1.0, m1: float = 3.0) -> float:
    """``m(t) = m0 + (m1 − m0)·t/T`` (t clipped to [0, T])."""
    frac = min(max(step / max(total_steps, 1), 0.0), 1.0)
    return m0 + (m1 - m0) * frac


def pip_kag_loss(
    nll_ctx: torch.Tensor, nll_noctx: torch.Tensor, m: float, granularity: str = "per_example"
) -> torch.Tensor:
    """The adaptation loss.

    Args:
        nll_ctx: [B] per-example mean NLL of the answer with context.
        nll_noctx: [B] the same without context.
        m: the margin at this step (:func:`margin`).
        granularity: ``per_example`` (the paper) or ``official`` (hinge on batch means, margin × B).

    Returns:
        the scalar loss.
    """
    if granularity == "per_example":
        hinge = torch.clamp(nll_ctx - nll_noctx + m, min=0)
        return (0.5 * hinge + 0.5 * nll_ctx).mean()
    if granularity == "official":
        b = nll_ctx.shape[0]
        hinge = torch.clamp(nll_ctx.mean() - nll_noctx.mean() + m * b, min=0)
        return 0.5 * hinge + 0.5 * nll_ctx.mean()
    raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}, got {granularity!r}")
