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
    seed: int = 0
    """initialisation and batch order."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("d_model", "block_size", "epochs", "batch_size", "lr", "checkpoints_per_epoch"),
            non_negative=("seed",),
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

        job = make_job(cfg.model, background, cfg.base, cfg.seed)
        if job.model.tokenizer != cfg.tokenizer:
            raise UserError(f"the pre-trained {cfg.model} uses tokenizer {job.model.tokenizer}, not {cfg.tokenizer}")
        model, _ = load_local(final_dir(ensure_trained(job, preset=cfg.base)))
        return model.train()
    if cfg.model not in ZOO:
        raise UserError(f"unknown model {cfg.model!r}; zoo: {', '.join(ZOO.names())}")
    spec = replace(ZOO.get(cfg.model), d_model=cfg.d_model, dropout=0.0, max_len=max(256, cfg.block_size))
    return build_model(spec, vocab, eos, seed=cfg.seed)


def train(corpus: PiiCorpus, cfg: TrainConfig, workdir: Path, examples: list[int] | None = None) -> Path:
    """Train on ``corpus`` (or the given example indices); returns ``workdir`` with ``checkpoints/`` and
    ``seen.jsonl`` (the trainer's indices are positions in ``examples``; ``examples.json`` maps them back)."""
    from tenfold.lm.blocks import Blocks, BlockTrainer
    from tenfold.lm.trainer import OptimConfig

    tok = tokenizer_for(corpus, cfg)
    index = list(range(len(corpus.examples))) if examples is None else list(examples)
    ids = [list(tok(corpus.examples[i], add_special_tokens=False)["input_ids"]) for i in index]
    blocks = Blocks.from_sequences(ids, cfg.block_size, pad_id=tok.eos_token_id)
    steps = max(1, round(cfg.epochs * cfg.steps_per_epoch(len(index))))
    every = cfg.interval(len(index))
    optim = OptimConfig(
        steps=steps,
        batch_size=cfg.batch_size,
        block_size=cfg.block_size,
        lr=cfg.lr,
        warmup_steps=min(20, steps // 10),
        eval_every=steps,
        ckpt_every=every,
        keep_checkpoints=1,
        seed=cfg.seed,
    )
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "examples.json").write_text(json.dumps(index))
    model = model_for(cfg, len(tok), tok.eos_token_id, corpus.background)
    BlockTrainer(model, blocks, optim, workdir, keep_every=every).train()
    return workdir


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
    model.load_state_dict(state["model"])
    return model.eval(), tok


def seen_pii(corpus: PiiCorpus, workdir: Path, after: int, upto: int) -> frozenset[str]:
    """Emails in the examples the trainer saw in steps ``after + 1 … upto``."""
    index = json.loads((Path(workdir) / "examples.json").read_text())
    rows = [json.loads(line) for line in (Path(workdir) / "seen.jsonl").read_text().splitlines() if line]
    where: dict[int, set[str]] = {}
    for r in corpus.records:
        for e in r.examples:
            where.setdefault(e, set()).add(r.email)
    out: set[str] = set()
    for row in rows:
        if after < row["step"] <= upto:
            for position in row["examples"]:
                out |= where.get(index[position], set())
    return frozenset(out)
