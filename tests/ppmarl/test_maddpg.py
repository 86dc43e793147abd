"""The numpy networks and MADDPG core: backpropagation equals finite differences (MLP, central and split critic),
the split critic's output depends on the bottoms only through Σ m_i, released rows respect the clip, and a seeded run
repeats exactly with HE off."""

from __future__ import annotations

import numpy as np
import pytest

from tenfold.ppmarl.maddpg import Critic, CriticSpec, Maddpg, TrainConfig, run_episodes
from tenfold.ppmarl.nn import MLP


def _finite_difference(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        up = f()
        x[idx] = old - eps
        down = f()
        x[idx] = old
        g[idx] = (up - down) / (2 * eps)
    return g


def test_mlp_backward_equals_finite_differences():
    rng = np.random.default_rng(0)
    net = MLP((5, 7, 3), rng)
    x, w = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    net.zero_grad()
    out = net(x)
    gx = net.backward(w)
    assert out.shape == (4, 3)
    assert np.allclose(gx, _finite_difference(lambda: float((net(x) * w).sum()), x), atol=1e-6)
    assert np.allclose(net.grads[0], _finite_difference(lambda: float((net(x) * w).sum()), net.params[0]), atol=1e-6)


@pytest.mark.parametrize(("kind", "top"), [("central", "own"), ("split", "shared"), ("split", "own")])
def test_critic_input_gradients_equal_finite_differences(kind, top):
    """∂Q/∂x_i by backpropagation = finite differences; with ``top="own"`` agent i's gradient is that of its own Q_i
    only (the others' released sum is data to it, so the others' Q_j do not reach x_i)."""
    rng = np.random.default_rng(1)
    critic = Critic([4, 6], CriticSpec(kind=kind, clip=100.0, top=top), 8, rng)  # clip far away: a smooth function
    xs = [rng.normal(size=(3, 4)), rng.normal(size=(3, 6))]
    critic.zero_grad()
    q = critic.forward(xs)
    assert q.shape == ((3, 2) if critic.per_agent else (3,))
    grads = critic.backward(np.ones(q.shape))
    for i in range(2):
        own = (
            (lambda i=i: float(critic.forward(xs)[:, i].sum()))
            if critic.per_agent
            else (lambda: float(critic.forward(xs).sum()))
        )
        assert np.allclose(grads[i], _finite_difference(own, xs[i]), atol=1e-6)


def test_own_critic_sees_the_others_only_through_their_noised_sum():
    """Q_i = l_i(x_i) + g_i([m_i, u − m̃_i]): agent 0's critic reads its own exact representation (not its noised
    release) beside the others' noised sum."""
    rng = np.random.default_rng(3)
    critic = Critic([4, 4, 4], CriticSpec(kind="split", clip=1.0, sigma=1.0, top="own"), 8, rng)
    xs = [rng.normal(size=(5, 4)) for _ in range(3)]
    q = critic.forward(xs, np.random.default_rng(0))
    others = critic.released[1] + critic.released[2]
    expected = critic.tops[0](np.concatenate([critic.clean[0], others], 1))[:, 0] + critic.locals[0](xs[0])[:, 0]
    assert np.allclose(q[:, 0], expected)
    assert not np.allclose(critic.clean[0], critic.released[0])  # its own share was noised for the others


def test_split_critic_sees_only_the_sum_and_clips_every_release():
    rng = np.random.default_rng(2)
    critic = Critic([4, 4], CriticSpec(kind="split", clip=0.5, sigma=0.0, top="shared"), 8, rng)
    xs = [rng.normal(size=(16, 4)) * 10, rng.normal(size=(16, 4)) * 10]
    q = critic.forward(xs)
    assert all(np.linalg.norm(m, axis=1).max() <= 0.5 + 1e-12 for m in critic.released)
    assert np.allclose(q, critic.top(critic.released[0] + critic.released[1])[:, 0])


def test_a_seeded_run_repeats_exactly():
    from tenfold.ppmarl.envs import DroneCellEnv

    def run():
        env = DroneCellEnv(max_steps=10)
        names = env.possible_agents
        cfg = TrainConfig(critic=CriticSpec(kind="split", sigma=1.0), warmup=50, update_every=10, batch=32)
        agent = Maddpg([env.observation_space(a).shape[0] for a in names], [5] * 3, cfg)
        returns = run_episodes(env, agent, list(range(12)))
        return returns, agent.updates, [p.copy() for p in agent.actors[0].params]

    a, b = run(), run()
    assert a[0] == b[0] and a[1] == b[1] > 0 and all(np.array_equal(x, y) for x, y in zip(a[2], b[2], strict=True))


@pytest.mark.parametrize(("kind", "top"), [("central", "own"), ("split", "own"), ("split", "shared")])
def test_agents_of_different_observation_and_action_sizes_train(kind, top):
    """The core takes any sizes per agent: two agents with 3 and 7 observation dimensions, 2 and 4 actions."""
    rng = np.random.default_rng(5)
    cfg = TrainConfig(critic=CriticSpec(kind=kind, top=top, sigma=0.5), warmup=20, batch=16, hidden=8)
    agent = Maddpg([3, 7], [2, 4], cfg)
    for _ in range(40):
        obs, nxt = [rng.normal(size=3), rng.normal(size=7)], [rng.normal(size=3), rng.normal(size=7)]
        agent.store(obs, [int(rng.integers(2)), int(rng.integers(4))], float(rng.normal()), nxt, 0.0)
    before = [p.copy() for p in agent.actors[1].params]
    assert agent.update() is not None
    assert any(not np.array_equal(a, b) for a, b in zip(before, agent.actors[1].params, strict=True))
    assert len(agent.act([np.zeros(3), np.zeros(7)])) == 2
