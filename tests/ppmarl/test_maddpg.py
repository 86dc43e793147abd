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


@pytest.mark.parametrize("kind", ["central", "split"])
def test_critic_input_gradients_equal_finite_differences(kind):
    rng = np.random.default_rng(1)
    critic = Critic([4, 6], CriticSpec(kind=kind, clip=100.0), 8, rng)  # clip far away: a smooth function
    xs = [rng.normal(size=(3, 4)), rng.normal(size=(3, 6))]
    critic.zero_grad()
    critic.forward(xs)
    grads = critic.backward(np.ones(3))
    for i in range(2):
        assert np.allclose(grads[i], _finite_difference(lambda: float(critic.forward(xs).sum()), xs[i]), atol=1e-6)


def test_split_critic_sees_only_the_sum_and_clips_every_release():
    rng = np.random.default_rng(2)
    critic = Critic([4, 4], CriticSpec(kind="split", clip=0.5, sigma=0.0), 8, rng)
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
