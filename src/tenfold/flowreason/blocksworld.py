"""BlocksWorld (FoR Sec. 4.1, the RAP/PlanBench task) as STRIPS with the four classic operators.

Facts: ``on x y``, ``ontable x``, ``clear x``, ``holding x``, ``handempty``. Operators (preconditions → effects):

* ``pick-up x``:   clear x, ontable x, handempty → holding x (and not clear x, ontable x, handempty)
* ``put-down x``:  holding x → clear x, ontable x, handempty
* ``stack x y``:   holding x, clear y → on x y, clear x, handempty (and not holding x, clear y)
* ``unstack x y``: on x y, clear x, handempty → holding x, clear y (and not on x y, clear x, handempty)

An instance is an initial state, a goal (a set of ``on`` facts, as in PlanBench) and its optimal plan length from
breadth-first search; instances are generated with optimal lengths 2, 4 and 6 (the paper's step-2/4/6 splits) and a
step limit of the optimal length plus ``slack``. A trajectory stops when the goal holds or at the limit. Reward as in
the official code: 100 if every goal fact holds, else 10 × the fraction that holds (a likelihood term under the prior
policy is added by :mod:`.reward`). The policy is offered only the valid actions of a state.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import deque
from dataclasses import dataclass

from tenfold.common.errors import UserError
from tenfold.flowreason.env import Trajectory

_INSTRUCTION = (
    "Move one block at a time (pick-up, put-down, stack, unstack) until the goal holds.\n"
    "Goal: a on b\nState: clear a, clear b, handempty, ontable a, ontable b\nNext: pick-up a\n"
    "State: clear b, holding a, ontable b\nNext: stack a b\n"
)
"""The 1-shot example of the LLM policy's prompt."""

Fact = tuple[str, ...]
State = frozenset[Fact]
BLOCKS = "abcdef"
VOCAB = ["pick-up", "put-down", "stack", "unstack", "on", "ontable", "clear", "holding", "handempty", "goal", "|"]
VOCAB += list(BLOCKS)


@dataclass(frozen=True)
class Instance:
    """One BlocksWorld problem."""

    blocks: str
    init: State
    goal: frozenset[Fact]
    optimal: int
    """length of a shortest plan (BFS)."""
    limit: int
    """the step limit of trajectories (optimal + slack)."""

    def __str__(self) -> str:
        goal = ", ".join(" ".join(f) for f in sorted(self.goal))
        return f"{describe(self.init)} → goal {goal} (optimal {self.optimal})"


def describe(state: State) -> str:
    return ", ".join(" ".join(f) for f in sorted(state))


def valid_actions(state: State, blocks: str) -> list[str]:
    """Applicable operators in a fixed order (pick-up, put-down, stack, unstack; blocks alphabetically)."""
    out = []
    hand = ("handempty",) in state
    for x in blocks:
        if hand and ("clear", x) in state and ("ontable", x) in state:
            out.append(f"pick-up {x}")
    for x in blocks:
        if ("holding", x) in state:
            out.append(f"put-down {x}")
            out += [f"stack {x} {y}" for y in blocks if y != x and ("clear", y) in state]
    if hand:
        for x in blocks:
            for y in blocks:
                if ("on", x, y) in state and ("clear", x) in state:
                    out.append(f"unstack {x} {y}")
    return out


def apply(state: State, action: str) -> State:
    """The STRIPS effect of a valid action."""
    op, *args = action.split()
    s = set(state)
    if op == "pick-up":
        (x,) = args
        s -= {("clear", x), ("ontable", x), ("handempty",)}
        s.add(("holding", x))
    elif op == "put-down":
        (x,) = args
        s.discard(("holding", x))
        s |= {("clear", x), ("ontable", x), ("handempty",)}
    elif op == "stack":
        x, y = args
        s -= {("holding", x), ("clear", y)}
        s |= {("on", x, y), ("clear", x), ("handempty",)}
    elif op == "unstack":
        x, y = args
        s -= {("on", x, y), ("clear", x), ("handempty",)}
        s |= {("holding", x), ("clear", y)}
    else:
        raise ValueError(f"unknown operator in '{action}'")
    return frozenset(s)


def from_towers(towers: list[list[str]]) -> State:
    """Towers listed bottom to top → the state's facts (hand empty)."""
    s: set[Fact] = {("handempty",)}
    for tower in towers:
        s.add(("ontable", tower[0]))
        s |= {("on", upper, lower) for lower, upper in itertools.pairwise(tower)}
        s.add(("clear", tower[-1]))
    return frozenset(s)


