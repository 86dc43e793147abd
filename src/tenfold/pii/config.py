"""Configs and presets of the PII reproduction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tenfold.common.config import check_fields, select_preset
from tenfold.pii.pipelines import ExtractConfig
from tenfold.pii.training import TrainConfig


@dataclass(frozen=True)
class CorpusConfig:
    """How the PII corpus is built (:func:`~tenfold.pii.corpus.build_corpus`)."""

    background: str = "dialogues"
    """``lm`` corpus the passages come from (``dialogues``: its pre-trained gpt2-tiny is the one ``lm``'s own
    reproduction trains, so the base costs nothing extra in ``make run``)."""
    n_records: int = 66
    """planted people."""
    repetitions: tuple[int, ...] = (1, 2, 4, 8)
    """each record's repetition count is drawn from these."""
    family_share: float = 0.5
    """share of the records in look-alike families (0: the shuffled-families control)."""
    passage_words: int = 4
    """words of background per passage (one training example; at least one sentence)."""
    max_passages: int = 390
    """background passages used: about one per planted sentence, so PII is a large share of the tokens and a tiny
    model memorises it in minutes (measured: 6 epochs on 12-word passages extracted 5 emails, on 4-word ones 8)."""
    max_passage_chars: int | None = 120
    """skip longer background passages (code blobs); None keeps all."""
    canaries_per_level: int = 3
    """canaries per repetition level (1, 4, 16)."""
    seed: int = 0

    def __post_init__(self) -> None:
        check_fields(
            self,
            positive=("n_records", "passage_words", "max_passages", "max_passage_chars"),
            non_negative=("canaries_per_level", "seed"),
            fractions=("family_share",),
        )
        if not self.repetitions or min(self.repetitions) < 1:
            raise ValueError("repetitions must be positive counts")

    def build(self, **changes: Any) -> Any:
        from tenfold.pii.corpus import build_corpus

        return build_corpus(**{**asdict(self), **changes})


@dataclass(frozen=True)
class ReproConfig:
    """What ``tenfold reproduce pii`` measures."""

    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    """the PII corpus."""
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(base="quick", block_size=96, epochs=6.0, lr=1e-2, batch_size=16)
    )
    """fine-tuning of the pre-trained gpt2-tiny (every run of every pipeline)."""
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    """untargeted extraction (greedy, 300 prompts, 48 new tokens)."""
    audit_from_epoch: int = 1
    """continuous training: extract every 10 % of an epoch from this epoch on (1: all, as the paper)."""
    shares: tuple[float, ...] = (0.1, 0.4, 1.0)
    """the nested datasets of the adding experiment (D10, D40, D100)."""
    removal_rounds: int = 2
    """removal rounds after round 0."""
    dp_noise: float = 1.0
    """σ of the DP-SGD row (0: no DP row)."""
    defences: tuple[str, ...] = ()
    """data defences measured as extra rows (``dedup``, ``scrub``)."""
    workers: int | None = None
    """processes for independent fine-tunes (default: all cores)."""

    def __post_init__(self) -> None:
        check_fields(self, positive=("removal_rounds", "workers", "audit_from_epoch"), non_negative=("dp_noise",))
        if self.audit_from_epoch > self.train.epochs:
            raise ValueError(f"audit_from_epoch {self.audit_from_epoch} is after the last epoch ({self.train.epochs})")
        if not self.shares or any(not 0 < s <= 1 for s in self.shares) or list(self.shares) != sorted(self.shares):
            raise ValueError("shares must be increasing fractions in (0, 1]")
        unknown = [d for d in self.defences if d not in ("dedup", "scrub")]
        if unknown:
            raise ValueError(f"unknown defence {unknown[0]!r}; data defences: dedup, scrub (DP-SGD: dp_noise)")


PRESETS = {
    "test": lambda: ReproConfig(
        corpus=CorpusConfig(n_records=20, max_passages=120, canaries_per_level=1),
        train=TrainConfig(base="test", block_size=96, epochs=1.0, lr=1e-2, batch_size=16),
        extract=ExtractConfig(prompts=16, new_tokens=16),
        removal_rounds=1,
    ),
    # extraction is rare before the last epochs at this scale (measured with 120 records: 0 at every 10 % of epochs
    # 1–3, 0–2 in epoch 4), and every audited checkpoint costs an extraction
    "quick": lambda: ReproConfig(audit_from_epoch=5, extract=ExtractConfig(prompts=160, new_tokens=32)),
    "paper": lambda: ReproConfig(
        corpus=CorpusConfig(background="lee", n_records=300, passage_words=24, max_passages=1500),
        train=TrainConfig(base="paper", block_size=128, epochs=6.0, lr=1e-2, batch_size=16),
        extract=ExtractConfig(prompts=2000, new_tokens=96),
        shares=(0.1, 0.2, 0.4, 0.6, 0.8, 1.0),
        removal_rounds=3,
        defences=("dedup", "scrub"),
    ),
}


def repro_config(preset: str) -> ReproConfig:
    return select_preset(PRESETS, preset)
