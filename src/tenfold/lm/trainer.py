"""A small, deterministic, resumable causal-LM trainer for CPUs.

* AdamW with linear warm-up then cosine decay to ``min_lr_ratio · lr``; global-norm gradient clipping.
* Batches are a pure function of ``(seed, step)``: random windows of ``block_size + 1`` tokens from the training
  token stream, drawn with a generator seeded from both. Resuming therefore needs no data-loader state.
* A checkpoint every ``ckpt_every`` steps holds the model, optimizer, scheduler and RNG states (written atomically;
  the last ``keep_checkpoints`` are kept). Re-running the same job resumes from the newest one and ends with
  weights identical, bit for bit, to an uninterrupted run.
* Periodic validation perplexity on fixed, non-overlapping windows; metrics go to the run directory.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tenfold.common.config import check_fields
from tenfold.common.errors import TrainingDiverged, UserError
from tenfold.common.progress import progress
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import derive_seed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OptimConfig:
    """Optimisation settings of :class:`StreamTrainer`."""

    steps: int = 800
    """optimizer steps."""
    batch_size: int = 32
    """sequences per step."""
    block_size: int = 64
    """tokens per training sequence (the model predicts each from those before it)."""
    lr: float = 3e-3
    """peak learning rate."""
    min_lr_ratio: float = 0.1
    """final learning rate as a fraction of ``lr`` (cosine decay)."""
    warmup_steps: int = 50
    """linear warm-up steps."""
    weight_decay: float = 0.1
    """AdamW decoupled weight decay (matrices only; biases, norms and embeddings are not decayed)."""
    beta1: float = 0.9
    """AdamW β1."""
    beta2: float = 0.95
    """AdamW β2."""
    grad_clip: float = 1.0
    """global gradient-norm clip (0 disables)."""
    eval_every: int = 100
    """steps between validation evaluations."""
    eval_windows: int = 64
    """validation windows per periodic evaluation (the final evaluation uses all)."""
    ckpt_every: int = 100
    """steps between checkpoints."""
    keep_checkpoints: int = 2
    """how many of the newest checkpoints to keep."""
    seed: int = 0
    """seed of initialisation, batches and dropout."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "steps",
                "batch_size",
                "block_size",
                "lr",
                "eval_every",
                "eval_windows",
                "ckpt_every",
                "keep_checkpoints",
            ),
            non_negative=("warmup_steps", "weight_decay", "grad_clip", "seed"),
            fractions=("min_lr_ratio", "beta1", "beta2"),
        )


def lr_factor(step: int, cfg: OptimConfig) -> float:
    """Multiplier of ``cfg.lr`` at optimizer step ``step`` (0-based): linear warm-up, then cosine decay."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    span = max(1, cfg.steps - cfg.warmup_steps)
    progress_frac = min(1.0, (step - cfg.warmup_steps) / span)
    return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress_frac))


def eval_windows(ids: torch.Tensor, block_size: int, limit: int | None = None) -> torch.Tensor:
    """Non-overlapping ``(n, block_size + 1)`` windows covering ``ids``; at most ``limit``, evenly spaced."""
    n = (len(ids) - 1) // block_size
    if n < 1:
        raise UserError(f"validation text has {len(ids)} tokens, fewer than one window of {block_size + 1}")
    starts = torch.arange(n) * block_size
    if limit is not None and n > limit:
        starts = starts[torch.linspace(0, n - 1, limit).round().long()]
    return torch.stack([ids[s : s + block_size + 1] for s in starts.tolist()])


@torch.no_grad()
def windows_nll(model: Any, windows: torch.Tensor, batch_size: int = 32) -> tuple[float, int]:
    """Summed next-token NLL (nats) and the number of predicted tokens over ``windows`` (n, T + 1)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(windows), batch_size):
        batch = windows[i : i + batch_size]
        logits = model(input_ids=batch[:, :-1]).logits.float()
        nll = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch[:, 1:].flatten(), reduction="sum")
        total += float(nll)
        count += batch[:, 1:].numel()
    model.train(was_training)
    return total, count


OptimizerFactory = Callable[[torch.nn.Module], torch.optim.Optimizer]
"""Builds the optimizer over a model's trainable parameters (e.g. an Opacus ``DPOptimizer`` for DP-SGD)."""


