"""Sampling trajectories: on-policy rollouts with policy-temperature and ε-uniform exploration, local search, and the
exploration schedules (FoR Sec. 3.3; code ``generate_trajectories``, ``local_search``).

The official code's ε and temperature "schedules" set one value each (ε ≈ 0.24 all run; temperature 4 until half-way,
then 1); :class:`Schedule` interpolates for real, and the tests check that the values change over training.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from tenfold.flowreason.env import Environment, Step, Trajectory
from tenfold.flowreason.reward import Reward


@dataclass(frozen=True)
class Schedule:
    """Linear from ``start`` to ``end`` over the first ``span`` fraction of training, then constant at ``end``."""

    start: float
    end: float
    span: float = 1.0

    def __call__(self, progress: float) -> float:
        """``progress`` ∈ [0, 1]: the fraction of training done."""
        if self.span <= 0:
            return self.end
        frac = min(max(progress / self.span, 0.0), 1.0)
        return self.start + (self.end - self.start) * frac


def complete(env: Environment, traj: Trajectory, reward: Reward) -> Trajectory:
    traj.log_reward = reward(traj)
    traj.correct = env.is_correct(traj.problem, traj)
    return traj


def rollout(
    env: Environment,
    policy: nn.Module | None,
    problem: Any,
    rng: random.Random,
    reward: Reward,
    temperature: float = 1.0,
    epsilon: float = 0.0,
    prefix: Trajectory | None = None,
) -> Trajectory:
    """Sample one complete trajectory (continuing ``prefix`` if given).

    Each step: with probability ``epsilon`` a uniform valid action, else one drawn from softmax(scores / temperature);
    ``policy=None`` draws uniformly (local search's random completion).
    """
    traj = prefix if prefix is not None else Trajectory(problem, env.initial(problem))
    state = traj.final
    while not env.is_terminal(problem, state, len(traj.steps)):
        acts = env.actions(problem, state)
        if policy is None or rng.random() < epsilon:
            a = rng.choice(acts)
        else:
            with torch.no_grad():
                probs = torch.softmax(policy.logits(problem, state, acts) / temperature, -1).tolist()
            a = rng.choices(acts, weights=probs)[0]
        state = env.step(problem, state, a)
        traj.steps.append(Step(a, state))
    return complete(env, traj, reward)


def rollouts(
    env: Environment,
    policy: nn.Module,
    problem: Any,
    n: int,
    rng: random.Random,
    reward: Reward,
    temperature: float = 1.0,
    epsilon: float = 0.0,
) -> list[Trajectory]:
    """``n`` independent trajectories of :func:`rollout`'s law, stepped together: one encoder pass per depth.

    Each still-running trajectory draws its own ε coin and action; the order of random draws is fixed, so a seed
    gives the same samples on any machine.
    """
    trajs = [Trajectory(problem, env.initial(problem)) for _ in range(n)]
    while True:
        live = [t for t in trajs if not env.is_terminal(problem, t.final, len(t.steps))]
        if not live:
            break
        acts = [env.actions(problem, t.final) for t in live]
        with torch.no_grad():
            scores = policy.logits_many([(problem, t.final, a) for t, a in zip(live, acts, strict=True)])
        for t, a, sc in zip(live, acts, scores, strict=True):
            if rng.random() < epsilon:
                choice = rng.choice(a)
            else:
                choice = rng.choices(a, weights=torch.softmax(sc / temperature, -1).tolist())[0]
            t.steps.append(Step(choice, env.step(problem, t.final, choice)))
    reward.prefetch(trajs)
    return [complete(env, t, reward) for t in trajs]


def local_search(
    env: Environment,
    best: Trajectory,
    rng: random.Random,
    reward: Reward,
    proposals: int = 16,
    policy: nn.Module | None = None,
    update_best: bool = True,
    keep: str = "half",
    epsilon: float = 0.0,
) -> list[Trajectory]:
    """Keep the first ⌊T/2⌋ steps of ``best``, complete the rest ``proposals`` times, accept completions whose reward
    does not drop below the current best.

    The completion is uniform over valid actions (the official code) or the policy's (``policy``, with ε-uniform
    steps at rate ``epsilon``, so that it can still reach steps the policy has learned to avoid). With
    ``update_best`` (default) an accepted trajectory becomes the new reference; the official code never updates it
    (``update_best=False`` reproduces that). ``keep="random"`` keeps a uniform number of steps in 0..⌊T/2⌋ per
    proposal instead of exactly ⌊T/2⌋, so that local search also revisits early steps (0 kept = a fresh random
    trajectory, still accepted only if its reward does not drop).
    """
    accepted, seen = [], {best.key}
    ref, left = best, proposals
    while left > 0:
        # proposals in rounds of 4 so their prior likelihoods are scored in one pass; the reference moves per round
        base = ref if update_best else best
        round_ = []
        for _ in range(min(4, left)):
            n_keep = len(base.steps) // 2
            if keep == "random":
                n_keep = rng.randint(0, n_keep)
            cand = Trajectory(best.problem, best.initial, list(base.steps[:n_keep]))
            round_.append(_complete(env, cand, rng, policy, epsilon))
        left -= len(round_)
        reward.prefetch(round_)
        for cand in round_:
            complete(env, cand, reward)
            if cand.key in seen or cand.log_reward < base.log_reward:
                continue
            seen.add(cand.key)
            accepted.append(cand)
            if cand.log_reward > ref.log_reward:
                ref = cand
    return accepted


def _complete(
    env: Environment, traj: Trajectory, rng: random.Random, policy: nn.Module | None, epsilon: float = 0.0
) -> Trajectory:
    state = traj.final
    while not env.is_terminal(traj.problem, state, len(traj.steps)):
        acts = env.actions(traj.problem, state)
        if policy is None or rng.random() < epsilon:
            a = rng.choice(acts)
        else:
            with torch.no_grad():
                probs = torch.softmax(policy.logits(traj.problem, state, acts), -1).tolist()
            a = rng.choices(acts, weights=probs)[0]
        state = env.step(traj.problem, state, a)
        traj.steps.append(Step(a, state))
    return traj


def sample_k(
    env: Environment,
    policy: nn.Module,
    problem: Any,
    k: int,
    rng: random.Random,
    reward: Reward,
    temperature: float = 1.0,
) -> list[Trajectory]:
    """``k`` independent on-policy samples (evaluation: temperature 1, no ε)."""
    return rollouts(env, policy, problem, k, rng, reward, temperature)


def exact_distribution(
    env: Environment, policy: nn.Module, problem: Any, reward: Reward
) -> list[tuple[Trajectory, float]]:
    """Every complete trajectory with its exact probability P_F(τ) under ``policy`` (temperature 1).

    Walks the trajectory tree once, scoring each internal state's valid actions in one pass.
    """
    out: list[tuple[Trajectory, float]] = []

    def walk(traj: Trajectory, state: Any, logp: float) -> None:
        if env.is_terminal(problem, state, len(traj.steps)):
            done = complete(env, Trajectory(problem, traj.initial, list(traj.steps)), reward)
            out.append((done, math.exp(logp)))
            return
        acts = env.actions(problem, state)
        with torch.no_grad():
            lp = torch.log_softmax(policy.logits(problem, state, acts), -1).tolist()
        for a, step_lp in zip(acts, lp, strict=True):
            nxt = env.step(problem, state, a)
            traj.steps.append(Step(a, nxt))
            walk(traj, nxt, logp + step_lp)
            traj.steps.pop()

    s0 = env.initial(problem)
    walk(Trajectory(problem, s0), s0, 0.0)
    return out


def target_l1(dist: list[tuple[Trajectory, float]], beta: float) -> float:
    """L1 distance Σ_τ |P_F(τ) − R(τ)^β / Σ R^β| over all trajectories of a problem."""
    logs = [beta * t.log_reward for t, _ in dist]
    top = max(logs)
    w = [math.exp(x - top) for x in logs]
    z = sum(w)
    return sum(abs(p - wi / z) for (_, p), wi in zip(dist, w, strict=True))
