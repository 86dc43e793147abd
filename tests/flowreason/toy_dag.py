"""A small environment whose states are reached along several paths: pick up to ``m`` of ``n`` items, then stop.

A state is (set, stopped). The set {0, 1} is reached by adding 0 then 1 or 1 then 0 (a DAG): an open state of size k
has k parents, a stopped state one. Terminal objects are the stopped sets (sizes 1..m) with a fixed positive reward.
A set of size k is reached along k! step orders, so a policy trained with P_B = 1 (the tree view) over-weights large
sets by k!; the uniform backward policy P_B = 1 / #parents removes that. Exact flows come from backward recursion.
"""

from __future__ import annotations

import itertools
import math

from tenfold.flowreason.env import Trajectory

STOP = "stop"


class ChooseSubset:
    name = "choose"

    def __init__(self, n: int = 4, m: int = 2):
        self.n, self.m, self.max_steps = n, m, m + 1
        sets = [frozenset(c) for k in range(1, m + 1) for c in itertools.combinations(range(n), k)]
        self.rewards = {s: float(1 + sum(s) ** 2) for s in sets}

    def vocab(self):
        return [str(i) for i in range(self.n)] + [STOP]

    def initial(self, problem):
        return (frozenset(), False)

    def actions(self, problem, state):
        items, stopped = state
        if stopped:
            return []
        grow = [str(i) for i in range(self.n) if i not in items] if len(items) < self.m else []
        return grow + ([STOP] if items else [])

    def step(self, problem, state, action):
        items, _ = state
        return (items, True) if action == STOP else (items | {int(action)}, False)

    def is_terminal(self, problem, state, depth):
        return state[1]

    def log_reward(self, problem, traj: Trajectory):
        return math.log(self.rewards[traj.final[0]])

    def is_correct(self, problem, traj):
        return True

    def n_parents(self, problem, state):
        items, stopped = state
        return 1 if stopped else max(len(items), 1)

    def context_tokens(self, problem, state):
        return sorted(str(i) for i in state[0])

    def action_tokens(self, action):
        return [action]

    def natural(self, action):
        return True

    def reference_solution(self, problem):
        best = max(self.rewards, key=self.rewards.get)
        return [str(i) for i in sorted(best)] + [STOP]

    def flows(self, beta: float = 1.0) -> dict:
        """State flows F(s) for the uniform backward policy and the target R^β."""
        f: dict = {(s, True): r**beta for s, r in self.rewards.items()}
        for k in range(self.m, -1, -1):
            for c in itertools.combinations(range(self.n), k):
                s = frozenset(c)
                total = f[(s, True)] if k else 0.0
                if k < self.m:
                    total += sum(f[(s | {i}, False)] / (k + 1) for i in range(self.n) if i not in s)
                f[(s, False)] = total
        return f

    def flow_policy(self, state, beta: float = 1.0) -> dict[str, float]:
        """P_F(a | s) = F(s') P_B(s | s') / F(s)."""
        f = self.flows(beta)
        out = {}
        for a in self.actions(None, state):
            child = self.step(None, state, a)
            out[a] = f[child] / self.n_parents(None, child) / f[state]
        return out

    def terminal(self, state):
        return state[0]
