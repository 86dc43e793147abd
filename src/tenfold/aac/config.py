"""Presets of the AAC reproduction: model training budgets and evaluation sizes."""

from __future__ import annotations

from dataclasses import dataclass, field

from tenfold.common.config import check_fields, select_preset
from tenfold.lm.trainer import OptimConfig


@dataclass(frozen=True)
class ReproConfig:
    """Everything ``tenfold reproduce aac`` trains and measures."""

    pretrain: OptimConfig = field(default_factory=lambda: OptimConfig(steps=400, batch_size=32, block_size=64))
    """subword LM (gpt2-tiny) on general text G."""
    char_pretrain: OptimConfig = field(default_factory=lambda: OptimConfig(steps=400, batch_size=16, block_size=128))
    """character LM (gpt2-tiny, character vocabulary) on G: the same architecture and tokens-per-step budget."""
    finetune: OptimConfig = field(
        default_factory=lambda: OptimConfig(
            steps=150, batch_size=32, block_size=64, lr=1e-3, warmup_steps=10, eval_every=50, ckpt_every=50
        )
    )
    """fine-tuning on a selection of the pool (top-rated or random)."""
    head_steps: int = 150
    """classification-head fine-tuning steps (batch 32 prefixes of G + selection)."""
    selection_size: int = 1500
    """sentences selected from the pool for adaptation."""
    ngram_order: int = 7
    """order of the character Kneser–Ney model."""
    eval_chars: int | None = 800
    """characters of conversational test text scored per predictor (None = all 4,248)."""
    smollm2_chars: int = 120
    """characters scored with SmolLM2, pruned (about 0.16 s each on 2 cores) and near-exact (about 0.7 s each)."""
    pruning_chars: int = 250
    """characters scored with the tiny model, pruned and exact."""
    exact_min_ratio: float = 1e-3
    """the near-exact reference search on SmolLM2 drops hypotheses below this ratio to the step's best."""
    ks_sentences: int = 6
    """sentences for keystroke savings (word completion is a search per keystroke)."""
    smollm2: bool = True
    """include the SmolLM2-135M row."""
    workers: int | None = None
    """processes that train the models (default: all cores; 1 trains inline)."""

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=(
                "head_steps",
                "selection_size",
                "ngram_order",
                "eval_chars",
                "pruning_chars",
                "exact_min_ratio",
                "ks_sentences",
                "workers",
            ),
            non_negative=("smollm2_chars",),
        )


PRESETS = {
    "test": lambda: ReproConfig(
        pretrain=OptimConfig(steps=20, batch_size=8, block_size=32, warmup_steps=5, eval_every=10, ckpt_every=10),
        char_pretrain=OptimConfig(steps=20, batch_size=8, block_size=32, warmup_steps=5, eval_every=10, ckpt_every=10),
        finetune=OptimConfig(steps=5, batch_size=8, block_size=32, warmup_steps=2, eval_every=5, ckpt_every=5),
        head_steps=5,
        selection_size=200,
        ngram_order=4,
        eval_chars=150,
        smollm2_chars=0,
        pruning_chars=60,
        ks_sentences=2,
        smollm2=False,
    ),
    "quick": ReproConfig,
    "paper": lambda: ReproConfig(
        pretrain=OptimConfig(steps=3000, batch_size=32, block_size=128, eval_every=250, ckpt_every=250),
        char_pretrain=OptimConfig(steps=3000, batch_size=16, block_size=256, eval_every=250, ckpt_every=250),
        finetune=OptimConfig(steps=600, batch_size=32, block_size=128, lr=5e-4, eval_every=100, ckpt_every=100),
        head_steps=1000,
        selection_size=3000,
        ngram_order=12,
        eval_chars=None,
        smollm2_chars=4248,
        pruning_chars=4248,
        exact_min_ratio=1e-4,
        ks_sentences=96,
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
