"""Evaluation of character predictors: perplexity, accuracy, zero-probability events, latency, keystroke savings."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tenfold.common.progress import progress


@dataclass
class CharEval:
    """Per-character results of a predictor on a list of sentences."""

    probs: list[float] = field(default_factory=list)
    """probability given to the correct next character."""
    ranks: list[int] = field(default_factory=list)
    midword: list[bool] = field(default_factory=list)
    """True where the typed text ends inside a word (the previous character is not a space)."""
    seconds: list[float] = field(default_factory=list)
    dropped: list[float] = field(default_factory=list)
    """the search's dropped-mass bound d per character (predictors with ``stats.dropped``; empty otherwise)."""

    def summary(self) -> dict[str, float]:
        p = np.asarray(self.probs)
        mid = np.asarray(self.midword)
        zeros = int((p <= 0).sum())
        return {
            "chars": len(p),
            "perplexity": _ppl(p),
            "cross_entropy_bits": float(-np.log2(np.maximum(p, 1e-300)).mean()) if len(p) else math.nan,
            "midword_perplexity": _ppl(p[mid]),
            "boundary_perplexity": _ppl(p[~mid]),
            "top1": float((np.asarray(self.ranks) == 0).mean()),
            "top3": float((np.asarray(self.ranks) < 3).mean()),
            "zero_prob_events": zeros,
            "ms_per_keystroke": 1000 * float(np.mean(self.seconds)),
        } | self.exact_bounds()

    def exact_bounds(self) -> dict[str, float]:
        """Bounds on the perplexity of the exact marginal from the dropped mass d of each search:
        P* ∈ [P(1 − d), P(1 − d) + d] for the correct character (see :class:`~tenfold.aac.predictor.SearchStats`)."""
        if len(self.dropped) != len(self.probs) or not self.probs:
            return {}
        p, d = np.asarray(self.probs), np.asarray(self.dropped)
        return {
            "max_dropped_mass": float(d.max()),
            "exact_perplexity_low": _ppl(p * (1 - d) + d),
            "exact_perplexity_high": _ppl(p * (1 - d)),
        }


def _ppl(p: np.ndarray) -> float:
    if len(p) == 0:
        return math.nan
    if (p <= 0).any():
        return math.inf
    return float(np.exp(-np.log(p).mean()))


def evaluate(model, sentences: Sequence[str], max_chars: int | None = None, desc: str = "eval") -> CharEval:
    """Predict every character of every sentence from its prefix (whole sentences, up to ``max_chars`` in total)."""
    index = {c: i for i, c in enumerate(model.symbols)}
    result = CharEval()
    total = sum(map(len, sentences)) if max_chars is None else min(max_chars, sum(map(len, sentences)))
    bar = progress(total=total, desc=desc)
    for s in sentences:
        if max_chars is not None and len(result.probs) >= max_chars:
            break
        for i, ch in enumerate(s):
            t0 = time.perf_counter()
            dist = model.predict_array(s[:i])
            result.seconds.append(time.perf_counter() - t0)
            if hasattr(model, "stats") and hasattr(model.stats, "dropped"):
                result.dropped.append(model.stats.dropped)
            target = dist[index[ch]]
            result.probs.append(float(target))
            result.ranks.append(int((dist > target).sum()))
            result.midword.append(i > 0 and s[i - 1] != " ")
            bar.update(1)
    bar.close()
    return result


def word_completions(model, typed: str, n: int = 5, beam: int = 8, max_len: int = 15) -> list[str]:
    """The ``n`` most probable completions of the current word, by a character-level beam search with ``model``
    (each word ends at the first space)."""
    start = typed.rfind(" ") + 1
    prefix = typed[start:]
    beams = [(0.0, "")]
    done: list[tuple[float, str]] = []
    space = model.symbols.index(" ")
    for _ in range(max_len):
        candidates = []
        for lp, ext in beams:
            dist = model.predict_array(typed + ext)
            if ext or prefix:
                done.append((lp + math.log(max(dist[space], 1e-300)), prefix + ext))
            for j in np.argsort(-dist)[:beam]:
                if j != space and dist[j] > 0:
                    candidates.append((lp + math.log(dist[j]), ext + model.symbols[j]))
        beams = sorted(candidates, key=lambda c: -c[0])[:beam]
        if not beams:
            break
    done.sort(key=lambda c: -c[0])
    words, seen = [], set()
    for _, w in done:
        if w not in seen:
            seen.add(w)
            words.append(w)
    return words[:n]


def keystroke_savings(model, sentences: Sequence[str], n_best: int = 5, beam: int = 4) -> dict[str, float]:
    """Keystroke savings (v3 of the paper): before each keystroke the interface offers the ``n_best`` word
    completions; choosing the target word costs one keystroke and also types the following space; otherwise the next
    character is typed. KS = (characters − keystrokes) / characters × 100."""
    chars = keys = 0
    for s in sentences:
        chars += len(s)
        i = 0
        while i < len(s):
            end = s.find(" ", i)
            word_end = len(s) if end < 0 else end
            target = s[s.rfind(" ", 0, i) + 1 : word_end]
            offered = (
                model.complete_words(s[:i], n_best)
                if hasattr(model, "complete_words")
                else word_completions(model, s[:i], n_best, beam)
            )
            if target and target in offered:
                keys += 1
                i = word_end + 1  # the selection also types the space
            else:
                keys += 1
                i += 1
    return {"characters": chars, "keystrokes": keys, "keystroke_savings": 100.0 * (chars - keys) / chars}
