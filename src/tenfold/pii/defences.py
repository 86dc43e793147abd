"""Defences as extra rows (beyond the paper): de-duplication, scrubbing with a PII detector, DP-SGD.

* ``dedup``   every planted record kept in its first example only (repetitions → 1; exact de-duplication of the
  planted sentences, Kandpal et al. 2022);
* ``scrub``   every string the clean email detector finds replaced by ``[EMAIL]`` before training (the detector,
  not the manifest, decides: what it misses stays);
* ``dp-sgd``  Opacus 1.6: per-example gradients (``GradSampleModule``), clipped to C, Gaussian noise σ·C on their
  sum (``DPOptimizer``; Abadi et al. 2016), ε from Opacus's RDP accountant at sampling rate q = B/n (the batches are
  shuffled fixed-size, not Poisson-sampled: the usual gap between practice and the accountant's assumption).

GPT-2-style models need two adaptations under Opacus (the issue's notes): ``position_ids`` with a batch dimension
(Opacus computes the position embedding's per-example gradient from its input, which GPT-2 otherwise builds as
``[1, T]``), and generation through the wrapped ``._module`` (checkpoints are saved without the wrapper's prefix).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from tenfold.common.errors import UserError
from tenfold.lm.blocks import Blocks, BlockTrainer
from tenfold.lm.trainer import OptimConfig
from tenfold.pii.corpus import PiiCorpus
from tenfold.pii.names import DEFENCES


def apply_defence(corpus: PiiCorpus, name: str) -> PiiCorpus:
    """The training corpus under a data defence (``none`` and ``dp-sgd`` leave it as it is)."""
    if name not in DEFENCES:
        raise UserError(f"unknown defence {name!r}; choose one of: {', '.join(DEFENCES)}")
    if name == "dedup":
        return corpus.deduplicated()
    if name == "scrub":
        return corpus.scrubbed()
    return corpus


def _require_opacus() -> Any:
    try:
        import opacus
    except ImportError as e:  # pragma: no cover - opacus is in the pii extra
        raise UserError("DP-SGD needs opacus: pip install 'tenfold[pii]'") from e
    return opacus


class DPBlockTrainer(BlockTrainer):
    """:class:`~tenfold.lm.blocks.BlockTrainer` with Opacus's DP-SGD step (AdamW on the privatised gradient).

    The loss is the mean over the batch of each example's mean token NLL, the ``loss_reduction="mean"`` that
    Opacus's per-example gradients assume; each example is one clipping unit."""

    def __init__(self, model: torch.nn.Module, train: Blocks, optim: OptimConfig, workdir: Path, cfg: Any, **kw: Any):
        _require_opacus()
        import warnings

        from opacus import GradSampleModule

        # Opacus's hooks fire on module outputs when no input needs a gradient (token ids never do): expected here
        warnings.filterwarnings("ignore", message="Full backward hook is firing", category=UserWarning)
        from opacus.optimizers import DPOptimizer

        def factory(m: torch.nn.Module) -> torch.optim.Optimizer:
            inner = torch.optim.AdamW(m.parameters(), lr=optim.lr, weight_decay=optim.weight_decay)
            return DPOptimizer(
                inner,
                noise_multiplier=cfg.dp_noise,
                max_grad_norm=cfg.dp_clip,
                expected_batch_size=optim.batch_size,
            )

        super().__init__(GradSampleModule(model), train, optim, workdir, optimizer=factory, **kw)

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        ids = self.train_blocks.ids[batch]
        b, t = ids.shape
        positions = torch.arange(t - 1).expand(b, t - 1)  # a batch dimension: see the module docstring
        logits = self.model(
            input_ids=ids[:, :-1],
            attention_mask=self.train_blocks.attention_mask(batch)[:, :-1],
            position_ids=positions,
        ).logits.float()
        nll = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")
        mask = self.train_blocks.loss_mask[batch, 1:].float()
        return ((nll * mask).sum(-1) / mask.sum(-1).clamp(min=1)).mean()


def dp_epsilon(cfg: Any, n_examples: int, steps: int) -> float:
    """ε of ``steps`` DP-SGD steps at noise σ = ``cfg.dp_noise``, sampling rate B/n, δ = ``cfg.dp_delta`` (RDP)."""
    _require_opacus()
    from opacus.accountants import RDPAccountant

    accountant = RDPAccountant()
    accountant.history = [(cfg.dp_noise, min(1.0, cfg.batch_size / n_examples), steps)]
    return float(accountant.get_epsilon(cfg.dp_delta))
