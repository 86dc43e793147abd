"""Knowledge-augmented adaptation (PIP-KAG step 2; official ``src/2_install``): a LoRA module trained on the (pruned)
model with the contrastive loss of :mod:`.objectives`, then merged.

Each example is ``(prompt with context, prompt without context, answer)`` as token ids; the per-example NLLs are
token means over the answer (:func:`tenfold.lm.scoring.token_log_probs`). The loop, checkpoints and exact resume are
:class:`tenfold.lm.trainer.StepTrainer`'s; batches follow :func:`tenfold.lm.blocks.step_examples` (epochs in a
seeded order). ``method="sft"`` trains on ``L_ctx`` alone (the SFT baseline).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tenfold.lm.blocks import step_examples
from tenfold.lm.scoring import token_log_probs
from tenfold.lm.trainer import OptimConfig, StepTrainer
from tenfold.pipkag.objectives import margin, pip_kag_loss

METHODS = ("pip", "sft")


@dataclass(frozen=True)
class AdaptExample:
    """One training example (token ids)."""

    with_context: tuple[int, ...]
    without_context: tuple[int, ...]
    answer: tuple[int, ...]


def answer_nll(model: Any, prompts: Sequence[Sequence[int]], answers: Sequence[Sequence[int]]) -> torch.Tensor:
    """[B] mean NLL of each answer's tokens after its prompt (differentiable)."""
    logp, mask = token_log_probs(model, prompts, answers)
    return -(logp.sum(-1) / mask.sum(-1).clamp(min=1))


class ContrastiveTrainer(StepTrainer):
    """Trains ``model`` (usually with a LoRA adapter) on :class:`AdaptExample` s with PIP-KAG's loss.

    Args:
        method: ``pip`` (the hinge + L_ctx loss) or ``sft`` (L_ctx only).
        granularity: ``per_example`` (the paper) or ``official`` (hinge on batch means, margin × B).
        margins: (m0, m1) of the linear schedule.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        examples: Sequence[AdaptExample],
        cfg: OptimConfig,
        workdir: Path,
        method: str = "pip",
        granularity: str = "per_example",
        margins: tuple[float, float] = (1.0, 3.0),
    ):
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        if not examples:
            raise ValueError("no training examples")
        super().__init__(model, cfg, workdir)
        self.examples, self.method, self.granularity, self.margins = list(examples), method, granularity, margins

    def batch(self, step: int) -> list[AdaptExample]:
        idx = step_examples(self.cfg.seed, step, min(self.cfg.batch_size, len(self.examples)), len(self.examples))
        return [self.examples[i] for i in idx.tolist()]

    def losses(self, batch: list[AdaptExample]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(L_ctx, L_noctx)``, each [B]."""
        answers = [e.answer for e in batch]
        ctx = answer_nll(self.model, [e.with_context for e in batch], answers)
        if self.method == "sft":
            return ctx, torch.zeros_like(ctx)
        return ctx, answer_nll(self.model, [e.without_context for e in batch], answers)

    def loss(self, batch: list[AdaptExample]) -> torch.Tensor:
        ctx, noctx = self.losses(batch)
        if self.method == "sft":
            return ctx.mean()
        m = margin(self.step, self.cfg.steps, *self.margins)
        return pip_kag_loss(ctx, noctx, m, self.granularity)

    def batch_tokens(self, batch: list[AdaptExample]) -> int:
        return sum(len(e.answer) for e in batch) * (1 if self.method == "sft" else 2)
