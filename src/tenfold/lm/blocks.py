"""Training on fixed examples: ``(n, T)`` token blocks with a per-position loss mask and per-example weights.

The stream trainer (:class:`~tenfold.lm.trainer.StreamTrainer`) draws random windows and puts the loss everywhere;
fine-tuning on documents, question/answer pairs or model-written text needs the examples as given, the loss on some
positions only (the continuation, not the prompt), weights per example (a detector's score, 0 to drop one) and a
record of which examples each step saw (a memorisation audit asks *when* a record was last seen).

Glossary (shapes: n examples, T tokens per block, B = ``batch_size``):

* ``x_i``            block i, [T] token ids, right-padded (a causal model's outputs at real tokens ignore later
  padding, so no position correction is needed);
* ``m_i,t``          1 if token t of block i is a target (``loss_mask``; column 0 is never a target: nothing
  predicts it);
* ``w_i``            the example's weight ≥ 0;
* ``ℓ_i,t``          −log p_θ(x_i,t | x_i,<t);
* the loss           ``L = Σ_i w_i Σ_t m_i,t ℓ_i,t / Σ_i w_i Σ_t m_i,t`` over the batch: a weighted mean per target
  token, so that weight 0 is exactly the example's absence and equal weights are exactly the unweighted loss;
* the epoch order    epoch e visits the examples in ``randperm(n)`` seeded by (seed, "epoch", e); step s takes
  positions s·B … s·B+B−1 of the concatenated epochs (a batch may straddle two epochs), a pure function of
  (seed, s), so resuming needs no loader state and the seen-examples log can be checked against it.

The optimisation loop, checkpoints and exact resume are :class:`~tenfold.lm.trainer.StepTrainer`'s; the optimizer is
the caller's (AdamW by default; DP-SGD plugs in as an optimizer factory).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tenfold.common.errors import UserError
from tenfold.common.paths import atomic_write_text
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import derive_seed
from tenfold.lm.trainer import OptimConfig, OptimizerFactory, StepTrainer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Blocks:
    """n training examples as right-padded token blocks (see the module glossary)."""

    ids: torch.Tensor
    """[n, T] int64 token ids."""
    loss_mask: torch.Tensor
    """[n, T] bool: the target positions (column 0 ignored)."""
    lengths: torch.Tensor
    """[n] int64: real tokens of each block (the rest is padding)."""
    weights: torch.Tensor
    """[n] float32 ≥ 0."""

    def __post_init__(self) -> None:
        n, t = self.ids.shape
        if self.loss_mask.shape != (n, t) or self.lengths.shape != (n,) or self.weights.shape != (n,):
            raise ValueError(
                f"shapes disagree: ids {tuple(self.ids.shape)}, loss_mask {tuple(self.loss_mask.shape)}, "
                f"lengths {tuple(self.lengths.shape)}, weights {tuple(self.weights.shape)}"
            )
        if n == 0 or t < 2:
            raise UserError(f"no training examples of two or more tokens (got {n} blocks of {t})")
        if not torch.isfinite(self.weights).all() or (self.weights < 0).any():
            raise UserError("example weights must be finite and >= 0")
        if (self.loss_mask & (torch.arange(t)[None] >= self.lengths[:, None])).any():
            raise ValueError("the loss mask covers padding")

    def __len__(self) -> int:
        return self.ids.shape[0]

    @classmethod
    def from_pairs(
        cls,
        prompts: Sequence[Sequence[int]],
        continuations: Sequence[Sequence[int]],
        block_size: int,
        pad_id: int = 0,
        weights: Sequence[float] | None = None,
    ) -> Blocks:
        """Blocks ``prompt + continuation`` with the loss on the continuation only (cut at ``block_size`` tokens)."""
        if len(prompts) != len(continuations):
            raise ValueError(f"{len(prompts)} prompts for {len(continuations)} continuations")
        rows = [(list(p), list(c)) for p, c in zip(prompts, continuations, strict=True)]
        return cls._build([p + c for p, c in rows], [len(p) for p, _ in rows], block_size, pad_id, weights)

    @classmethod
    def from_sequences(
        cls,
        sequences: Sequence[Sequence[int]],
        block_size: int,
        pad_id: int = 0,
        weights: Sequence[float] | None = None,
    ) -> Blocks:
        """Blocks with the loss on every real token after the first (cut at ``block_size`` tokens)."""
        return cls._build([list(s) for s in sequences], [1] * len(sequences), block_size, pad_id, weights)

    @classmethod
    def _build(
        cls,
        rows: list[list[int]],
        first_target: list[int],
        block_size: int,
        pad_id: int,
        weights: Sequence[float] | None,
    ) -> Blocks:
        cut = sum(len(r) > block_size for r in rows)
        if cut:
            log.warning("%d of %d examples are longer than %d tokens and were cut", cut, len(rows), block_size)
        rows = [r[:block_size] for r in rows]
        ids = torch.tensor([r + [pad_id] * (block_size - len(r)) for r in rows], dtype=torch.long)
        lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
        pos = torch.arange(block_size)[None]
        mask = (pos >= torch.tensor(first_target)[:, None].clamp(min=1)) & (pos < lengths[:, None])
        w = torch.ones(len(rows)) if weights is None else torch.tensor(list(weights), dtype=torch.float32)
        if w.shape != (len(rows),):
            raise ValueError(f"{len(w)} weights for {len(rows)} examples")
        return cls(ids, mask, lengths, w)

    def attention_mask(self, index: torch.Tensor) -> torch.Tensor:
        """[B, T] int64: 1 on the real tokens of the blocks ``index``."""
        return (torch.arange(self.ids.shape[1])[None] < self.lengths[index, None]).long()


def epoch_permutation(seed: int, epoch: int, n: int) -> torch.Tensor:
    """The order [n] in which epoch ``epoch`` visits the examples: a pure function of (seed, epoch)."""
    gen = torch.Generator().manual_seed(derive_seed(seed, "epoch", epoch))
    return torch.randperm(n, generator=gen)


def step_examples(seed: int, step: int, batch_size: int, n: int) -> torch.Tensor:
    """The example indices [B] of optimizer step ``step`` (0-based): positions s·B … s·B+B−1 of the epochs."""
    positions = torch.arange(step * batch_size, (step + 1) * batch_size)
    epochs = positions // n
    out = torch.empty(batch_size, dtype=torch.long)
    for e in epochs.unique().tolist():
        at = epochs == e
        out[at] = epoch_permutation(seed, e, n)[positions[at] % n]
    return out


def masked_token_losses(
    model: Any, blocks: Blocks, index: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(ℓ, m, w)`` of the blocks ``index``: token NLLs [B, T−1], target mask [B, T−1] (float), weights [B]."""
    ids = blocks.ids[index]
    logits = model(input_ids=ids[:, :-1], attention_mask=blocks.attention_mask(index)[:, :-1]).logits.float()
    nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
    return nll, blocks.loss_mask[index, 1:].float(), blocks.weights[index]


