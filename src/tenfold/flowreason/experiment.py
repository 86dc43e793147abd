"""One experiment = the prior (cached), one method trained on a task's training problems, evaluated on the training and
held-out problems; written to a run directory (``config.json``, ``env.json``, ``metrics.jsonl``, ``summary.json``,
``checkpoint.pt``, ``policy.pt``). Re-running the same command resumes from the checkpoint."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from tenfold.common.config import stable_hash
from tenfold.common.paths import cache_dir
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import seed_everything
from tenfold.flowreason.config import DataConfig, TrainConfig
from tenfold.flowreason.data import split
from tenfold.flowreason.env import Environment
from tenfold.flowreason.metrics import ProblemEval, evaluate, summarise
from tenfold.flowreason.reward import Reward
from tenfold.flowreason.trainer import Trainer, make_env, train_prior


def prior_problems(task: str, seed: int = 0) -> list[Any]:
    """What the prior's random walks start from: every Game24 multiset, or BlocksWorld instances of all three splits
    (drawn with another seed than the training and held-out problems)."""
    if task == "game24":
        from tenfold.flowreason.game24 import all_puzzles

        return all_puzzles()
    from tenfold.flowreason.blocksworld import generate_instances

    return [i for n in (2, 4, 6) for i in generate_instances(n, 40, seed=1000 + seed, slack=2)]


def load_prior(env: Environment, cfg: TrainConfig, progress: bool = False) -> nn.Module:
    """The prior policy of ``cfg`` (task, size, steps, seed), trained once and cached."""
    key = stable_hash({k: getattr(cfg, k) for k in ("task", "policy", "d_model", "n_layers", "prior_steps", "seed")})
    path = cache_dir("flowreason") / f"prior-{cfg.task}-{key}.pt"
    if path.exists():
        return torch.load(path, weights_only=False)
    prior = train_prior(env, prior_problems(cfg.task, cfg.seed), cfg, progress=progress)
    tmp = path.with_suffix(".tmp")
    torch.save(prior, tmp)
    tmp.replace(path)
    return prior


@dataclass(frozen=True)
class ExperimentConfig:
    """A train command: the method's config, which problems, and the evaluation."""

    train: TrainConfig
    data: DataConfig
    eval_k: int = 20
    """samples per problem at evaluation."""


@dataclass
class Outcome:
    train: list[ProblemEval]
    test: list[ProblemEval]
    summary: dict
    policy: nn.Module


def run_experiment(cfg: ExperimentConfig, out_dir: Path, progress: bool = False) -> Outcome:
    """Train (or resume) and evaluate one method; see the module docstring."""
    tc = cfg.train.validate()
    seed_everything(tc.seed)
    env = make_env(tc.task)
    train, test = split(tc.task, cfg.data)
    out_dir.mkdir(parents=True, exist_ok=True)
    run = RunDir.open(out_dir) if (out_dir / "config.json").exists() else RunDir.create(
        out_dir.parent, "flowreason", "custom", tc.seed, cfg, path=out_dir)  # fmt: skip
    prior = load_prior(env, tc, progress)
    t0 = time.perf_counter()
    trainer = Trainer(env, train, tc, prior)
    state = trainer.fit(out_dir / "checkpoint.pt", progress=progress, log=run.log)
    seconds = time.perf_counter() - t0
    torch.save(state.policy, out_dir / "policy.pt")
    reward = Reward(env, None, 0.0, form=tc.task)  # evaluation needs correctness only, not the likelihood term
    ev_train = evaluate(env, state.policy, train, cfg.eval_k, reward, seed=tc.seed)
    ev_test = evaluate(env, state.policy, test, cfg.eval_k, reward, seed=tc.seed) if test else []
    summary = {
        "task": tc.task,
        "method": tc.method,
        "seed": tc.seed,
        "train": summarise(ev_train),
        "test": summarise(ev_test) if ev_test else {},
        "samples": state.samples,
        "updates": state.epoch * len(train),
        "train_seconds": seconds,
    }
    run.write_summary(summary)
    return Outcome(ev_train, ev_test, summary, state.policy)


def sample_solutions(env: Environment, policy: nn.Module, problem: Any, k: int, seed: int = 0) -> list:
    """``k`` samples of a trained policy on one problem (temperature 1): the trajectories."""
    from tenfold.flowreason.sampling import rollouts

    reward = Reward(env, None, 0.0, form=env.name)
    return rollouts(env, policy, problem, k, random.Random(seed), reward)