def adamw(cfg: OptimConfig) -> OptimizerFactory:
    """The default optimizer: AdamW with ``cfg``'s learning rate, betas and decoupled weight decay on matrices."""
    return lambda model: torch.optim.AdamW(
        _param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2)
    )


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.ndim >= 2 and "wte" not in name and "embed" not in name else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class StepTrainer:
    """The optimisation loop, checkpoints and exact resume, for any batch source (see the module docstring).

    Subclasses say what a batch is (:meth:`batch`, a pure function of the step), what it costs (:meth:`loss`) and how
    to evaluate (:meth:`evaluate`): :class:`StreamTrainer` trains on a token stream; synthetic-task trainers (LaTIM's)
    draw their sequences from the step's seed.

    Args:
        model: a causal LM whose forward takes ``input_ids`` and returns ``.logits`` (any HF model).
        cfg: optimisation settings.
        workdir: where checkpoints live (``workdir/checkpoints``).
        run: run directory for metrics (defaults to one at ``workdir``).
        optimizer: builds the optimizer from the model (default :func:`adamw`); the warm-up/cosine schedule
            multiplies the learning rate of whatever it returns. Set ``cfg.grad_clip = 0`` when the optimizer clips
            by itself (DP-SGD clips per sample).
        keep_every: also keep every checkpoint whose step is a multiple of this (0: only the newest
            ``cfg.keep_checkpoints``), e.g. to audit a model as training goes.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        cfg: OptimConfig,
        workdir: Path,
        run: RunDir | None = None,
        optimizer: OptimizerFactory | None = None,
        keep_every: int = 0,
    ):
        if keep_every < 0:
            raise ValueError(f"keep_every must be >= 0, got {keep_every}")
        self.model, self.cfg, self.keep_every = model, cfg, keep_every
        self.workdir = Path(workdir)
        self.ckpt_dir = self.workdir / "checkpoints"
        self.run = run or RunDir.open(self.workdir)
        self.optimizer = (optimizer or adamw(cfg))(model)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lambda s: lr_factor(s, cfg))
        self.step = 0  # optimizer steps done

    # -- what subclasses define ----------------------------------------------------------------------------------
    def batch(self, step: int) -> Any:
        """The training batch of ``step`` (a pure function of (seed, step), so that resuming needs no loader state)."""
        raise NotImplementedError

    def loss(self, batch: Any) -> torch.Tensor:
        """The scalar training loss of a batch."""
        raise NotImplementedError

    def batch_tokens(self, batch: Any) -> int:
        """Predicted tokens in a batch (for the throughput metric)."""
        raise NotImplementedError

    def evaluate(self, limit: int | None = None) -> dict[str, float]:
        """Validation metrics (``limit``: a cheaper periodic evaluation; None: the final one)."""
        return {}

    def record(self, step: int, batch: Any) -> None:
        """Called after optimizer step ``step`` (1-based) with its batch, before any checkpoint (e.g. a log)."""

    def truncate_records(self, step: int) -> None:
        """Forget what :meth:`record` wrote after ``step`` (a resume from the checkpoint of ``step``)."""

    # -- checkpoints ---------------------------------------------------------------------------------------------
    def checkpoints(self) -> list[Path]:
        return sorted(self.ckpt_dir.glob("step_*.pt"))

    def save_checkpoint(self) -> Path:
        self.ckpt_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "step": self.step,
            "config": self.cfg.__dict__,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": {"torch": torch.get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
        }
        path = self.ckpt_dir / f"step_{self.step:07d}.pt"
        tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
        torch.save(state, tmp)
        os.replace(tmp, path)  # a kill during the write leaves the previous checkpoint intact
        for old in self.checkpoints()[: -self.cfg.keep_checkpoints]:
            if not (self.keep_every and int(old.stem.split("_")[1]) % self.keep_every == 0):
                old.unlink()
        return path

    def load_checkpoint(self, path: Path) -> None:
        """Restore everything from ``path``; a :class:`UserError` if the file is not a readable checkpoint."""
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            self.scheduler.load_state_dict(state["scheduler"])
        except Exception as exc:  # pickle, zip and key errors all mean the same thing to the user
            raise UserError(f"corrupt checkpoint {path}: {type(exc).__name__}: {exc}".splitlines()[0]) from None
        torch.set_rng_state(state["rng"]["torch"])
        np.random.set_state(state["rng"]["numpy"])
        random.setstate(state["rng"]["python"])
        self.step = int(state["step"])

    def resume(self) -> bool:
        """Load the newest checkpoint if there is one; True if training resumed."""
        ckpts = self.checkpoints()
        if not ckpts:
            return False
        self.load_checkpoint(ckpts[-1])
        self.run.truncate_metrics(self.step)
        self.truncate_records(self.step)
        log.info("resumed from %s (step %d of %d)", ckpts[-1], self.step, self.cfg.steps)
        return True

    def _diverged(self, what: str) -> None:
        last = self.checkpoints()
        kept = f"its last good checkpoint, {last[-1].name}, is kept" if last else "no checkpoint was written"
        raise TrainingDiverged(
            f"training diverged at step {self.step + 1} ({what}); {kept}; lower the learning rate (train.lr) or "
            "lengthen the warm-up"
        )

    # -- loop ----------------------------------------------------------------------------------------------------
    def train(self, stop_at: int | None = None, on_step: Callable[[int, float], None] | None = None) -> dict:
        """Run (or resume) training to ``cfg.steps``; returns the final metrics.

        Args:
            stop_at: stop after this step with a checkpoint, leaving the run resumable (to split training across
                sessions).
            on_step: called with ``(step, loss)`` after every step.
        """
        cfg = self.cfg
        if self.step == 0 and not self.resume():
            torch.manual_seed(derive_seed(cfg.seed, "dropout"))
            self.run.truncate_metrics(0)  # rows of an earlier attempt that never reached a checkpoint
            self.truncate_records(0)
        self.model.train()
        bar = progress(total=cfg.steps, initial=self.step, desc="train")
        t0, tokens = time.perf_counter(), 0
        while self.step < cfg.steps:
            batch = self.batch(self.step)
            loss = self.loss(batch)
            if not torch.isfinite(loss):
                self._diverged(f"loss {loss.item()}")
            loss.backward()
            # the norm is computed either way (max_norm inf scales by exactly 1): a non-finite gradient stops the run
            # before the step, so that no checkpoint ever holds weights it has poisoned
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip or math.inf)
            if not torch.isfinite(norm):
                self._diverged(f"gradient norm {norm.item()}")
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.scheduler.step()
            self.step += 1
            tokens += self.batch_tokens(batch)
            loss_value = loss.item()
            row: dict[str, float] = {"train/loss": loss_value, "train/lr": self.scheduler.get_last_lr()[0]}
            if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
                row.update(self.evaluate(None if self.step == cfg.steps else cfg.eval_windows))
                row["train/tokens_per_s"] = tokens / (time.perf_counter() - t0)
            self.run.log(self.step, **row)
            self.record(self.step, batch)
            stopping = stop_at is not None and self.step >= stop_at
            if self.step % cfg.ckpt_every == 0 or self.step == cfg.steps or stopping:
                self.save_checkpoint()
            bar.update(1)
            bar.set_postfix(loss=f"{loss_value:.3f}")
            if on_step:
                on_step(self.step, loss_value)
            if stopping:
                break
        bar.close()
        final = {k: v for k, v in self.run.metrics()[-1].items() if k != "step"} if self.run.metrics() else {}
        return {"step": self.step, **final}


class StreamTrainer(StepTrainer):
    """Trains ``model`` on a token stream: random windows of ``block_size + 1`` tokens, next-token loss everywhere.

    Args:
        model: a causal LM whose forward takes ``input_ids`` and returns ``.logits`` (any HF model).
        train_ids: (n_train,) int64 token stream, documents separated by EOS.
        val_ids: (n_val,) int64 validation stream.
        cfg: optimisation settings.
        workdir: where checkpoints live (``workdir/checkpoints``).
        run: run directory for metrics (defaults to one at ``workdir``).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        train_ids: torch.Tensor,
        val_ids: torch.Tensor,
        cfg: OptimConfig,
        workdir: Path,
        run: RunDir | None = None,
    ):
        if len(train_ids) < cfg.block_size + 2:
            raise UserError(f"training text has {len(train_ids)} tokens, fewer than one block of {cfg.block_size}")
        super().__init__(model, cfg, workdir, run)
        self.train_ids, self.val_ids = train_ids.long(), val_ids.long()

    def batch(self, step: int) -> torch.Tensor:
        """The (batch_size, block_size + 1) training windows of ``step``: a pure function of (seed, step)."""
        gen = torch.Generator().manual_seed(derive_seed(self.cfg.seed, "batch", step))
        starts = torch.randint(0, len(self.train_ids) - self.cfg.block_size - 1, (self.cfg.batch_size,), generator=gen)
        return torch.stack([self.train_ids[s : s + self.cfg.block_size + 1] for s in starts.tolist()])

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        logits = self.model(input_ids=batch[:, :-1]).logits
        return torch.nn.functional.cross_entropy(logits.flatten(0, 1).float(), batch[:, 1:].flatten())

    def batch_tokens(self, batch: torch.Tensor) -> int:
        return batch[:, 1:].numel()

    def evaluate(self, limit: int | None = None) -> dict[str, float]:
        total, count = windows_nll(self.model, eval_windows(self.val_ids, self.cfg.block_size, limit))
        return {"eval/loss": total / count, "eval/ppl": math.exp(total / count), "eval/tokens": count}
