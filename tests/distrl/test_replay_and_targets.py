"""The sum tree and prioritised replay (identities and sampling frequencies), and the off-policy targets' identities
(issue 21's acceptance: root = sum, ±0.005 frequencies, α = 0.5 ∝ √p; Retrace / V-trace conditions)."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.distrl.replay import PrioritizedReplay, SumTree
from tenfold.distrl.targets import OFFICIAL, TraceConfig, off_policy_targets


def test_root_is_the_sum_after_random_updates():
    rng = np.random.default_rng(0)
    tree = SumTree(1000)
    values = np.zeros(1000)
    for _ in range(10_000):
        i, v = int(rng.integers(1000)), float(rng.uniform(0, 10))
        tree.update(i, v)
        values[i] = v
    assert abs(tree.total - values.sum()) < 1e-9


def test_draws_follow_the_priorities():
    tree = SumTree(4)
    for i, p in enumerate([1.0, 2.0, 3.0, 4.0]):
        tree.update(i, p)
    draws = tree.sample(200_000, np.random.default_rng(1))
    freq = np.bincount(draws, minlength=4) / len(draws)
    assert np.all(np.abs(freq - [0.1, 0.2, 0.3, 0.4]) < 0.005)


def test_alpha_half_gives_square_root_frequencies_and_weights_correct_them():
    replay = PrioritizedReplay(4, alpha=0.5, beta=1.0, seed=2)
    for p in [1.0, 4.0, 9.0, 16.0]:
        replay.add(object(), p)
    s = replay.sample(200_000)
    freq = np.bincount(s.indices, minlength=4) / len(s.indices)
    assert np.all(np.abs(freq - np.array([1, 2, 3, 4]) / 10) < 0.005)
    # β = 1: w ∝ 1/P(i), so the rarest item gets weight 1 and the commonest 1/4
    by_item = {int(i): w for i, w in zip(s.indices, s.weights, strict=True)}
    assert by_item[0] == pytest.approx(1.0) and by_item[3] == pytest.approx(0.25)
    # changing a priority changes what is drawn
    replay.update(0, 10_000.0)
    assert np.mean(replay.sample(1000).indices == 0) > 0.9


def _window(n=6, seed=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(size=n), float(rng.normal()), np.full(n, 0.9)


def test_on_policy_lambda_one_gives_the_n_step_return():
    r, v, boot, g = _window()
    target, _ = off_policy_targets(r, v, boot, np.zeros(6), g, TraceConfig(lam=1.0))
    for s in range(6):
        ret = sum(0.9 ** (t - s) * r[t] for t in range(s, 6)) + 0.9 ** (6 - s) * boot
        assert abs(target[s] - ret) < 1e-9


def test_zero_ratio_gives_the_value_and_no_advantage():
    r, v, boot, g = _window()
    target, adv = off_policy_targets(r, v, boot, np.full(6, -np.inf), g, OFFICIAL)
    assert np.allclose(target, v, atol=1e-12) and np.allclose(adv, 0, atol=1e-12)


def test_lambda_zero_is_one_truncated_td_step():
    r, v, boot, g = _window()
    log_ratios = np.log(np.array([0.5, 2.0, 1.0, 0.1, 3.0, 0.8]))
    target, _ = off_policy_targets(r, v, boot, log_ratios, g, TraceConfig(lam=0.0))
    next_v = np.append(v[1:], boot)
    expected = v + np.minimum(1.0, np.exp(log_ratios)) * (r + g * next_v - v)
    assert np.allclose(target, expected, atol=1e-12)


def test_a_terminal_step_cuts_the_trace():
    r, v, boot, g = _window()
    g = g.copy()
    g[2] = 0.0  # the episode ends after step 2: nothing later reaches steps 0–2
    target, _ = off_policy_targets(r, v, boot, np.zeros(6), g, TraceConfig(lam=1.0))
    assert abs(target[2] - r[2]) < 1e-12 and abs(target[0] - (r[0] + 0.9 * r[1] + 0.81 * r[2])) < 1e-12
