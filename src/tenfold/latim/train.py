"""Training tiny Mamba-1 / Mamba-2 models on the synthetic tasks (tenfold.lm's models, fast CPU scan and resumable
step loop), with mimetic initialisation as an option, cached by config.

Mimetic initialisation (Trockman et al. 2024; the LaTIM fork's ``mimetic_init``) starts the SSM close to attention:
A ≈ 0 (``A_log`` scaled by −8), Δ = 1 (dt bias softplus⁻¹(1) = 0.5413, dt weights 0), an identity conv (last tap 1)
and B = C = (B + C)/2, so that C_i · B_j is a query–key product from the first step.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from tenfold.common.cache import cached_dir, entry_path
from tenfold.common.config import check_fields
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import derive_seed, seed_everything
from tenfold.latim.tasks import Batch, TaskSpec, collate, dataset, sample
from tenfold.lm.trainer import OptimConfig, StepTrainer


@dataclass(frozen=True)
class ModelConfig:
    """A tiny Mamba model for a synthetic task."""

    family: str = "mamba"
    """mamba (Mamba-1) or mamba2."""
    d_model: int = 64
    """residual width."""
    n_layer: int = 2
    """blocks."""
    d_state: int = 16
    """SSM state size N."""
    head_dim: int = 16
    """Mamba-2 head dimension P (heads = 2 d_model / P)."""
    n_groups: int = 1
    """Mamba-2 B/C and norm groups."""
    activation: str = "silu"
    """the conv activation: silu (standard) or linear (exactly decomposable through the conv)."""
    mimetic: bool = True
    """mimetic initialisation."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("d_model", "n_layer", "d_state", "head_dim", "n_groups"),
            choices={"family": ("mamba", "mamba2"), "activation": ("silu", "linear")},
        )


@dataclass(frozen=True)
class TaskTrainConfig:
    """One trained model: task, architecture, optimisation."""

    task: TaskSpec = field(default_factory=TaskSpec)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(
        default_factory=lambda: OptimConfig(
            steps=600, batch_size=64, lr=3e-3, warmup_steps=30, weight_decay=0.0, eval_every=200, ckpt_every=200
        )
    )
    """optimisation (tenfold.lm's settings; block_size unused)."""
    val_examples: int = 256
    """held-out examples for the accuracy logged during training."""


def build(cfg: TaskTrainConfig) -> Any:
    """A freshly initialised model for ``cfg`` (seeded)."""
    import transformers as tf

    from tenfold.lm.zoo import ModelSpec, hf_config, prepare_family

    m = cfg.model
    if m.family not in ("mamba", "mamba2"):
        from tenfold.common.errors import UserError

        raise UserError(f"unknown architecture '{m.family}' (choose from mamba, mamba2)")
    spec = ModelSpec(
        m.family, d_model=m.d_model, n_layer=m.n_layer, d_state=m.d_state, head_dim=m.head_dim, chunk_size=32
    )
    conf = hf_config(spec, cfg.task.vocab_size, 0)
    conf.hidden_act = m.activation
    if m.family == "mamba2":
        conf.n_groups = m.n_groups
    prepare_family(m.family)
    cls = tf.MambaForCausalLM if m.family == "mamba" else tf.Mamba2ForCausalLM
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.optim.seed)
        model = cls(conf)
    if m.mimetic:
        mimetic_init(model)
    return model


