"""The simulated phone: a scripted oracle solves every task, a uniform-random policy almost none, the splits are
disjoint (new combinations or new values), invalid actions do nothing, the latency mean is the analytic one, and
the evaluators (programmatic, noisy and slow, user-supplied) give the reward."""

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


def test_held_out_tasks_are_new_combinations_or_new_values():
    train = {t.params for t in tasks("train")}
    test = {t.params for t in tasks("test")}
    assert not train & test and {t.family for t in tasks("test")} == {t.family for t in tasks("train")}
    seen = {p for t in tasks("train") for p in t.params}
    for t in tasks("test"):
        if t.family in ("settings", "clock"):  # each switch, direction, hour and minute occurs in training
            assert set(t.params) <= seen, t.instruction
        else:  # queries and products never do
            assert t.params[0] not in seen, t.instruction


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


def _complete_unsolved(env):
    env.reset(seed=0, options={"task": 0})
    return env.step(len(env._observe()[1]) - 1)  # "complete" is the last candidate


def _complete_solved(env):
    from tenfold.distrl.env import oracle_index

    env.reset(seed=0, options={"task": 0})
    while True:
        out = env.step(oracle_index(env))
        if out[2]:
            return out


def test_evaluators_programmatic_noisy_and_user_supplied():
    from tenfold.distrl.env import PhoneEnv
    from tenfold.distrl.evaluators import EvaluatorConfig, user_evaluator

    env = PhoneEnv()
    assert _complete_solved(env)[1] == 1.0 and _complete_unsolved(env)[1] == 0.0
    liar = PhoneEnv(evaluator=EvaluatorConfig("noisy", false_positive=1.0, false_negative=1.0, delay=4.0))
    _, reward, _, _, info = _complete_unsolved(liar)
    assert reward == 1.0 and info["success"] is False and info["latency"] >= 0.5 + 2.0  # judged wrong, and slowly
    _, reward, _, _, info = _complete_solved(liar)
    assert reward == 0.0 and info["success"] is True
    strict = PhoneEnv(evaluator=user_evaluator(lambda task, state: False))
    assert _complete_solved(strict)[1] == 0.0
    with pytest.raises(ValueError):
        EvaluatorConfig("noisy", false_positive=1.5)
