"""The six methods end to end at a tiny scale: each trains and is measured; with HE off a seed repeats exactly, with HE
on the decrypted aggregates match the plaintext ones within the CKKS tolerance at every sampled update; the ledger
holds each method's message kinds; the attacks score a perfect and a useless view as 0 and 1."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.ppmarl.attacks import attack
from tenfold.ppmarl.maddpg import TrainConfig
from tenfold.ppmarl.methods import MethodConfig, run_method
from tenfold.ppmarl.names import METHODS

pytest.importorskip("tenseal")
TINY = TrainConfig(episodes=12, warmup=100, batch=32, update_every=10, updates=2)
KINDS = {
    "plain": {"raw"},
    "he-raw": {"raw"},
    "federated": {"parameters", "average"},
    "dp-only": {"raw"},
    "split": {"representation", "aggregate"},
    "pp-marl": {"representation", "aggregate"},
}


@pytest.mark.parametrize("method", METHODS)
def test_every_method_trains_and_is_measured(method):
    r = run_method(MethodConfig(method=method, train=TINY, he_every=5, eval_episodes=3), seed=0)
    assert r.updates > 0 and len(r.train_returns) == 12 and np.isfinite(r.eval_return)
    assert set(r.bytes_per_update) == KINDS[method]
    assert (r.epsilon is not None) == (method in ("dp-only", "pp-marl"))
    if method in ("he-raw", "federated", "pp-marl"):
        assert r.he_max_error is not None and r.he_max_error < 1e-6
    assert (r.views is None) == (method == "federated")


@pytest.mark.parametrize("aggregator", ["secagg", "paillier"])
def test_pp_marl_without_ckks_sums_exactly(aggregator):
    cfg = MethodConfig(
        method="pp-marl", aggregator=aggregator, paillier_bits=256, train=TINY, he_every=1000, eval_episodes=2
    )
    r = run_method(cfg, seed=0)
    assert r.he_max_error is not None and r.he_max_error < 1e-6  # fixed point 2^-24 / Paillier's exact encoding
    assert set(r.bytes_per_update) == {"representation", "aggregate"}


def test_a_seed_repeats_exactly_with_he_off():
    a = run_method(MethodConfig(method="split", train=TINY, eval_episodes=3), seed=4)
    b = run_method(MethodConfig(method="split", train=TINY, eval_episodes=3), seed=4)
    assert a.train_returns == b.train_returns and a.eval_return == b.eval_return
    assert np.array_equal(a.views, b.views)


def test_mismatched_agent_counts_and_strangers_are_refused():
    from tenfold.common.errors import UserError
    from tenfold.ppmarl.maddpg import Maddpg
    from tenfold.ppmarl.secagg import PairwiseMasking

    with pytest.raises(UserError, match="mismatched agent counts"):
        Maddpg([4, 4, 4], [5, 5], TINY)
    masks = PairwiseMasking(3)
    with pytest.raises(UserError, match="dealt to 3 agents"):
        masks.aggregate({0: masks.mask(0, np.ones(4)), 5: masks.mask(1, np.ones(4))})


def test_dropout_skips_the_round_and_never_waits():
    """TrainConfig.dropout: every round with a missing agent is skipped (counted), the others are made, the run ends;
    with dropout 0 no random draw is spent on it (the same run as before the option)."""
    from dataclasses import replace

    lossy = run_method(MethodConfig(method="pp-marl", train=replace(TINY, dropout=0.5), eval_episodes=2), seed=0)
    clean = run_method(MethodConfig(method="pp-marl", train=TINY, eval_episodes=2), seed=0)
    assert lossy.skipped > 0 and lossy.updates > 0 and len(lossy.train_returns) == TINY.episodes
    assert clean.skipped == 0 and clean.updates > lossy.updates
    assert lossy.epsilon >= clean.epsilon * 0.999  # skipped rounds' shares were sent: still counted


def test_attackers_score_a_perfect_and_a_useless_view():
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(2000, 3))
    leak = attack(np.hstack([targets, rng.normal(size=(2000, 2))]), targets)
    assert leak["ridge"] < 1e-3 and leak["best"] < 1e-3
    blind = attack(rng.normal(size=(2000, 4)), targets)
    assert blind["best"] > 0.95 and abs(blind["none"] - 1) < 0.1
