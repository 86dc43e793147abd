"""The agent's identities: masked candidates get probability 0, π sums to 1, the entropy of equal scores is the log
of the number of real candidates, log π of a taken action is its log-softmax, and seeded sampling repeats."""

from __future__ import annotations

import math

import torch

from tenfold.distrl.env import PhoneEnv
from tenfold.distrl.policy import Agent, batch, taken_entropy


def _observations(n=4):
    env = PhoneEnv()
    obs = []
    for i in range(n):
        o, _ = env.reset(seed=i, options={"task": i})
        obs.append(o)
    return obs


def test_masked_slots_get_zero_probability_and_pi_sums_to_one():
    agent = Agent(seed=0)
    obs = batch(_observations())
    p = torch.softmax(agent.logits(obs), -1)
    assert torch.all(p[~obs["mask"]] == 0) and torch.allclose(p.sum(-1), torch.ones(len(p)))
    actions = torch.tensor([0, 1, 2, 0])
    assert torch.allclose(agent.log_prob(obs, actions), torch.log(p.gather(1, actions[:, None]).squeeze(1)))
    assert agent.value(obs).shape == (4,)


def test_equal_scores_have_the_entropy_of_a_uniform_choice():
    agent = Agent(seed=0)
    for layer in agent.actor:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.zeros_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    obs = batch(_observations())
    valid = obs["mask"].sum(-1).double()
    assert torch.allclose(agent.entropy(obs).double(), torch.log(valid), atol=1e-6)
    one_sample = float(taken_entropy(torch.log(torch.tensor([0.5, 0.25]))))
    assert math.isclose(one_sample, (math.log(2) + math.log(4)) / 2, rel_tol=1e-6)


def test_seeded_sampling_repeats_and_stays_on_real_candidates():
    agent = Agent(seed=1)
    o = _observations(1)[0]
    draws = [agent.act(o, torch.Generator().manual_seed(7)) for _ in range(3)]
    assert len(set(draws)) == 1
    many = [agent.act(o, torch.Generator().manual_seed(s)) for s in range(200)]
    assert all(o["mask"][a] == 1 for a in many)
