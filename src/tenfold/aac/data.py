"""Offline text for the AAC experiments, normalised to Σ.

* **conversational** (the AAC-like domain): the turns of the ``dialogues`` corpus (chatterbot-corpus). Its train-split
  turns are divided by hash into a *seed* set (labelled examples for the usefulness scorer) and a part hidden in the
  adaptation *pool*; its test-split turns are the held-out evaluation text (the paper uses COMM sentences, which we
  cannot download).
* **general**: sentences of the ``wikipedia``, ``lee`` and ``pydoc`` corpora (train splits), divided by hash into the
  general training set G and the rest of the pool.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tenfold.aac.symbols import normalize
from tenfold.lm.corpora import load_corpus

_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _bucket(text: str, salt: str) -> float:
    return int.from_bytes(hashlib.blake2b(f"{salt}:{text}".encode(), digest_size=8).digest(), "little") / 2**64


def _sentences(doc: str) -> list[str]:
    return [s for s in (normalize(x) for x in _SENTENCE.split(doc)) if 20 <= len(s) <= 200]


@dataclass
class AACData:
    """All text sets of one experiment (lists of normalised sentences)."""

    general_train: list[str]
    seed: list[str]
    pool: list[str]
    pool_is_conversational: list[bool]
    conversational_val: list[str]
    conversational_test: list[str]
    sources: dict[str, str]


def load_data(pool_general_share: float = 0.25, seed_share: float = 0.3) -> AACData:
    """Build the text sets (deterministic: assignments are hashes of the sentences)."""
    dialogues = load_corpus("dialogues")
    sources = dict(dialogues.sources)

    def turns(split: str) -> list[str]:
        return [t for doc in dialogues.docs(split) for t in (normalize(x) for x in doc.split("\n")) if len(t) >= 2]

    conv_train = list(dict.fromkeys(turns("train")))
    seed = [t for t in conv_train if _bucket(t, "seed") < seed_share]
    conv_pool = [t for t in conv_train if _bucket(t, "seed") >= seed_share]
    general: list[str] = []
    for name in ("wikipedia", "lee", "pydoc"):
        corpus = load_corpus(name)
        sources.update(corpus.sources)
        general += [s for doc in corpus.docs("train") for s in _sentences(doc)]
    general = list(dict.fromkeys(general))
    general_train = [s for s in general if _bucket(s, "pool") >= pool_general_share]
    general_pool = [s for s in general if _bucket(s, "pool") < pool_general_share]
    pool = general_pool + conv_pool
    flags = [False] * len(general_pool) + [True] * len(conv_pool)
    return AACData(
        general_train, seed, pool, flags, list(dict.fromkeys(turns("val"))), list(dict.fromkeys(turns("test"))), sources
    )