def weighted_loss(nll: torch.Tensor, mask: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``Σ_i w_i Σ_t m_i,t ℓ_i,t / Σ_i w_i Σ_t m_i,t`` (0, with its graph, when no weighted target is in the batch)."""
    per_token = weights[:, None] * mask
    return (per_token * nll).sum() / per_token.sum().clamp(min=torch.finfo(nll.dtype).tiny)


class BlockTrainer(StepTrainer):
    """Trains a causal LM on fixed examples with a loss mask and weights (see the module docstring).

    Args:
        model: a causal LM (any ``transformers`` model, also one with a PEFT adapter).
        train: the training examples.
        cfg: optimisation settings (``steps``, ``batch_size``, ``lr`` …; ``block_size`` is the blocks' own).
        workdir: where checkpoints and ``seen.jsonl`` live.
        val: validation examples (``eval/loss``: the same weighted masked mean; ``eval/ppl`` its exp).
        run: run directory for metrics (defaults to one at ``workdir``).
        optimizer: builds the optimizer (default AdamW from ``cfg``).
        keep_every: also keep every checkpoint whose step is a multiple of this (0: the newest only).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        train: Blocks,
        cfg: OptimConfig,
        workdir: Path,
        val: Blocks | None = None,
        run: RunDir | None = None,
        optimizer: OptimizerFactory | None = None,
        keep_every: int = 0,
    ):
        super().__init__(model, cfg, workdir, run, optimizer, keep_every)
        self.train_blocks, self.val_blocks = train, val
        self.seen_path = self.workdir / "seen.jsonl"

    def batch(self, step: int) -> torch.Tensor:
        """The example indices [B] of ``step``."""
        return step_examples(self.cfg.seed, step, self.cfg.batch_size, len(self.train_blocks))

    def per_example_loss(self, index: torch.Tensor) -> torch.Tensor:
        """[B] masked mean NLL of each example (unweighted): what per-sample clipping (DP-SGD) differentiates."""
        nll, mask, _ = masked_token_losses(self.model, self.train_blocks, index)
        return (nll * mask).sum(-1) / mask.sum(-1).clamp(min=1)

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        return weighted_loss(*masked_token_losses(self.model, self.train_blocks, batch))

    def batch_tokens(self, batch: torch.Tensor) -> int:
        return int(self.train_blocks.loss_mask[batch, 1:].sum())

    @torch.no_grad()
    def evaluate(self, limit: int | None = None) -> dict[str, float]:
        if self.val_blocks is None:
            return {}
        was_training = self.model.training
        self.model.eval()
        n = len(self.val_blocks) if limit is None else min(limit, len(self.val_blocks))
        num = den = 0.0
        for lo in range(0, n, self.cfg.batch_size):
            index = torch.arange(lo, min(n, lo + self.cfg.batch_size))
            nll, mask, w = masked_token_losses(self.model, self.val_blocks, index)
            num += float((w[:, None] * mask * nll).sum())
            den += float((w[:, None] * mask).sum())
        self.model.train(was_training)
        loss = num / den if den else float("nan")
        return {"eval/loss": loss, "eval/ppl": math.exp(loss) if den else float("nan")}

    # -- the seen-examples log -------------------------------------------------------------------------------------
    def record(self, step: int, batch: torch.Tensor) -> None:
        with open(self.seen_path, "a") as fh:
            fh.write(json.dumps({"step": step, "examples": batch.tolist()}) + "\n")

    def truncate_records(self, step: int) -> None:
        rows = [r for r in self.seen() if r["step"] <= step]
        self.seen_path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.seen_path, "".join(json.dumps(r) + "\n" for r in rows))

    def seen(self) -> list[dict[str, Any]]:
        """The log: one ``{"step": s, "examples": [...]}`` per optimizer step done (s from 1)."""
        if not self.seen_path.exists():
            return []
        rows = []
        for line in self.seen_path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut by a kill: the resume rewrites the file without it
                break
        return rows
