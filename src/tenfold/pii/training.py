"""Training a tiny GPT on a PII corpus, with an exact record of which examples each interval saw.

Every training example is one passage (:mod:`.corpus`); ``lm``'s :class:`~tenfold.lm.blocks.BlockTrainer` logs the
example indices of every optimizer step (``seen.jsonl``), and its batches are a pure function of (seed, step), so
"the PII newly seen in interval (t − 10 %, t]" is read from the log, not reconstructed (the official code decodes
batches inside a ``Trainer`` subclass whose epoch hooks are never called — its epoch labels never advance).

Checkpoints are kept every ``1/checkpoints_per_epoch`` of an epoch (``keep_every``), so extraction can run on each
afterwards; a killed training resumes from its newest checkpoint (``StepTrainer``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from tenfold.common.config import check_fields
from tenfold.common.errors import UserError
from tenfold.pii.corpus import PiiCorpus


@dataclass(frozen=True)
class TrainConfig:
    """How the tiny GPT is trained."""

    model: str = "gpt2-tiny"
    """zoo architecture."""
    base: str = "scratch"
    """``scratch`` (random initialisation) or an ``lm`` training preset (``test``/``quick``/``paper``): start from the
    zoo model pre-trained on the background corpus with that preset (cached by ``lm``, shared) and fine-tune on the
    PII corpus, as the paper fine-tunes a pre-trained GPT-2. Measured: only the pre-trained start memorises enough
    emails at this scale (README)."""
    d_model: int = 128
    """residual width (from scratch; a pre-trained base keeps its own)."""
    tokenizer: str = "bpe-1024"
    """``lm`` tokenizer spec, trained on the background corpus only."""
    block_size: int = 192
    """tokens per example (a passage; longer ones are cut)."""
    epochs: float = 3.0
    """passes over the corpus (the paper: 3)."""
    batch_size: int = 16
    """examples per step (the paper: 8)."""
    lr: float = 3e-3
    """peak learning rate (cosine decay, warm-up 20 steps)."""
    checkpoints_per_epoch: int = 10
    """checkpoints kept per epoch (the paper: every 10 %)."""
    dropout: float = 0.0
    """dropout during fine-tuning (a pre-trained base's own 0.1 is overridden). 0: memorisation is what the study
    measures, and at 0.1 a tiny model memorised a fraction as many emails in the same steps (README)."""
    weight_decay: float = 0.01
    """AdamW weight decay (the paper: 0.01)."""
    seed: int = 0
    """batch order (and initialisation from scratch)."""
    base_seed: int = 0
    """seed of the pre-trained base (shared by every fine-tune: a control "with another seed" changes ``seed``)."""
    dp_noise: float = 0.0
    """DP-SGD noise multiplier σ (0: no DP). With σ > 0 the step is Opacus's: per-example gradients clipped to
    ``dp_clip``, Gaussian noise σ·``dp_clip`` added to their sum (Abadi et al. 2016)."""
    dp_clip: float = 1.0
    """DP-SGD per-example clipping bound C."""
    dp_delta: float = 1e-5
    """δ of the (ε, δ) the accountant reports."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("d_model", "block_size", "epochs", "batch_size", "lr", "checkpoints_per_epoch", "dp_clip"),
            non_negative=("seed", "base_seed", "dropout", "weight_decay", "dp_noise"),
            fractions=("dp_delta",),
            choices={"base": ("scratch", "test", "quick", "paper")},
        )

    def steps_per_epoch(self, n: int) -> int:
        return max(1, math.ceil(n / self.batch_size))

    def interval(self, n: int) -> int:
        """Steps between kept checkpoints."""
        return max(1, self.steps_per_epoch(n) // self.checkpoints_per_epoch)


def tokenizer_for(corpus: PiiCorpus, cfg: TrainConfig) -> Any:
    from tenfold.lm.tokenization import build_tokenizer

    return build_tokenizer(cfg.tokenizer, corpus.background)


def model_for(cfg: TrainConfig, vocab: int, eos: int, background: str = "lee") -> Any:
    """A fresh model: random (``base=scratch``) or ``lm``'s pre-trained zoo model on the background corpus."""
    from tenfold.lm.zoo import ZOO, build_model

    if cfg.base != "scratch":
        from tenfold.lm.config import make_job
        from tenfold.lm.jobs import ensure_trained, final_dir
        from tenfold.lm.loading import load_local

        job = make_job(cfg.model, background, cfg.base, cfg.base_seed)
        if job.model.tokenizer != cfg.tokenizer:
            raise UserError(f"the pre-trained {cfg.model} uses tokenizer {job.model.tokenizer}, not {cfg.tokenizer}")
        model, _ = load_local(final_dir(ensure_trained(job, preset=cfg.base)))
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = cfg.dropout
        return model.train()
    if cfg.model not in ZOO:
        raise UserError(f"unknown model {cfg.model!r}; zoo: {', '.join(ZOO.names())}")
    spec = replace(ZOO.get(cfg.model), d_model=cfg.d_model, dropout=cfg.dropout, max_len=max(256, cfg.block_size))
    return build_model(spec, vocab, eos, seed=cfg.seed)


def example_blocks(corpus: PiiCorpus, tok: Any, block_size: int) -> tuple[list[list[int]], list[int]]:
    """The examples' token ids cut into consecutive pieces of at most ``block_size`` tokens (nothing is dropped: a
    planted sentence at the end of a long passage is still trained on), and the example each piece comes from."""
    pieces, source = [], []
    for i, text in enumerate(corpus.examples):
        ids = list(tok(text, add_special_tokens=False)["input_ids"])
        for lo in range(0, max(1, len(ids)), block_size):
            pieces.append(ids[lo : lo + block_size])
            source.append(i)
    return pieces, source


def train(
    corpus: PiiCorpus,
    cfg: TrainConfig,
    workdir: Path,
    keep: bool = False,
    on_interval: Callable[[int, torch.nn.Module], None] | None = None,
) -> Path:
    """Fine-tune on ``corpus``; returns ``workdir`` with ``checkpoints/``, ``seen.jsonl`` (trainer positions),
    ``examples.json`` (position → corpus example) and ``plan.json`` (steps per epoch, checkpoint interval, ε).

    Args:
        keep: keep a checkpoint every ``1/checkpoints_per_epoch`` of an epoch; else the newest one only (a
            checkpoint is still written at every interval, so a killed run resumes from the last one).
        on_interval: called with ``(step, model)`` at every interval and at the end — continuous training's
            extraction runs here, on the live model, instead of on dozens of saved checkpoints. After a resume it is
            called first for the checkpoint resumed from (the caller skips steps it has already recorded).
    """
    from tenfold.lm.blocks import Blocks, BlockTrainer
    from tenfold.lm.trainer import OptimConfig

    tok = tokenizer_for(corpus, cfg)
    pieces, source = example_blocks(corpus, tok, cfg.block_size)
    # blocks as wide as the longest piece: short passages padded to block_size would spend most compute on padding
    width = max(2, min(cfg.block_size, max(len(p) for p in pieces)))
    blocks = Blocks.from_sequences(pieces, width, pad_id=tok.eos_token_id)
    per_epoch = cfg.steps_per_epoch(len(pieces))
    steps = max(1, round(cfg.epochs * per_epoch))
    every = cfg.interval(len(pieces))
    optim = OptimConfig(
        steps=steps,
        batch_size=cfg.batch_size,
        block_size=width,
        lr=cfg.lr,
        weight_decay=cfg.weight_decay,
        warmup_steps=min(20, steps // 10),
        eval_every=steps,
        ckpt_every=every,
        keep_checkpoints=1,
        seed=cfg.seed,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "examples.json").write_text(json.dumps(source))
    # the PII each piece holds whole (a planted email cut by a piece boundary is in neither piece: never seen whole)
    where = _emails_by_example(corpus)
    held = [sorted(e for e in where.get(i, ()) if e in tok.decode(p)) for i, p in zip(source, pieces, strict=True)]
    (workdir / "pieces.json").write_text(json.dumps(held))
    plan: dict[str, Any] = {"steps": steps, "steps_per_epoch": per_epoch, "interval": every, "blocks": len(pieces)}
    model = model_for(cfg, len(tok), tok.eos_token_id, corpus.background)
    if cfg.dp_noise > 0:
        from tenfold.pii.defences import DPBlockTrainer, dp_epsilon

        trainer: BlockTrainer = DPBlockTrainer(model, blocks, optim, workdir, cfg, keep_every=every if keep else 0)
        plan["epsilon"] = dp_epsilon(cfg, len(pieces), steps)
    else:
        trainer = BlockTrainer(model, blocks, optim, workdir, keep_every=every if keep else 0)
    (workdir / "plan.json").write_text(json.dumps(plan))
    hook = None
    if on_interval is not None:
        if trainer.resume() and (trainer.step % every == 0 or trainer.step == steps):
            on_interval(trainer.step, trainer.model)

        def hook(step: int, loss: float) -> None:
            if step % every == 0 or step == steps:
                on_interval(step, trainer.model)

    trainer.train(on_step=hook)
    _strip_optimizer_state(workdir)
    return workdir


def _strip_optimizer_state(workdir: Path) -> None:
    """Keep only the weights in every checkpoint but the newest (resuming needs the optimizer state of the newest
    alone): 30 kept checkpoints of gpt2-tiny take 110 MB instead of 330."""
    kept = sorted((Path(workdir) / "checkpoints").glob("step_*.pt"))
    for path in kept[:-1]:
        state = torch.load(path, map_location="cpu", weights_only=False)
        if "optimizer" in state:
            torch.save({"step": state["step"], "model": state["model"]}, path)


def plan_of(workdir: Path) -> dict[str, Any]:
    """What :func:`train` wrote about the run (steps, steps per epoch, checkpoint interval, ε under DP)."""
    path = Path(workdir) / "plan.json"
    if not path.exists():
        raise UserError(f"{workdir} is not a PII training run (no plan.json)")
    return json.loads(path.read_text())


def checkpoints(workdir: Path) -> list[tuple[int, Path]]:
    """(step, path) of every kept checkpoint, in order."""
    out = sorted((int(p.stem.split("_")[1]), p) for p in (Path(workdir) / "checkpoints").glob("step_*.pt"))
    if not out:
        raise UserError(f"{workdir} holds no checkpoints (train first)")
    return out


def load_checkpoint(corpus: PiiCorpus, cfg: TrainConfig, path: Path) -> tuple[Any, Any]:
    """The model at a checkpoint file, and its tokenizer."""
    if not Path(path).exists():
        raise UserError(f"checkpoint {path} does not exist")
    tok = tokenizer_for(corpus, cfg)
    model = model_for(cfg, len(tok), tok.eos_token_id, corpus.background)
    state = torch.load(path, map_location="cpu", weights_only=False)
    # a DP run saves the Opacus wrapper's state: its keys carry the wrapped module's prefix
    model.load_state_dict({k.removeprefix("_module."): v for k, v in state["model"].items()})
    return model.eval(), tok


def _emails_by_example(corpus: PiiCorpus) -> dict[int, set[str]]:
    where: dict[int, set[str]] = {}
    for r in corpus.records:
        for e in r.examples:
            where.setdefault(e, set()).add(r.email)
    return where


def seen_by_step(workdir: Path) -> dict[int, frozenset[str]]:
    """The emails each optimizer step saw whole (from ``seen.jsonl`` and ``pieces.json``, read once)."""
    held = json.loads((Path(workdir) / "pieces.json").read_text())
    rows = [json.loads(line) for line in (Path(workdir) / "seen.jsonl").read_text().splitlines() if line]
    return {row["step"]: frozenset(e for position in row["examples"] for e in held[position]) for row in rows}


def seen_pii(corpus: PiiCorpus, workdir: Path, after: int, upto: int) -> frozenset[str]:
    """Emails in the training pieces the trainer saw in steps ``after + 1 … upto``."""
    return frozenset().union(*(s for step, s in seen_by_step(workdir).items() if after < step <= upto))
