"""Domain adaptation (Gaines & Vertanen, Sec. 4): rate a large pool of sentences for usefulness to AAC, keep the best
rated and fine-tune on them; the control is a random selection of the same size.

The paper's rater is a fine-tuned DeBERTa-v3 classifier (not downloadable here). Ours is a multinomial Naive Bayes over
character 1–4-grams trained on the conversational seed set against general text: a sentence's score is its mean
per-n-gram log-likelihood ratio, so it needs no tuning and rates a sentence in microseconds.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from tenfold.common.seeding import derive_seed


def _grams(text: str, n_max: int = 4) -> list[str]:
    padded = f" {text} "
    return [padded[i : i + n] for n in range(1, n_max + 1) for i in range(len(padded) - n + 1)]


class UsefulnessScorer:
    """Naive Bayes log-odds that a sentence is conversational (AAC-like) rather than general text."""

    def fit(self, positive: list[str], negative: list[str]) -> UsefulnessScorer:
        self.pos, self.neg = Counter(), Counter()
        for s in positive:
            self.pos.update(_grams(s))
        for s in negative:
            self.neg.update(_grams(s))
        vocab = len(set(self.pos) | set(self.neg))
        self.pos_total, self.neg_total, self.vocab = sum(self.pos.values()), sum(self.neg.values()), vocab
        return self

    def score(self, sentence: str) -> float:
        grams = _grams(sentence)
        llr = 0.0
        for g in grams:
            p = (self.pos.get(g, 0) + 1) / (self.pos_total + self.vocab)
            q = (self.neg.get(g, 0) + 1) / (self.neg_total + self.vocab)
            llr += math.log(p / q)
        return llr / len(grams)


def select_top(pool: list[str], scores: list[float], n: int) -> list[int]:
    """Indices of the ``n`` best-rated sentences (ties broken by position, deterministic)."""
    order = sorted(range(len(pool)), key=lambda i: (-scores[i], i))
    return order[:n]


def select_random(pool: list[str], n: int, seed: int) -> list[int]:
    rng = np.random.default_rng(derive_seed(seed, "random-selection"))
    return sorted(rng.choice(len(pool), size=min(n, len(pool)), replace=False).tolist())
