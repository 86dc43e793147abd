"""The reward R(x, τ): task success first, plus a likelihood term under the frozen prior (FoR Sec. 3.4, code).

Both forms of the official code, on the prior policy's per-step log-probabilities ℓ_t = log p_prior(a_t | s_t):

* ``game24``:      R = R_task + λ · exp(mean_t ℓ_t)^(1/0.7)       (R_task 100 or 0.001)
* ``blocksworld``: R = R_task + λ · Σ_t (−1 / ℓ_t)                 (R_task 100, else 10 × fraction of goal facts)

λ = ``ll_weight`` (0 turns the term off: then R = R_task and the target of a tree-structured task is known in closed
form). The tempered target is R^β: the trainer multiplies log R by β (the official code's reward temperature).
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn

from tenfold.flowreason.env import Environment, Trajectory
from tenfold.flowreason.policy import step_log_probs


class Reward:
    """log R(x, τ) of complete trajectories, cached by (problem, step sequence).

    Args:
        env: the task (its ``log_reward`` is log R_task).
        prior: the prior policy (copied and frozen here), or None for no likelihood term.
        ll_weight: λ.
        form: ``game24`` or ``blocksworld`` (see the module docstring).
    """

    def __init__(self, env: Environment, prior: nn.Module | None, ll_weight: float, form: str):
        if form not in ("game24", "blocksworld"):
            raise ValueError(f"unknown likelihood form '{form}'")
        self.env, self.ll_weight, self.form = env, ll_weight, form
        self.prior = None
        if prior is not None and ll_weight > 0:
            self.prior = copy.deepcopy(prior).eval()
            for p in self.prior.parameters():
                p.requires_grad_(False)
        self._cache: dict[Any, float] = {}

    def step_log_likelihoods(self, traj: Trajectory) -> list[float]:
        """ℓ_t of each step under the prior."""
        assert self.prior is not None
        with torch.no_grad():
            return step_log_probs(self.prior, self.env, [traj])[0].tolist()

    def prefetch(self, trajs: list[Trajectory]) -> None:
        """Score the uncached trajectories under the prior in one batched pass (rollouts call this)."""
        todo = [t for t in trajs if (t.problem, t.key) not in self._cache and t.steps]
        if self.prior is None or not todo:
            return
        with torch.no_grad():
            lls = step_log_probs(self.prior, self.env, todo)
        for t, ll in zip(todo, lls, strict=True):
            self._store(t, ll.tolist())

    def _store(self, traj: Trajectory, ll: list[float] | None) -> float:
        task = math.exp(self.env.log_reward(traj.problem, traj))
        term = self._term(ll) if ll else 0.0
        value = math.log(task + self.ll_weight * term)
        if len(self._cache) > 500_000:  # a bound on memory in long runs; values are recomputed exactly
            self._cache.clear()
        self._cache[(traj.problem, traj.key)] = value
        return value

    def _term(self, ll: list[float]) -> float:
        if self.form == "game24":
            return math.exp(sum(ll) / len(ll)) ** (1 / 0.7)
        return sum(-1.0 / min(x, -1e-6) for x in ll)

    def __call__(self, traj: Trajectory) -> float:
        """log R(x, τ) (untempered)."""
        key = (traj.problem, traj.key)
        if key in self._cache:
            return self._cache[key]
        ll = self.step_log_likelihoods(traj) if self.prior is not None and traj.steps else None
        return self._store(traj, ll)
