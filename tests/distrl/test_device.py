"""The simulated phone: a scripted oracle solves every task, a uniform-random policy almost none, the splits are
disjoint by parameter value, invalid actions do nothing, and the latency model's mean is its analytic one."""

from __future__ import annotations

import random

import pytest

from tenfold.distrl.device import Action, Device, Latency, oracle_action, random_action, run_episode, tasks


def test_oracle_solves_every_task():
    all_tasks = tasks("all")
    assert len(all_tasks) == len(tasks("train")) + len(tasks("test")) and len(
        {t.instruction for t in all_tasks}
    ) == len(all_tasks)
    results = [run_episode(t, oracle_action) for t in all_tasks]
    assert all(ok for ok, _ in results)
    assert max(steps for _, steps in results) <= 12


def test_random_policy_rarely_succeeds():
    rng = random.Random(0)
    wins = sum(run_episode(t, lambda task, d: random_action(d, rng))[0] for t in tasks("all") for _ in range(10))
    assert wins / (10 * len(tasks("all"))) < 0.10


def test_held_out_tasks_use_unseen_parameters():
    train = {t.params for t in tasks("train")}
    test = {t.params for t in tasks("test")}
    assert not train & test and {t.family for t in tasks("test")} == {t.family for t in tasks("train")}


def test_invalid_actions_do_nothing():
    d = Device()
    before = d.screen()
    assert not d.act(Action("tap", "n0"))  # the "Home" title is not clickable
    assert not d.act(Action("type", "n1", "x"))  # a button is not editable
    assert not d.act(Action("tap", "n99"))
    assert d.screen() == before
    with pytest.raises(ValueError, match="unknown action"):
        Action("swipe")


def test_latency_mean():
    lat = Latency(base=0.5, jitter=0.2, stall_p=0.05, stall=5.0)
    rng = random.Random(1)
    samples = [lat.sample(rng) for _ in range(200_000)]
    assert abs(sum(samples) / len(samples) - lat.mean) < 0.01 and lat.mean == pytest.approx(0.85)


def test_gymnasium_env_passes_the_checker_and_the_oracle_solves_it_through_candidates():
    from gymnasium.utils.env_checker import check_env

    from tenfold.distrl.env import PhoneEnv, oracle_index

    check_env(PhoneEnv(), skip_render_check=True)
    for split in ("train", "test"):
        env = PhoneEnv(split)
        for i in range(len(env.tasks)):
            env.reset(seed=0, options={"task": i})
            reward, done, truncated = 0.0, False, False
            while not (done or truncated):
                _, reward, done, truncated, info = env.step(oracle_index(env))
                assert info["valid"] and info["latency"] > 0
            assert reward == 1.0, env.tasks[i].instruction
