"""Game24 (FoR Sec. 4, ToT's task): combine four numbers with + − × ÷ into 24, one operation per step, exactly.

A state is the multiset of numbers still in play, each with the expression that made it; a step picks two of them and
one of six operations (a+b, a×b, a−b, b−a, a/b, b/a) and replaces them by the result (``Fraction`` arithmetic, so
8 / (3 − 8/3) is exactly 24). Three steps reach one number: the trajectory is correct when it is 24. The step text is
``"8 / 1/3 = 24"``-style arithmetic on values; the final expression (``"8 / (3 - 8 / 3) = 24"``) is what ``solve``
prints. A puzzle has at most 36 × 18 × 6 = 3,888 trajectories, so the exact target distribution is always known.

Rewards as in the official code: 100 if the result is 24, else 0.001 (a likelihood term under the prior policy is added
by :mod:`.reward`, not here). The object sampled is the trajectory (the step sequence), so each state has one parent.
"""

from __future__ import annotations

import functools
import itertools
import math
from fractions import Fraction

from tenfold.common.errors import UserError
from tenfold.flowreason.env import Trajectory

Number = tuple[Fraction, str]
"""(value, expression)."""
State = tuple[Number, ...]
Puzzle = tuple[int, int, int, int]

TARGET = Fraction(24)
SUCCESS, FAILURE = 100.0, 0.001
VOCAB = list("0123456789+-*/=() |")


_INSTRUCTION = (
    "Combine the numbers with + - * / into 24, one operation per step.\n"
    "Input: 4 4 6 8\nLeft: 4 4 6 8\nNext: 4 + 8 = 12\nLeft: 4 6 12\nNext: 6 - 4 = 2\nLeft: 2 12\nNext: 2 * 12 = 24\n"
)
"""The 1-shot example of the LLM policy's prompt (the official code prompts its LLM with solved examples)."""


def fmt(v: Fraction) -> str:
    return str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}"


def parse_puzzle(text: str | Puzzle) -> Puzzle:
    """``"4 7 8 8"`` (or four ints) → a sorted puzzle; one-line errors for anything else."""
    if isinstance(text, str):
        parts = text.replace(",", " ").split()
        try:
            nums = [int(p) for p in parts]
        except ValueError:
            raise UserError(
                f"malformed Game24 puzzle '{text}': give four integers from 1 to 13, e.g. '4 7 8 8'"
            ) from None
    else:
        nums = list(text)
    if len(nums) != 4 or not all(1 <= n <= 13 for n in nums):
        raise UserError(f"malformed Game24 puzzle {text!r}: give four integers from 1 to 13, e.g. '4 7 8 8'")
    return tuple(sorted(nums))  # type: ignore[return-value]


def _operand(v: Fraction) -> str:
    """A value inside a step's text: fractions and negatives in parentheses (``8 / (1/3) = 24``)."""
    return fmt(v) if v >= 0 and v.denominator == 1 else f"({fmt(v)})"


def _wrap(expr: str) -> str:
    return expr if expr.lstrip("-").isdigit() else f"({expr})"


def combine(a: Number, b: Number) -> list[tuple[str, Number]]:
    """The six operations on a pair: (step text, new number); division by zero is skipped."""
    (x, ex), (y, ey) = a, b
    out = [
        (f"{_operand(x)} + {_operand(y)} = {fmt(x + y)}", (x + y, f"{_wrap(ex)} + {_wrap(ey)}")),
        (f"{_operand(x)} * {_operand(y)} = {fmt(x * y)}", (x * y, f"{_wrap(ex)} * {_wrap(ey)}")),
        (f"{_operand(x)} - {_operand(y)} = {fmt(x - y)}", (x - y, f"{_wrap(ex)} - {_wrap(ey)}")),
        (f"{_operand(y)} - {_operand(x)} = {fmt(y - x)}", (y - x, f"{_wrap(ey)} - {_wrap(ex)}")),
    ]
    if y != 0:
        out.append((f"{_operand(x)} / {_operand(y)} = {fmt(x / y)}", (x / y, f"{_wrap(ex)} / {_wrap(ey)}")))
    if x != 0:
        out.append((f"{_operand(y)} / {_operand(x)} = {fmt(y / x)}", (y / x, f"{_wrap(ey)} / {_wrap(ex)}")))
    return out


def _sorted(numbers) -> State:
    return tuple(sorted(numbers, key=lambda n: (n[0], n[1])))


