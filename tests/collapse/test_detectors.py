"""Detectors: temperature scaling keeps accuracy and AUC, zero-shot scores, the oracle, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.collapse.detectors import fast_detectgpt_scores, fit_temperature, train_detector
from tenfold.collapse.models import BigramLM
from tenfold.common.errors import UserError


def corpus(n: int = 60):
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(50)]
    human = [" ".join(rng.choice(words, 12)) for _ in range(n)]
    ai = [" ".join(["the model says"] * 4) + f" w{i % 5}" for i in range(n)]
    texts = human + ai
    ids = [[hash(w) % 97 for w in t.split()] for t in texts]
    return texts, ids, [False] * n + [True] * n


def test_classifier_temperature_keeps_accuracy_and_auc():
    texts, ids, y = corpus()
    det = train_detector("classifier", texts, ids, y, seed=0)
    info = det.info
    assert info["calibrated"]["accuracy"] == info["uncalibrated"]["accuracy"] >= 0.9
    assert info["calibrated"]["auc"] == pytest.approx(info["uncalibrated"]["auc"])
    p = det.p_ai(texts[:3] + texts[-3:], ids[:3] + ids[-3:])
    assert (p[:3] < 0.5).all() and (p[3:] > 0.5).all()


def test_fit_temperature_recovers_a_scale():
    rng = np.random.default_rng(0)
    z = rng.normal(0, 3, 4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-z / 3))).astype(float)
    assert fit_temperature(z, y) == pytest.approx(3, rel=0.1)


def test_oracle_accuracy_and_errors():
    texts, ids, y = corpus(200)
    det = train_detector("oracle", texts, ids, y, accuracy=0.8)
    p = det.p_ai(texts, ids, y)
    assert set(np.round(p, 6)) <= {0.8, 0.2}
    assert abs(((p > 0.5) == np.array(y)).mean() - 0.8) < 0.06
    with pytest.raises(UserError, match="both kinds"):
        train_detector("classifier", texts[:5], ids[:5], y[:5])
    with pytest.raises(UserError, match="unknown detector"):
        train_detector("gptzero", texts, ids, y)


def test_fast_detectgpt_prefers_the_models_own_greedy_text():
    model = BigramLM(5)
    seq = torch_ids([[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]])
    model.add(seq, seq > -1)
    likely, unlikely = [0, 1, 2, 3, 4, 0, 1], [0, 3, 1, 4, 2, 0, 2]
    s = fast_detectgpt_scores(model, [likely, unlikely])
    assert s[0] > s[1]


def torch_ids(rows):
    import torch

    return torch.tensor(rows)


def test_binoculars_ranks_the_models_own_text_as_machine_written():
    from tenfold.collapse.detectors import binoculars_scores

    observer, performer = BigramLM(5), BigramLM(5)
    seq = torch_ids([[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]])
    observer.add(seq, seq > -1)
    performer.add(seq, seq > -1)
    likely, unlikely = [0, 1, 2, 3, 4, 0, 1], [0, 3, 1, 4, 2, 0, 2]
    s = binoculars_scores(observer, performer, [likely, unlikely])
    assert s[0] < s[1]  # low perplexity relative to the cross-perplexity: machine-written
    texts, ids, y = ["a b"] * 10 + ["c d"] * 10, [likely] * 10 + [unlikely] * 10, [True] * 10 + [False] * 10
    det = train_detector("binoculars", texts, ids, y, models=(observer, performer))
    p = det.p_ai(texts, ids)
    assert p[0] > 0.5 > p[-1]
