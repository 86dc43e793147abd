"""Evaluation (FoR Sec. 4): accuracy per sample and any-of-k, distinct correct solutions, creativity, exact L1.

The official code reports only any-of-k accuracy ("solved if any of 40 samples is correct"), which rewards spreading
samples; the per-sample accuracy is reported beside it. *Distinct correct@k* counts different correct step sequences
among k samples of a problem; *creativity* counts correct solutions a method found that no other method found.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from tenfold.common.seeding import derive_seed
from tenfold.flowreason.env import Environment, distinct_correct
from tenfold.flowreason.reward import Reward
from tenfold.flowreason.sampling import sample_k


@dataclass
class ProblemEval:
    problem: Any
    k: int
    n_correct: int
    solutions: set[tuple[str, ...]] = field(default_factory=set)
    """the distinct correct step sequences sampled."""


def evaluate(
    env: Environment,
    policy: nn.Module,
    problems: list[Any],
    k: int,
    reward: Reward,
    seed: int = 0,
    progress: bool = False,
) -> list[ProblemEval]:
    """``k`` samples per problem at temperature 1 without ε (the same random stream for every method)."""
    from tenfold.common.progress import track

    out = []
    items = track(list(enumerate(problems)), desc="eval") if progress else enumerate(problems)
    for i, x in items:
        rng = random.Random(derive_seed(seed, "eval", i))
        trajs = sample_k(env, policy, x, k, rng, reward)
        out.append(ProblemEval(x, k, sum(t.correct for t in trajs), distinct_correct(trajs)))
    return out


def summarise(evals: list[ProblemEval]) -> dict[str, float]:
    """Per-sample accuracy, any-of-k accuracy, mean distinct correct solutions per problem (all problems)."""
    n = len(evals)
    return {
        "sample_accuracy": sum(e.n_correct / e.k for e in evals) / n,
        "any_accuracy": sum(e.n_correct > 0 for e in evals) / n,
        "distinct_correct": sum(len(e.solutions) for e in evals) / n,
    }


def creativity(per_method: Mapping[str, list[ProblemEval]]) -> dict[str, float]:
    """Per method: mean number of correct solutions per problem that no other method sampled."""
    methods = list(per_method)
    n = len(next(iter(per_method.values())))
    out = {m: 0.0 for m in methods}
    for i in range(n):
        for m in methods:
            others = set().union(*(per_method[o][i].solutions for o in methods if o != m))
            out[m] += len(per_method[m][i].solutions - others) / n
    return out