@functools.lru_cache(maxsize=200_000)
def _moves(state: State) -> tuple[tuple[str, State], ...]:
    """Valid steps of a state (first occurrence of each step text) and the states they lead to."""
    seen: dict[str, State] = {}
    for i, j in itertools.combinations(range(len(state)), 2):
        rest = [n for k, n in enumerate(state) if k not in (i, j)]
        for text, new in combine(state[i], state[j]):
            seen.setdefault(text, _sorted([*rest, new]))
    return tuple(seen.items())


def _values(state: State) -> tuple[Fraction, ...]:
    return tuple(v for v, _ in state)


@functools.cache
def _reaches_24(vals: tuple[Fraction, ...]) -> bool:
    """Whether these values (sorted) can make exactly 24; memoised, so sub-multisets are shared between puzzles."""
    if len(vals) == 1:
        return vals[0] == TARGET
    for i, j in itertools.combinations(range(len(vals)), 2):
        rest = [v for k, v in enumerate(vals) if k not in (i, j)]
        x, y = vals[i], vals[j]
        cands = {x + y, x * y, x - y, y - x} | ({x / y} if y else set()) | ({y / x} if x else set())
        if any(_reaches_24(tuple(sorted([*rest, c]))) for c in cands):
            return True
    return False


def solvable(puzzle: Puzzle) -> bool:
    """Whether some sequence of steps reaches exactly 24."""
    return _reaches_24(tuple(Fraction(n) for n in sorted(puzzle)))


def all_puzzles() -> list[Puzzle]:
    """The 1,820 multisets of four numbers from 1..13, in lexicographic order."""
    return list(itertools.combinations_with_replacement(range(1, 14), 4))  # type: ignore[return-value]


def solvable_puzzles() -> list[Puzzle]:
    """The solvable ones (1,362, the size of ToT's 24.csv)."""
    return [p for p in all_puzzles() if solvable(p)]


class Game24:
    """The Game24 environment (see the module docstring)."""

    name = "game24"
    max_steps = 3

    def vocab(self) -> list[str]:
        return VOCAB

    def initial(self, problem: Puzzle) -> State:
        return _sorted((Fraction(n), str(n)) for n in problem)

    def actions(self, problem: Puzzle, state: State) -> list[str]:
        return [t for t, _ in _moves(state)] if len(state) > 1 else []

    def step(self, problem: Puzzle, state: State, action: str) -> State:
        for text, nxt in _moves(state):
            if text == action:
                return nxt
        raise ValueError(f"'{action}' is not a valid step from {self.describe(state)}")

    def is_terminal(self, problem: Puzzle, state: State, depth: int) -> bool:
        return len(state) == 1

    def result(self, state: State) -> Fraction | None:
        return state[0][0] if len(state) == 1 else None

    def is_correct(self, problem: Puzzle, trajectory: Trajectory) -> bool:
        return self.result(trajectory.final) == TARGET

    def log_reward(self, problem: Puzzle, trajectory: Trajectory) -> float:
        return math.log(SUCCESS if self.is_correct(problem, trajectory) else FAILURE)

    def n_parents(self, problem: Puzzle, state: State) -> int:
        return 1

    def describe(self, state: State) -> str:
        return " ".join(fmt(v) for v in _values(state))

    def context_tokens(self, problem: Puzzle, state: State) -> list[str]:
        return list(" ".join(str(n) for n in problem) + " | " + self.describe(state))

    def action_tokens(self, action: str) -> list[str]:
        return list(action)

    def prompt(self, problem: Puzzle, state: State) -> str:
        """The LLM policy's text of (problem, state): a 1-shot instruction, then the numbers left (Markovian)."""
        return f"{_INSTRUCTION}Input: {' '.join(map(str, problem))}\nLeft: {self.describe(state)}\nNext:"

    def action_text(self, action: str) -> str:
        return f" {action}\n"

    def expression(self, trajectory: Trajectory) -> str:
        """The final expression of a complete trajectory, e.g. ``"(8 - 4) * (7 - 1) = 24"``."""
        value, expr = trajectory.final[0]
        return f"{expr} = {fmt(value)}"

    def reference_solution(self, problem: Puzzle) -> list[str]:
        """One correct step sequence (the first in action order): SFT's single reference per problem."""

        def go(state: State) -> list[str] | None:
            if len(state) == 1:
                return [] if state[0][0] == TARGET else None
            for text, nxt in _moves(state):
                rest = go(nxt)
                if rest is not None:
                    return [text, *rest]
            return None

        sol = go(self.initial(problem))
        if sol is None:
            raise UserError(f"Game24 puzzle {' '.join(map(str, problem))} has no solution")
        return sol

    def natural(self, action: str) -> bool:
        """A step a person would write: a non-negative integer result (the official code's random fallback)."""
        result = action.rsplit("= ", 1)[1]
        return result.isdigit()
