"""Configs of the LM core's jobs and their presets (``test`` seconds, ``quick`` minutes, ``paper`` longer).

A training job is a zoo model, a corpus and a :class:`~tenfold.lm.trainer.TrainConfig`. Its hash keys the cache of
trained models, so a reproduction that needs "gpt2-tiny trained on dialogues with the quick preset" trains it once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from tenfold.common.config import select_preset
from tenfold.lm.trainer import TrainConfig
from tenfold.lm.zoo import ZOO, ModelSpec

TRAIN_PRESETS = {
    # seconds: smoke tests and the resume test
    "test": lambda: TrainConfig(
        steps=30, batch_size=8, block_size=32, warmup_steps=5, eval_every=10, eval_windows=16, ckpt_every=10
    ),
    # minutes on 2 cores: `make run`
    "quick": lambda: TrainConfig(
        steps=400, batch_size=32, block_size=64, warmup_steps=50, eval_every=100, ckpt_every=100
    ),
    # a longer run for users with time: more steps and context, same recipe
    "paper": lambda: TrainConfig(
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
    train: TrainConfig
    """optimisation settings."""


def make_job(model_name: str, corpus: str, preset: str = "quick", seed: int = 0) -> LMJob:
    """The job for ``model_name`` on ``corpus`` with the training preset ``preset``."""
    train = dataclasses.replace(select_preset(TRAIN_PRESETS, preset), seed=seed)
    return LMJob(model_name=model_name, corpus=corpus, model=ZOO.get(model_name), train=train)
