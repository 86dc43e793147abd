"""The learner: prioritised replay decides what it trains on, stale trajectories are evicted, its state round-trips
through a checkpoint, and each method's update runs on real trajectories."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from tenfold.distrl.learner import Learner, LearnerConfig
from tenfold.distrl.names import METHODS
from tenfold.distrl.workers import Job, Worker, WorkerSpec

SMALL = {"features": 32, "hidden": 16, "batch_size": 8, "min_buffer": 1}


def _episodes(n: int, version: int = 0, seed: int = 0, first: int = 0):
    worker = Worker(0, WorkerSpec(seed, features=32, hidden=16))
    weights = Learner(LearnerConfig(**SMALL), seed).actor_weights()
    return [worker.run(Job(first + e, version, weights if e == 0 else None)) for e in range(n)]


def test_raising_a_priority_changes_what_the_learner_trains_on():
    from tenfold.distrl.reproduce import learner_follows_priority

    out = learner_follows_priority(seed=0)
    assert out["follows"], out["picked"]
    # and uniformly (the official default) the same buffer spreads the batch over many trajectories
    learner = Learner(LearnerConfig(**{**SMALL, "batch_size": 32}, prioritized=False), 0)
    for traj in _episodes(12):
        learner.add(traj)
    learner.update()
    assert len(set(learner.trained_on)) >= 6


def test_stale_trajectories_are_evicted_and_never_trained_on():
    learner = Learner(LearnerConfig(**SMALL, max_staleness=2), 0)
    old = [learner.add(t) for t in _episodes(5, version=0)]
    learner.version = 10  # the learner moved on; the old episodes are 10 versions behind
    fresh = _episodes(1, version=10, first=100)[0]
    learner.add(fresh)
    stats = learner.update()
    assert set(learner.trained_on) == {(0, 100)}
    assert stats.evicted == len(old) and all(learner.replay.tree[s] == 0 for s in old)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_updates_and_bumps_the_version(method):
    learner = Learner(LearnerConfig(**SMALL, method=method), 0)
    for traj in _episodes(6):
        learner.add(traj)
    before = copy.deepcopy(learner.agent.state_dict())
    stats = learner.update()
    assert stats.version == learner.version == 1
    changed = [k for k, v in learner.agent.state_dict().items() if not np.allclose(v, before[k])]
    assert any(k.startswith("actor.") for k in changed) or method == "filtered-bc"
    assert np.isfinite(stats.actor_loss) and np.isfinite(stats.critic_loss)


def test_official_reward_shaping_adds_the_monte_carlo_return_minus_005():
    learner = Learner(LearnerConfig(**SMALL, reward="official", invalid_penalty=0.0), 0)
    traj = _episodes(1)[0]
    shaped, mc = learner.shaped_rewards(traj)
    sparse = np.array([s.reward for s in traj.steps])
    assert np.allclose(shaped, sparse + mc - 0.05)


def test_state_round_trips_and_the_next_update_is_identical():
    a = Learner(LearnerConfig(**SMALL), 0)
    for traj in _episodes(6):
        a.add(traj)
    a.update()
    b = Learner(LearnerConfig(**SMALL), 1)
    b.load_state(copy.deepcopy(a.state()))
    assert (b.version, b.updates, len(b.replay)) == (a.version, a.updates, len(a.replay))
    sa, sb = a.update(), b.update()
    assert a.trained_on == b.trained_on and sa.actor_loss == sb.actor_loss


def test_best_trajectory_filtering_keeps_the_actor_on_the_top_fraction():
    learner = Learner(LearnerConfig(**SMALL, best_fraction=0.25), 0)
    for traj in _episodes(8):
        learner.add(traj)
    for i, score in enumerate([0, 1, 2, 3, 4, 5, 6, 7]):
        learner._stored(i).score = float(score)
    assert learner._filter_bar() == float(np.quantile(range(8), 0.75))
    assert Learner(LearnerConfig(**SMALL), 0)._filter_bar() == -np.inf
    learner.update()  # the filtered update runs


def test_a_learner_that_outruns_its_workers_waits_for_fresh_data():
    learner = Learner(LearnerConfig(**SMALL, max_staleness=3), 0)
    for traj in _episodes(4):
        learner.add(traj)
    for _ in range(4):
        learner.update()
    assert not learner.ready  # version 4, newest data version 0: nothing within 3 versions
    learner.add(_episodes(1, version=4, first=50)[0])
    assert learner.ready and learner.update().version == 5