@torch.no_grad()
def mimetic_init(model: Any) -> None:
    """See the module docstring; works on both architectures' ``transformers`` modules."""
    for block in model.backbone.layers:
        mix = block.mixer
        mix.A_log.mul_(-8.0)
        mix.conv1d.weight.zero_()
        mix.conv1d.weight[..., -1] = 1.0
        if mix.conv1d.bias is not None:
            mix.conv1d.bias.zero_()
        if type(mix).__name__ == "MambaMixer":
            mix.dt_proj.weight.zero_()
            mix.dt_proj.bias.fill_(0.5413)
            r, n = mix.time_step_rank, mix.ssm_state_size
            w = mix.x_proj.weight
            avg = (w[r : r + n] + w[r + n :]) / 2
            w[r : r + n], w[r + n :] = avg, avg
        else:
            mix.dt_bias.fill_(0.5413)
            d, gn = mix.intermediate_size, mix.n_groups * mix.ssm_state_size
            w = mix.in_proj.weight  # rows: z (d), x (d), B (gn), C (gn), dt (heads)
            b0, c0 = 2 * d, 2 * d + gn
            avg = (w[b0 : b0 + gn] + w[c0 : c0 + gn]) / 2
            w[b0 : b0 + gn], w[c0 : c0 + gn] = avg, avg


class TaskTrainer(StepTrainer):
    """Masked next-token loss on a task's target rows; batches drawn from the step's seed."""

    def __init__(self, model: Any, cfg: TaskTrainConfig, workdir: Path, run: RunDir | None = None):
        super().__init__(model, cfg.optim, workdir, run)
        self.task_cfg = cfg
        self.val = collate(dataset(cfg.task, cfg.val_examples, derive_seed(cfg.optim.seed, "val") % 2**31))

    def batch(self, step: int) -> Batch:
        rng = random.Random(derive_seed(self.cfg.seed, "batch", step))
        return collate([sample(self.task_cfg.task, rng) for _ in range(self.cfg.batch_size)])

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.model(input_ids=batch.ids, attention_mask=batch.mask).logits
        return torch.nn.functional.cross_entropy(
            logits.flatten(0, 1).float(), batch.labels.flatten(), ignore_index=-100
        )

    def batch_tokens(self, batch: Batch) -> int:
        return int((batch.labels != -100).sum())

    def evaluate(self, limit: int | None = None) -> dict[str, float]:
        return {"eval/accuracy": accuracy(self.model, self.val)}


@torch.no_grad()
def accuracy(model: Any, batch: Batch) -> float:
    """Greedy next-token accuracy on the target rows (teacher forcing: each row sees the true prefix)."""
    was = model.training
    model.eval()
    pred = model(input_ids=batch.ids, attention_mask=batch.mask).logits.argmax(-1)
    model.train(was)
    keep = batch.labels != -100
    return float((pred[keep] == batch.labels[keep]).float().mean())


def model_dir(cfg: TaskTrainConfig) -> Path:
    """Where the trained model of ``cfg`` is (or will be) cached."""
    return entry_path("latim-models", cfg, label=_label(cfg))


def _label(cfg: TaskTrainConfig) -> str:
    fixed = "-fixed" if cfg.task.name == "copy" and cfg.task.min_len == cfg.task.max_len else ""
    return f"{cfg.task.name}{fixed}-{cfg.model.family}-s{cfg.optim.seed}"


def train_task(cfg: TaskTrainConfig, progress: bool = False) -> tuple[Any, dict]:
    """Train (or resume, or load) the model of ``cfg``; returns the model (eval mode) and its final metrics."""
    import json

    from tenfold.lm.loading import load_local

    out = cached_dir(
        "latim-models", cfg, lambda workdir: _train(cfg, workdir, progress), label=_label(cfg), resume=True
    )
    model, _ = load_local(out / "final")
    return model, json.loads((out / "summary.json").read_text())


def _train(cfg: TaskTrainConfig, out: Path, progress: bool) -> None:
    seed_everything(cfg.optim.seed)
    model = build(cfg)
    if (out / "config.json").exists():
        run = RunDir.open(out)
    else:
        run = RunDir.create(out.parent, "latim", "custom", cfg.optim.seed, cfg, path=out)
    trainer = TaskTrainer(model, cfg, out, run)
    if not progress:
        import os

        os.environ.setdefault("TENFOLD_PROGRESS", "0")
    metrics = trainer.train()
    model.save_pretrained(str(out / "final"))
    run.write_summary(metrics)
