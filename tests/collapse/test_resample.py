"""Importance resampling: the identities of the issue, the official indices one for one, the fallback."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from tenfold.collapse.resample import (
    effective_sample_size,
    human_share_bound,
    importance_weights,
    official_indices,
    resample,
    select,
)
from tenfold.common.errors import UserError

N_H, N_S = 100, 400  # 20 % human data
IS_HUMAN = [False] * N_S + [True] * N_H


def twenty_percent(p_synthetic: float) -> np.ndarray:
    return np.array([p_synthetic] * N_S + [0.0] * N_H, dtype=np.float64)


def test_length_repeats_and_seed():
    p = np.random.default_rng(0).random(500)
    sel = resample(p, beta=2.0, repeats=3, upsample=1.5, seed=7)
    assert len(sel.indices) == round(1.5 * 500)
    assert max(Counter(sel.indices).values()) <= 3
    assert resample(p, beta=2.0, seed=7).indices == sel.indices
    assert resample(p, beta=2.0, seed=8).indices != sel.indices


def test_beta_zero_is_uniform():
    p = np.random.default_rng(1).random(300)
    assert np.all(importance_weights(p, 0.0) == 1.0)
    assert effective_sample_size(importance_weights(p, 0.0)) == pytest.approx(300)
    # uniform weights: every item is drawn about u = 1.5 times on average, over many draws
    counts = Counter()
    for s in range(40):
        counts.update(resample(p, beta=0.0, seed=s).indices)
    per_item = np.array([counts[i] for i in range(300)]) / 40
    assert abs(per_item.mean() - 1.5) < 1e-12 and per_item.std() < 0.2


@pytest.mark.parametrize("seed", range(5))
def test_human_share_identity_at_twenty_percent(seed):
    sel = resample(twenty_percent(1 - 1e-6), seed=seed)
    expected = human_share_bound(N_H, N_H + N_S, 3, 1.5)
    assert expected == pytest.approx(0.4)
    assert sel.human_share(IS_HUMAN) == expected and not sel.fallback


def test_fallback_when_too_few_copies_have_weight():
    p = twenty_percent(1.0)  # float32 softmax returns exactly 1: weight 0
    with pytest.raises(ValueError):
        official_indices(p, 10.0, 3, 1.5)  # the official code crashes here
    sel = resample(p, seed=0)
    assert sel.fallback and len(sel.indices) == 750 and sel.human_share(IS_HUMAN) == 0.4
    assert max(Counter(sel.indices).values()) <= 3


def test_official_mode_is_the_official_draw_index_for_index():
    p = np.random.default_rng(3).random(200)
    sel = resample(p, beta=10.0, repeats=3, upsample=1.5, sampler="official", seed=42)
    np.random.seed(42)
    w = (1 - p) ** 10
    expanded = np.repeat(np.arange(200), 3)
    expected = np.random.choice(expanded, size=300, replace=False, p=w[expanded] / w[expanded].sum())
    assert sel.indices == expected.tolist()


def test_variants_and_errors():
    p = np.array([0.1, 0.9, 0.4, 0.6])
    assert select(p, "filter").indices == [0, 2]
    weighted = select(p, "weight", beta=1.0)
    assert weighted.indices == [0, 1, 2, 3] and sum(weighted.weights) == pytest.approx(4)
    assert weighted.weights[0] / weighted.weights[1] == pytest.approx(0.9 / 0.1)
    assert select(p, "none").weights == [1.0] * 4
    with pytest.raises(UserError, match="non-finite"):
        resample(np.array([0.1, np.nan]))
    with pytest.raises(UserError, match="selection"):
        select(p, "magic")
