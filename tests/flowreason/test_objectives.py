"""Loss identities on enumerable toy problems: VarGrad = TB at the batch log Z, TB = 0 at the exact flow policy (with
the uniform backward policy on a DAG), tempering by β makes the optimum ∝ R^β, SubTB = TB for the whole trajectory."""

from __future__ import annotations

import math

import pytest
import torch

from tenfold.flowreason.env import enumerate_trajectories
from tenfold.flowreason.objectives import subtb_loss, tb_loss, uniform_log_pb, vargrad_log_z, vargrad_loss

from .toy_dag import ChooseSubset


def test_vargrad_equals_tb_at_the_batch_log_partition():
    g = torch.Generator().manual_seed(0)
    log_pf, log_r, log_pb = torch.randn(7, generator=g), torch.randn(7, generator=g) * 3, torch.randn(7, generator=g)
    log_z = -(log_pf - log_r - log_pb).mean()
    assert vargrad_log_z(log_pf, log_r, log_pb) == pytest.approx(float(log_z), abs=1e-6)
    assert float(vargrad_loss(log_pf, log_r, log_pb)) == pytest.approx(
        float(tb_loss(log_pf, log_r, log_z, log_pb)), abs=1e-6
    )
    # with P_B = 1 as in the official code
    log_z0 = -(log_pf - log_r).mean()
    assert float(vargrad_loss(log_pf, log_r)) == pytest.approx(float(tb_loss(log_pf, log_r, log_z0)), abs=1e-6)


def _traj_terms(env, beta_policy: float):
    trajs = enumerate_trajectories(env, None)
    log_pf, log_pb, log_r = [], [], []
    for t in trajs:
        lp, state = 0.0, t.initial
        for step in t.steps:
            lp += math.log(env.flow_policy(state, beta_policy)[step.action])
            state = step.state
        log_pf.append(lp)
        log_pb.append(uniform_log_pb([env.n_parents(None, s) for s in t.states[1:]]))
        log_r.append(t.log_reward)
    return (
        trajs,
        torch.tensor(log_pf, dtype=torch.float64),
        torch.tensor(log_pb, dtype=torch.float64),
        torch.tensor(log_r, dtype=torch.float64),
    )


def test_tb_is_zero_at_the_flow_policy_of_a_dag_and_its_terminal_law_is_r_over_z():
    env = ChooseSubset(n=5, m=3)
    trajs, log_pf, log_pb, log_r = _traj_terms(env, 1.0)
    log_z = math.log(env.flows(1.0)[(frozenset(), False)])
    assert float(tb_loss(log_pf, log_r, torch.tensor(log_z, dtype=torch.float64), log_pb)) < 1e-20
    assert log_z == pytest.approx(math.log(sum(env.rewards.values())), abs=1e-12)
    # marginal over terminal sets: Σ over the k! orders of P_F(τ) = R(x) / Z
    law: dict = {}
    for t, lp in zip(trajs, log_pf.tolist(), strict=True):
        law[t.final[0]] = law.get(t.final[0], 0.0) + math.exp(lp)
    z = sum(env.rewards.values())
    assert max(abs(law[s] - r / z) for s, r in env.rewards.items()) < 1e-12


def test_tempering_by_two_moves_the_optimum_to_r_squared():
    env = ChooseSubset(n=5, m=3)
    _, pf_r2, log_pb, log_r = _traj_terms(env, 2.0)
    z2 = math.log(sum(r**2 for r in env.rewards.values()))
    assert float(tb_loss(pf_r2, 2 * log_r, torch.tensor(z2, dtype=torch.float64), log_pb)) < 1e-20
    _, pf_r1, _, _ = _traj_terms(env, 1.0)
    assert float(tb_loss(pf_r1, 2 * log_r, torch.tensor(z2, dtype=torch.float64), log_pb)) > 1e-2  # not optimal for β=2


def test_subtb_vanishes_exactly_at_consistent_flows_where_tb_does():
    g = torch.Generator().manual_seed(1)
    pf, pb = torch.randn(3, generator=g), torch.randn(3, generator=g)
    flows, log_r = torch.randn(3, generator=g), torch.randn((), generator=g)
    # λ → 0 keeps the shortest pieces; with all intermediate flows consistent, every piece vanishes
    consistent = torch.stack([flows[0], flows[0] + pf[0] - pb[0], flows[0] + pf[:2].sum() - pb[:2].sum()])
    log_r_c = consistent[-1] + pf[2] - pb[2]
    assert float(subtb_loss(pf, pb, consistent, log_r_c)) < 1e-12
    assert float(tb_loss(pf.sum().reshape(1), log_r_c.reshape(1), consistent[0], pb.sum().reshape(1))) < 1e-12
    assert float(subtb_loss(pf, pb, flows, log_r)) > 0
