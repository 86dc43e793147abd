"""ProntoQA-style logic chains (FoR Sec. 4; Saparov & He 2023): prove or refute "E is p" by chaining rules.

A problem is a small fictional ontology ("Every wumpus is a yumpus.", "Every yumpus is not bright."), a fact
"E is a c_0." and a query "True or false: E is p." The gold proof walks a chain c_0 → c_1 → … → c_h (h = 3, 4 or 5
hops, as in ProntoQA's 3/4/5-hop splits) and ends with the property rule of c_h. Distractor rules branch off the chain
into categories with other properties; *bypass* categories (``Every c_i is a b.``, ``Every b is a c_j.``) give further
correct proofs, so that a problem has several distinct solutions (the diversity FoR is after). Every property appears
with one polarity only, so the ontology is consistent and the answer (True / False) is fixed by the proof.

A step applies one rule whose subject is the entity's current category (only valid deductions are offered, as only
valid moves are in BlocksWorld); a property rule ends the proof. A trajectory ends there, at a category without rules,
or at the step limit (h + 3). Reward: 100 if the proof concludes the queried property, else 0.01. The official code
rewards each step whose subject chains to the previous conclusion (20 each, summed) and the last one if it chains to
the query; offering only valid deductions makes every step chain, and the sum would pay detours, so only the outcome is
rewarded here. No likelihood term by default (the official ProntoQA reward has none).
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

from tenfold.common.errors import UserError
from tenfold.flowreason.env import Trajectory

CATEGORIES = (
    "wumpus",
    "yumpus",
    "zumpus",
    "dumpus",
    "rompus",
    "numpus",
    "tumpus",
    "vumpus",
    "impus",
    "jompus",
    "gorpus",
    "shumpus",
    "lempus",
    "sterpus",
    "grimpus",
    "lorpus",
    "brimpus",
    "lumpus",
    "frompus",
    "kempus",
    "sumpus",
    "quimpus",
    "felpus",
    "hompus",
    "yompus",
    "dalpus",
    "wempus",
    "borpus",
)
PROPERTIES = (
    "bright",
    "dull",
    "large",
    "small",
    "red",
    "blue",
    "hot",
    "cold",
    "sour",
    "sweet",
    "fast",
    "slow",
    "metallic",
    "wooden",
    "transparent",
    "opaque",
    "kind",
    "mean",
    "fruity",
    "spicy",
)
ENTITIES = ("Alex", "Max", "Sam", "Rex", "Fae", "Wren", "Polly", "Stella", "Sally")

Rule = tuple[str, str, str]
"""(subject category, relation, object): relation "isa" (object a category), "is" or "not" (object a property)."""


def rule_text(rule: Rule) -> str:
    subj, rel, obj = rule
    if rel == "isa":
        return f"Every {subj} is a {obj}."
    return f"Every {subj} is {'not ' if rel == 'not' else ''}{obj}."


@dataclass(frozen=True)
class Problem:
    """One ProntoQA-style problem."""

    entity: str
    start: str
    """c_0: the entity's category in the given fact."""
    rules: tuple[Rule, ...]
    prop: str
    """the queried property p."""
    answer: bool
    """the truth of "E is p"."""
    hops: int
    limit: int
    """the step limit of trajectories."""
    gold: tuple[Rule, ...] = ()
    """the gold proof (the chain and its property rule)."""

    def __str__(self) -> str:
        return f"{self.entity} is a {self.start}; True or false: {self.entity} is {self.prop}? ({self.hops} hops)"

    def text(self) -> str:
        """The problem as ProntoQA states it."""
        return " ".join(
            [
                *(rule_text(r) for r in self.rules),
                f"{self.entity} is a {self.start}.",
                f"True or false: {self.entity} is {self.prop}.",
            ]
        )