def optimal_length(init: State, goal: frozenset[Fact], blocks: str, cap: int = 20) -> int | None:
    """Breadth-first search for a shortest plan; None if none within ``cap`` steps."""
    if goal <= init:
        return 0
    seen, frontier = {init}, deque([(init, 0)])
    while frontier:
        state, d = frontier.popleft()
        if d >= cap:
            continue
        for a in valid_actions(state, blocks):
            nxt = apply(state, a)
            if nxt in seen:
                continue
            if goal <= nxt:
                return d + 1
            seen.add(nxt)
            frontier.append((nxt, d + 1))
    return None


def _random_towers(blocks: str, rng: random.Random) -> list[list[str]]:
    order = list(blocks)
    rng.shuffle(order)
    towers: list[list[str]] = []
    for b in order:
        if towers and rng.random() < 0.5:
            rng.choice(towers).append(b)
        else:
            towers.append([b])
    return towers


def generate_instances(
    optimal: int, n: int, seed: int = 0, n_blocks: tuple[int, ...] = (3, 4, 5), slack: int = 0
) -> list[Instance]:
    """``n`` distinct instances whose shortest plan has exactly ``optimal`` steps (deterministic in ``seed``)."""
    if optimal < 1 or optimal % 2:
        raise UserError(f"BlocksWorld optimal plan lengths are even and positive (2, 4, 6, ...), not {optimal}")
    rng = random.Random(seed * 1000 + optimal)
    out: list[Instance] = []
    seen: set[tuple[State, frozenset[Fact]]] = set()
    for _ in range(200_000):
        if len(out) == n:
            break
        blocks = BLOCKS[: rng.choice(n_blocks)]
        init = from_towers(_random_towers(blocks, rng))
        goal = frozenset(f for f in from_towers(_random_towers(blocks, rng)) if f[0] == "on")
        if not goal or (init, goal) in seen:
            continue
        seen.add((init, goal))
        if optimal_length(init, goal, blocks, cap=optimal) == optimal:
            out.append(Instance(blocks, init, goal, optimal, optimal + slack))
    if len(out) < n:
        raise UserError(f"could only generate {len(out)} BlocksWorld instances of optimal length {optimal}")
    return out


class BlocksWorld:
    """The BlocksWorld environment (see the module docstring)."""

    name = "blocksworld"
    max_steps = 8

    def vocab(self) -> list[str]:
        return VOCAB

    def initial(self, problem: Instance) -> State:
        return problem.init

    def actions(self, problem: Instance, state: State) -> list[str]:
        return valid_actions(state, problem.blocks)

    def step(self, problem: Instance, state: State, action: str) -> State:
        if action not in valid_actions(state, problem.blocks):
            raise ValueError(f"'{action}' is not valid in {describe(state)}")
        return apply(state, action)

    def is_terminal(self, problem: Instance, state: State, depth: int) -> bool:
        return problem.goal <= state or depth >= problem.limit

    def satisfied(self, problem: Instance, state: State) -> float:
        return len(problem.goal & state) / len(problem.goal)

    def is_correct(self, problem: Instance, trajectory: Trajectory) -> bool:
        return problem.goal <= trajectory.final

    def log_reward(self, problem: Instance, trajectory: Trajectory) -> float:
        frac = self.satisfied(problem, trajectory.final)
        return math.log(100.0 if frac == 1 else max(10.0 * frac, 1e-3))  # 1e-3 floor: log R stays finite

    def n_parents(self, problem: Instance, state: State) -> int:
        return 1  # the sampled object is the plan (the step sequence): one parent per history

    def context_tokens(self, problem: Instance, state: State) -> list[str]:
        goal = [w for f in sorted(problem.goal) for w in f]
        return ["goal", *goal, "|", *[w for f in sorted(state) for w in f]]

    def action_tokens(self, action: str) -> list[str]:
        return action.split()

    def prompt(self, problem: Instance, state: State) -> str:
        """The LLM policy's text of (problem, state): a 1-shot instruction, the goal and the current facts."""
        goal = ", ".join(f"{f[1]} on {f[2]}" for f in sorted(problem.goal))
        return f"{_INSTRUCTION}Goal: {goal}\nState: {describe(state)}\nNext:"

    def action_text(self, action: str) -> str:
        return f" {action}\n"

    def reference_solution(self, problem: Instance) -> list[str]:
        """One shortest plan (BFS, first in action order): SFT's single reference per problem."""
        parent: dict[State, tuple[State, str] | None] = {problem.init: None}
        frontier = deque([problem.init])
        while frontier:
            state = frontier.popleft()
            if problem.goal <= state:
                plan = []
                while parent[state] is not None:
                    state, a = parent[state]  # type: ignore[misc]
                    plan.append(a)
                return plan[::-1]
            for a in valid_actions(state, problem.blocks):
                nxt = apply(state, a)
                if nxt not in parent:
                    parent[nxt] = (state, a)
                    frontier.append(nxt)
        raise UserError(f"BlocksWorld instance has no plan: {problem}")

    def natural(self, action: str) -> bool:
        return True
