"""PP-MARL's privacy layer, issue 22's identities: CKKS sums within 1e-6 (ring 4096 with [60, 49] and 2^40, and ring
8192), a server that cannot decrypt, foreign ciphertexts refused by tag; bandwidth from exact ciphertext counts and
serialised sizes (88.9 % and the sweep); the ledger's totals; DP ε from dp-accounting; clipping; secure aggregation
with dropout; Paillier."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.ppmarl.he import FAST, PRECISE, KeyAuthority, PrivacyError

pytest.importorskip("tenseal")


@pytest.mark.parametrize("profile", [FAST, PRECISE], ids=["ring4096", "ring8192"])
def test_decrypted_sum_equals_the_plaintext_sum(profile):
    ka = KeyAuthority(profile)
    server = ka.server()
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(1024, 4)) for _ in range(3)]
    total = server.aggregate([ka.agent().encrypt(x) for x in xs])
    assert len(total) == profile.ciphertexts(4096)
    assert np.abs(ka.agent().decrypt(total, (1024, 4)) - sum(xs)).max() < 1e-6


def test_the_server_cannot_decrypt_and_foreign_ciphertexts_are_refused():
    ka, other = KeyAuthority(), KeyAuthority()
    server = ka.server()
    assert not server.context.has_secret_key()
    mine = ka.agent().encrypt(np.ones(8))
    total = server.aggregate([mine, mine])
    with pytest.raises(PrivacyError, match="cannot decrypt"):
        server.decrypt(total)
    with pytest.raises(ValueError):  # and TenSEAL itself refuses: the context holds no secret key
        import tenseal as ts

        ts.ckks_vector_from(server.context, total[0].payload).decrypt()
    foreign = other.agent().encrypt(np.ones(8))
    with pytest.raises(PrivacyError, match="another CKKS context"):
        server.aggregate([mine, foreign])
    with pytest.raises(PrivacyError, match="another CKKS context"):
        ka.agent().decrypt(foreign, (8,))


def test_bandwidth_reduction_from_serialised_ciphertexts():
    from tenfold.ppmarl.bandwidth import planned, reduction

    r = reduction(agents=3, dims=23, batch=1024, rep=4)
    assert (r["raw_up"], r["raw_down"], r["pp_up"], r["pp_down"]) == (12, 24, 2, 2)
    assert planned("he-raw", 3, 23, 1024, 4, FAST) == {"up": 12, "down": 24}
    assert abs(r["reduction"] - (1 - 4 / 36)) <= 0.002
    for rep, expected in ((2, 1 - 2 / 36), (5, 1 - 6 / 36)):
        assert abs(reduction(rep=rep)["reduction"] - expected) <= 0.002
    small = reduction(batch=256)
    assert (small["raw_up"], small["pp_up"]) == (3, 1)


def test_the_ledger_total_is_the_sum_of_the_serialised_messages():
    from tenfold.ppmarl.bandwidth import one_pass

    ka = KeyAuthority()
    out = one_pass("pp-marl", 3, 23, 1024, 4, ka)
    agent = ka.agent()
    sizes = [m.nbytes for m in agent.encrypt(np.zeros((1024, 4)))]
    assert out.ledger.total == sum(e.nbytes for e in out.ledger.entries)
    assert len(out.ledger.entries) == 3 * 2 + 3 * 2  # 2 up from each agent, the 2-ciphertext sum down to each
    assert abs(out.bytes_up - sum(sizes)) < 0.01 * sum(sizes)  # same profile, same size up to compression


def test_dp_epsilon_matches_the_reference_values():
    from tenfold.ppmarl.dp import epsilon

    assert epsilon(2 * 1000, q=0.01, sigma=1.0, delta=1e-5) == pytest.approx(2.8665, abs=1e-4)
    assert epsilon(1, q=1.0, sigma=1.0, delta=1e-5, accountant="pld") == pytest.approx(4.3772, abs=1e-4)
    assert epsilon(1, q=1.0, sigma=1.0, delta=1e-5, accountant="rdp") == pytest.approx(4.7285, abs=1e-4)


def test_every_released_row_is_clipped_and_bad_parameters_are_refused():
    from tenfold.common.errors import UserError
    from tenfold.ppmarl.dp import clip_rows, epsilon, gaussian_release, poisson_batch

    rng = np.random.default_rng(0)
    x = rng.normal(scale=5.0, size=(512, 4))
    assert np.linalg.norm(clip_rows(x, 1.0), axis=1).max() <= 1.0 + 1e-12
    small = x / 100
    assert np.array_equal(clip_rows(small, 1.0), small)  # inside the bound: untouched
    noisy = gaussian_release(x, 1.0, 0.0, rng)
    assert np.linalg.norm(noisy, axis=1).max() <= 1.0 + 1e-12
    sizes = [len(poisson_batch(10_000, 0.01, rng)) for _ in range(200)]
    assert len(set(sizes)) > 1 and abs(np.mean(sizes) - 100) < 3  # Poisson: a varying batch around q·n
    for bad in ({"sigma": 0.0}, {"q": 0.0}, {"delta": 1.0}):
        with pytest.raises(UserError):
            epsilon(10, **{"q": 0.01, "sigma": 1.0, "delta": 1e-5, **bad})


def test_pairwise_masks_cancel_and_dropouts_are_recovered():
    from tenfold.ppmarl.secagg import PairwiseMasking

    rng = np.random.default_rng(1)
    xs = [rng.normal(size=4096) for _ in range(4)]
    sa = PairwiseMasking(4, seed=3)
    msgs = {i: sa.mask(i, xs[i], round_=7) for i in range(4)}
    assert np.abs(sa.aggregate(msgs, round_=7) - sum(xs)).max() < 1e-6
    one = np.frombuffer(msgs[0], dtype=np.uint64)
    assert np.abs(one.view(np.int64) / 2**24 - xs[0]).min() > 1.0  # a single message reveals nothing useful
    del msgs[2]  # agent 2 drops out of the round
    assert np.abs(sa.aggregate(msgs, round_=7) - (xs[0] + xs[1] + xs[3])).max() < 1e-6


def test_paillier_sums_exactly():
    from tenfold.ppmarl.secagg import PaillierAggregator

    p = PaillierAggregator(key_bits=512)
    xs = [np.array([0.5, -1.25, 3.0]), np.array([1.0, 2.0, -0.125])]
    assert np.allclose(p.decrypt(p.aggregate([p.encrypt(x) for x in xs])), xs[0] + xs[1], atol=1e-12)
    assert p.nbytes(p.encrypt(np.zeros(3))) <= 3 * 128  # < n², n of 512 bits


def test_our_environments_pass_the_pettingzoo_parallel_api_test():
    from pettingzoo.test import parallel_api_test

    from tenfold.ppmarl.envs import DroneCellEnv, EdgeOffloadEnv

    for env in (DroneCellEnv(), EdgeOffloadEnv()):
        parallel_api_test(env, num_cycles=60)
        assert env.private_features(env.possible_agents[0]).stop <= env.observation_space("x").shape[0]
    drone = DroneCellEnv()
    assert drone.observation_space("drone_0").shape[0] + drone.action_space("drone_0").n == 23  # the 23 shared inputs


def test_a_runs_epsilon_composes_its_rates_and_a_group_of_two_costs_more():
    from tenfold.ppmarl.dp import epsilon, epsilon_sequence

    same = epsilon_sequence([0.01] * 1000, 2, sigma=1.0, delta=1e-5)
    assert same == pytest.approx(epsilon(2000, q=0.01, sigma=1.0, delta=1e-5), rel=1e-9)
    mixed = epsilon_sequence([0.02] * 500 + [0.01] * 500, 2, sigma=1.0, delta=1e-5)
    assert mixed > same  # larger early rates (a small replay) cost more
    assert epsilon_sequence([0.01] * 1000, 2, 1.0, 1e-5, group=2) > same
    assert epsilon_sequence([], 2, 1.0, 1e-5) == 0.0
