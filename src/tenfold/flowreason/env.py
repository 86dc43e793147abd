"""The task-agnostic environment interface: multi-step reasoning as a Markovian flow on a DAG (FoR Sec. 3).

Glossary (the paper's symbols):

* ``x``   a problem (a Game24 multiset, a BlocksWorld instance);
* ``s_t`` a reasoning state; ``s_0`` = :meth:`Environment.initial` (x);
* ``a_t`` one reasoning step, from :meth:`Environment.actions` (only valid steps are ever offered);
* ``τ``   a complete trajectory s_0 → … → s_n, ending in a terminal state;
* ``R(x, τ) ≥ 0`` the reward of a complete trajectory; the GFlowNet target is P(τ) ∝ R(x, τ)^β.

A trajectory is identified by its sequence of step texts (:attr:`Trajectory.key`): two solutions are *distinct* when
their steps differ, which is how FoR counts diversity. Environments also say how many parents a state has
(:meth:`Environment.n_parents`) so that a parent-counting backward policy can be used where states are reachable
along several paths; an environment whose states hold their own history has exactly one parent per state.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Step:
    """One reasoning step: the action's text and the state it leads to."""

    action: str
    state: Any


@dataclass
class Trajectory:
    """A complete (or partial) trajectory of one problem."""

    problem: Any
    initial: Any
    steps: list[Step] = field(default_factory=list)
    log_reward: float = float("-inf")
    """log R(x, τ) before tempering (filled when the trajectory is complete)."""
    correct: bool = False
    """the task's success test (e.g. the expression equals 24; the goal holds)."""

    @property
    def key(self) -> tuple[str, ...]:
        """The identity used for de-duplication and for counting distinct solutions."""
        return tuple(s.action for s in self.steps)

    @property
    def states(self) -> list[Any]:
        """s_0, …, s_n."""
        return [self.initial, *(s.state for s in self.steps)]

    @property
    def final(self) -> Any:
        return self.steps[-1].state if self.steps else self.initial

    def prefix(self, n: int) -> Trajectory:
        """The first ``n`` steps (for local search)."""
        return Trajectory(self.problem, self.initial, list(self.steps[:n]))


class Environment(Protocol):
    """What a task provides. States must be hashable (for caching and DAG bookkeeping)."""

    name: str
    max_steps: int
    """no trajectory is longer than this (it bounds the DAG)."""

    def initial(self, problem: Any) -> Hashable:
        """s_0 of a problem."""
        ...

    def actions(self, problem: Any, state: Hashable) -> list[str]:
        """The valid steps from ``state`` (empty only at terminal states), in a deterministic order."""
        ...

    def step(self, problem: Any, state: Hashable, action: str) -> Hashable:
        """The state a valid step leads to (deterministic)."""
        ...

    def is_terminal(self, problem: Any, state: Hashable, depth: int) -> bool:
        """Whether a trajectory stops at ``state`` after ``depth`` steps."""
        ...

    def log_reward(self, problem: Any, trajectory: Trajectory) -> float:
        """log R(x, τ) of a complete trajectory, before tempering."""
        ...

    def is_correct(self, problem: Any, trajectory: Trajectory) -> bool:
        """The task's success test."""
        ...

    def n_parents(self, problem: Any, state: Hashable) -> int:
        """How many (state, action) pairs lead to ``state`` (1 for states that hold their history)."""
        ...

    def context_tokens(self, problem: Any, state: Hashable) -> list[str]:
        """Words describing (problem, state) for the policy network."""
        ...

    def action_tokens(self, action: str) -> list[str]:
        """Words describing an action for the policy network."""
        ...


def finish(env: Environment, traj: Trajectory) -> Trajectory:
    """Fill reward and correctness of a complete trajectory."""
    traj.log_reward = env.log_reward(traj.problem, traj)
    traj.correct = env.is_correct(traj.problem, traj)
    return traj


def enumerate_trajectories(env: Environment, problem: Any, limit: int = 200_000) -> list[Trajectory]:
    """Every complete trajectory of a problem (depth-first, in action order); the exact support of P_F.

    Raises ValueError past ``limit`` trajectories: enumeration is for small DAGs (a Game24 puzzle has at most 3,888).
    """
    out: list[Trajectory] = []

    def walk(traj: Trajectory, state: Hashable) -> None:
        if env.is_terminal(traj.problem, state, len(traj.steps)):
            out.append(finish(env, Trajectory(traj.problem, traj.initial, list(traj.steps))))
            if len(out) > limit:
                raise ValueError(f"more than {limit} trajectories: too large to enumerate")
            return
        for a in env.actions(traj.problem, state):
            nxt = env.step(traj.problem, state, a)
            traj.steps.append(Step(a, nxt))
            walk(traj, nxt)
            traj.steps.pop()

    s0 = env.initial(problem)
    walk(Trajectory(problem, s0), s0)
    return out


def distinct_correct(trajs: Sequence[Trajectory]) -> set[tuple[str, ...]]:
    """The distinct correct solutions among sampled trajectories."""
    return {t.key for t in trajs if t.correct}
