"""The three training pipelines of the study (paper §4–§6; official ``training.py``; removal has no official code).

* ``continuous``  one run, a checkpoint every 10 % of an epoch; at each, untargeted extraction and the PII newly
  seen since the last one (from the trainer's log) → the taxonomy of :mod:`.taxonomy`;
* ``adding``      nested datasets D_10 ⊂ D_20 ⊂ … (the background plus the first p % of the records); a fresh model per
  dataset; extraction of the records of D_10 by each (the paper's heat-map row read left to right);
* ``removal``     train → extract → delete the extracted records' sentences → retrain from scratch with the same seed
  → extract; the newly extracted records are the "onion" layer; a control retrains with another seed and nothing
  removed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tenfold.common.errors import UserError
from tenfold.pii.corpus import PiiCorpus
from tenfold.pii.extract import extract
from tenfold.pii.taxonomy import Checkpoint, Row, classify
from tenfold.pii.training import TrainConfig, checkpoints, load_checkpoint, seen_pii, train

PIPELINES = ("continuous", "adding", "removal")


@dataclass(frozen=True)
class ExtractConfig:
    prompts: list[str]
    new_tokens: int = 48
    top_k: int = 0
    """0: greedy (the paper's default); 40: the paper's top-k."""
    samples: int = 1
    seed: int = 0
    detector: str = "paper"


def extracted_at(corpus: PiiCorpus, cfg: TrainConfig, ckpt: Path, ex: ExtractConfig, pii: set[str]) -> set[str]:
    model, tok = load_checkpoint(corpus, cfg, ckpt)
    return extract(model, tok, ex.prompts, pii, ex.new_tokens, ex.top_k, ex.samples, ex.seed, ex.detector).extracted


def continuous(corpus: PiiCorpus, cfg: TrainConfig, ex: ExtractConfig, workdir: Path, faithful: bool = False):
    """Per checkpoint: step, epoch, extracted set, newly seen set, and the taxonomy row."""
    work = train(corpus, cfg, workdir)
    per_epoch = cfg.steps_per_epoch(len(corpus.examples))
    pii = corpus.emails()
    points, prev = [], 0
    for step, path in checkpoints(work):
        epoch = 1 + (step - 1) // per_epoch
        points.append(
            Checkpoint(frozenset(extracted_at(corpus, cfg, path, ex, pii)), seen_pii(corpus, work, prev, step), epoch)
        )
        prev = step
    return points, classify(points, faithful=faithful)


def nested(corpus: PiiCorpus, share: float) -> PiiCorpus:
    """D_share: the corpus with only the first ``share`` of its records (D_10 ⊂ D_20 ⊂ … exactly)."""
    return corpus.without({r.email for r in corpus.records[round(share * len(corpus.records)) :]})


def removal_round(corpus: PiiCorpus, extracted: set[str]) -> PiiCorpus:
    """The corpus with every extracted record's sentences deleted (the opt-out)."""
    if not corpus.emails() - extracted:
        raise UserError("every record was extracted: nothing is left to expose")
    return corpus.without(extracted)


def summary(rows: Sequence[Row]) -> dict[str, int]:
    """Totals over the checkpoints (distinct emails per class)."""
    out: dict[str, set[str]] = {}
    for row in rows:
        for cls, s in row.sets.items():
            out.setdefault(cls, set()).update(s)
    return {k: len(v) for k, v in out.items()}


def config_dict(cfg: TrainConfig) -> dict[str, Any]:
    return asdict(cfg)