def generate(hops: int, n: int, seed: int = 0, distractors: int = 6, bypasses: int = 2) -> list[Problem]:
    """``n`` distinct problems whose gold proof has ``hops`` category steps (deterministic in ``seed``)."""
    if not 1 <= hops <= 8:
        raise UserError(f"ProntoQA hops must be between 1 and 8, not {hops}")
    if hops + 1 + 2 * distractors + bypasses > len(CATEGORIES) or distractors + 1 > len(PROPERTIES):
        raise UserError(
            f"too many ProntoQA categories asked for ({hops} hops, {distractors} distractors, {bypasses} "
            f"bypasses; at most {len(CATEGORIES)} category names)"
        )
    rng = random.Random(seed * 7919 + hops)
    out: list[Problem] = []
    seen: set[tuple] = set()
    for _ in range(100 * n + 100):
        if len(out) == n:
            break
        cats = rng.sample(CATEGORIES, hops + 1 + 2 * distractors + bypasses)
        chain, rest = cats[: hops + 1], cats[hops + 1 :]
        props = rng.sample(PROPERTIES, 1 + distractors)
        prop, others = props[0], props[1:]
        answer = rng.random() < 0.5
        gold: list[Rule] = [(a, "isa", b) for a, b in itertools.pairwise(chain)]
        gold.append((chain[-1], "is" if answer else "not", prop))
        rules = list(gold)
        for d in range(distractors):  # a branch of 1–2 categories off the chain, ending in another property
            x, y = rest[2 * d], rest[2 * d + 1]
            rules.append((chain[rng.randrange(hops)], "isa", x))
            if rng.random() < 0.5:
                rules.append((x, "isa", y))
                x = y
            rules.append((x, rng.choice(("is", "not")), others[d]))
        for b in range(bypasses):  # another route from c_i to c_j (j > i): a further correct proof
            x = rest[2 * distractors + b]
            i = rng.randrange(hops)
            j = rng.randrange(i + 1, hops + 1)
            rules += [(chain[i], "isa", x), (x, "isa", chain[j])]
        rng.shuffle(rules)
        problem = Problem(rng.choice(ENTITIES), chain[0], tuple(rules), prop, answer, hops, hops + 3, tuple(gold))
        key = (problem.start, problem.rules)
        if key not in seen:
            seen.add(key)
            out.append(problem)
    return out


class ProntoQA:
    """The ProntoQA-style environment (see the module docstring). A state is (current category or concluded
    property, number of steps): a step sequence is a proof, so each state has one parent in the tree view."""

    name = "prontoqa"
    max_steps = 11
    """8 hops + the step limit's 3 extra steps."""

    def vocab(self) -> list[str]:
        return [*CATEGORIES, *PROPERTIES, *ENTITIES, "isa", "is", "not", "query", "at", "rules", "|"]

    def initial(self, problem: Problem) -> tuple[str, int, str]:
        return (problem.start, 0, "")

    def actions(self, problem: Problem, state: tuple[str, int, str]) -> list[str]:
        current, depth, concluded = state
        if concluded or depth >= problem.limit:
            return []
        return [rule_text(r) for r in problem.rules if r[0] == current]

    def step(self, problem: Problem, state: tuple[str, int, str], action: str) -> tuple[str, int, str]:
        current, depth, _ = state
        for r in problem.rules:
            if r[0] == current and rule_text(r) == action:
                return (r[2], depth + 1, "" if r[1] == "isa" else r[1])
        raise ValueError(f"'{action}' does not apply to a {current}")

    def is_terminal(self, problem: Problem, state: tuple[str, int, str], depth: int) -> bool:
        return not self.actions(problem, state)

    def conclusion(self, trajectory: Trajectory) -> tuple[str, bool] | None:
        """(property, holds) that a proof concludes, or None if it ends without one."""
        obj, _, rel = trajectory.final
        return (obj, rel == "is") if rel else None

    def is_correct(self, problem: Problem, trajectory: Trajectory) -> bool:
        got = self.conclusion(trajectory)
        return got is not None and got[0] == problem.prop

    def log_reward(self, problem: Problem, trajectory: Trajectory) -> float:
        return math.log(100.0 if self.is_correct(problem, trajectory) else 0.01)

    def n_parents(self, problem: Problem, state: tuple[str, int, str]) -> int:
        return 1

    def context_tokens(self, problem: Problem, state: tuple[str, int, str]) -> list[str]:
        current, _, _ = state
        rules = [w for r in problem.rules for w in r]
        return ["query", problem.prop, "at", current, "rules", *rules]

    def action_tokens(self, action: str) -> list[str]:
        words = action.rstrip(".").split()  # "Every x is a y" / "Every x is (not) p"
        return [words[1], "isa", words[-1]] if words[-2] == "a" else [words[1], words[-2], words[-1]]

    def prompt(self, problem: Problem, state: tuple[str, int, str]) -> str:
        """The LLM policy's text: the rules, the query and what the entity is now known to be."""
        current, _, _ = state
        return f"{problem.text()}\n{problem.entity} is a {current}.\nNext:"

    def action_text(self, action: str) -> str:
        return f" {action}\n"

    def reference_solution(self, problem: Problem) -> list[str]:
        """The gold proof (the chain c_0 → … → c_h, then the property rule): SFT's single reference."""
        if not problem.gold:
            raise UserError(f"ProntoQA problem has no gold proof: {problem}")
        return [rule_text(r) for r in problem.gold]

    def answer_text(self, trajectory: Trajectory, problem: Problem) -> str:
        got = self.conclusion(trajectory)
        return "unknown" if got is None else str(got[1])

    def natural(self, action: str) -> bool:
        return True
