"""The reward R(x, τ): task success first, plus a likelihood term under the frozen prior (FoR Sec. 3.4, code).

The official code's two forms, on per-step log-likelihoods ℓ_t of the prior:

* ``game24``:      R = R_task + λ · exp(mean_t ℓ_t)^(1/0.7)       (R_task 100 or 0.001)
* ``blocksworld``: R = R_task + λ · Σ_t (−1 / ℓ_t)                 (R_task 100, else 10 × fraction of goal facts)
* ``prontoqa``:    R = R_task (the official ProntoQA reward has no likelihood term)

What ℓ_t is matters for the BlocksWorld form. In the official code it is the base LLM's log-likelihood of the action's
*text* (a sum over its tokens, a few nats below 0), so −1/ℓ_t is a small bonus (≈ 0.1–0.3 per step). An LLM prior
here (:class:`~.llm_policy.LLMPolicy`) gives exactly that: its raw scores are sequence log-likelihoods. The small
stand-in prior only has the log-probability of *choosing* the action among the valid ones, which is 0 for a forced
move (one valid action) and makes −1/ℓ_t diverge: with it, R on BlocksWorld was dominated by forced moves and the
target R^β / Z put < 0.1 % of its mass on goal-reaching plans (5 training instances, λ = 1.5). So the stand-in's ℓ_t
is shifted by ``text_offset`` nats (default 3, the order of an action text's own token log-likelihood), bounding the
bonus at 1/3 per step as in the official scale. The Game24 form is bounded either way and uses the choice
log-probability.

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

FORMS = ("game24", "blocksworld", "prontoqa")


class Reward:
    """log R(x, τ) of complete trajectories, cached by (problem, step sequence).

    Args:
        env: the task (its ``log_reward`` is log R_task).
        prior: the prior policy (copied and frozen here), or None for no likelihood term.
        ll_weight: λ.
        form: ``game24``, ``blocksworld`` or ``prontoqa`` (see the module docstring).
        text_offset: nats subtracted from a choice-probability prior's ℓ_t in the BlocksWorld form.
    """

    def __init__(
        self, env: Environment, prior: nn.Module | None, ll_weight: float, form: str, text_offset: float = 3.0
    ):
        if form not in FORMS:
            raise ValueError(f"unknown likelihood form '{form}'")
        self.env, self.form = env, form
        self.ll_weight = 0.0 if form == "prontoqa" else ll_weight
        self.prior = None
        self.raw = False
        """whether ℓ_t is the prior's raw score (a sequence log-likelihood) rather than a choice log-probability."""
        self.offset = 0.0
        if prior is not None and self.ll_weight > 0:
            self.raw = form == "blocksworld" and getattr(prior, "scores_are_log_likelihoods", False)
            self.offset = text_offset if form == "blocksworld" and not self.raw else 0.0
            if hasattr(prior, "frozen"):  # an LLM policy: its base LM with the adapter off, shared, not copied
                self.prior = prior.frozen()
            else:
                self.prior = copy.deepcopy(prior).eval()
                for p in self.prior.parameters():
                    p.requires_grad_(False)
        self._cache: dict[Any, float] = {}

    def step_log_likelihoods(self, traj: Trajectory) -> list[float]:
        """ℓ_t of each step under the prior."""
        assert self.prior is not None
        with torch.no_grad():
            return step_log_probs(self.prior, self.env, [traj], raw=self.raw)[0].tolist()

    def prefetch(self, trajs: list[Trajectory]) -> None:
        """Score the uncached trajectories under the prior in one batched pass (rollouts call this)."""
        todo = [t for t in trajs if (t.problem, t.key) not in self._cache and t.steps]
        if self.prior is None or not todo:
            return
        with torch.no_grad():
            lls = step_log_probs(self.prior, self.env, todo, raw=self.raw)
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
        return sum(-1.0 / min(x - self.offset, -1e-6) for x in ll)

    def __call__(self, traj: Trajectory) -> float:
        """log R(x, τ) (untempered)."""
        key = (traj.problem, traj.key)
        if key in self._cache:
            return self._cache[key]
        ll = self.step_log_likelihoods(traj) if self.prior is not None and traj.steps else None
        return self._store(traj, ll)
