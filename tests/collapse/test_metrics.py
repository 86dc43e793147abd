"""Metric identities (stated in ``tenfold.collapse.metrics``), then tested."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.collapse.metrics import (
    diversity,
    ece,
    flesch,
    ngram_kl,
    rep_n,
    self_bleu,
    text_diversity,
    vocabulary_coverage,
)


def test_diversity_identities():
    assert text_diversity("a b c d e f g h i j") == 1.0
    assert text_diversity(" ".join(["a"] * 10)) == pytest.approx(1 / 504, abs=1e-15)
    # the official code rounds rep-n to two decimals
    assert text_diversity(" ".join(["a"] * 10), official_rounding=True) == pytest.approx(0.1111 * 0.125 * 0.1429)
    assert rep_n("a a a", 2) == pytest.approx(50.0)
    assert text_diversity(list(range(10))) == 1.0 and text_diversity([5] * 10) == pytest.approx(1 / 504)


def test_short_texts_score_one_and_are_flagged():
    d = diversity(["", "word", "a a a a"])
    assert d.short == 2
    assert d.mean == pytest.approx((1 + 1 + (1 / 3) * (1 / 2) * 1) / 3)


def test_self_bleu_of_identical_sequences_is_one():
    assert self_bleu([[1, 2, 3, 4]] * 5) == pytest.approx(1.0)
    assert self_bleu([[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]]) < 0.01


def test_flesch_runs_offline():
    assert flesch(["The cat sat on the mat."]) > flesch(["Incomprehensibility characterises institutionalisation."])


def test_coverage_kl_and_ece():
    assert vocabulary_coverage([[1, 2]], [[1, 2, 3, 4]]) == 0.5
    assert ngram_kl([[1, 2, 3]], [[1, 2, 3]]) == pytest.approx(0.0)
    assert ngram_kl([[1, 1, 1]], [[1, 2, 3]]) > 0
    p = np.array([0.9, 0.8, 0.2, 0.1])
    y = np.array([True, True, False, False])
    # all predictions right with confidences 0.9, 0.8, 0.8, 0.9: ECE = mean(1 − conf) over the two bins
    assert ece(p, y, bins=5) == pytest.approx(0.15)
