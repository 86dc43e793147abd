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

from tenfold.common.cache import cached, cached_dir, entry_path, lookup
from tenfold.common.readers import load_torch
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import seed_everything, torch_threads
from tenfold.flowreason.config import DataConfig, PolicyTrainConfig
from tenfold.flowreason.data import split
from tenfold.flowreason.env import Environment
from tenfold.flowreason.metrics import ProblemEval, evaluate, summarise
from tenfold.flowreason.reward import Reward
from tenfold.flowreason.trainer import PolicyTrainer, make_env, train_prior


def prior_problems(task: str, seed: int = 0) -> list[Any]:
    """What the prior's random walks start from: every Game24 multiset, or BlocksWorld instances / ProntoQA problems of
    all three splits (drawn with another seed than the training and held-out problems)."""
    if task == "game24":
        from tenfold.flowreason.game24 import all_puzzles

        return all_puzzles()
    if task == "prontoqa":
        from tenfold.flowreason.prontoqa import generate

        return [p for hops in (3, 4, 5) for p in generate(hops, 40, seed=1000 + seed)]
    from tenfold.flowreason.blocksworld import generate_instances

    return [i for n in (2, 4, 6) for i in generate_instances(n, 40, seed=1000 + seed, slack=2)]


def load_prior(env: Environment, cfg: PolicyTrainConfig, progress: bool = False) -> nn.Module:
    """The prior policy of ``cfg`` (task, size, steps, seed), trained once and cached (an LLM prior is the
    pretrained LM itself: loaded, not cached)."""
    if cfg.policy == "llm":
        return train_prior(env, [], cfg)
    with torch_threads(threads_for(cfg)):
        return _cached_prior(env, cfg, progress)


def _cached_prior(env: Environment, cfg: PolicyTrainConfig, progress: bool) -> nn.Module:
    key = {k: getattr(cfg, k) for k in ("task", "policy", "d_model", "n_layers", "prior_steps", "seed")}
    return cached(
        "flowreason-priors",
        key,
        lambda: train_prior(env, prior_problems(cfg.task, cfg.seed), cfg, progress=progress),
        codec="pickle",
        label=f"{cfg.task}-s{cfg.seed}",
    )


@dataclass(frozen=True)
class ExperimentConfig:
    """A train command: the method's config, which problems, and the evaluation."""

    train: PolicyTrainConfig
    data: DataConfig
    eval_k: int = 20
    """samples per problem at evaluation."""


@dataclass
class Outcome:
    train: list[ProblemEval]
    test: list[ProblemEval]
    summary: dict
    policy: nn.Module


def _open_run(cfg: ExperimentConfig, out_dir: Path) -> RunDir:
    """The run directory of ``cfg``: created, or reopened if it holds the same config (a different one is an error,
    so that a typo in --out-dir never resumes someone else's run)."""
    RunDir.check_same_config(out_dir, cfg)
    if not (out_dir / "config.json").exists():
        return RunDir.create(out_dir.parent, "flowreason", "custom", cfg.train.seed, cfg, path=out_dir)
    return RunDir.open(out_dir)


def _write_evals(run: RunDir, train: list[ProblemEval], test: list[ProblemEval]) -> None:
    rows = {
        name: [
            {
                "problem": str(e.problem),
                "k": e.k,
                "n_correct": e.n_correct,
                "solutions": sorted(list(s) for s in e.solutions),
            }
            for e in evals
        ]
        for name, evals in (("train", train), ("test", test))
    }
    run.write_json("evals.json", rows)


def _read_evals(run: RunDir) -> tuple[list[ProblemEval], list[ProblemEval]]:
    rows = run.read_json("evals.json")
    back = {
        name: [
            ProblemEval(r["problem"], r["k"], r["n_correct"], {tuple(s) for s in r["solutions"]}) for r in rows[name]
        ]
        for name in ("train", "test")
    }
    return back["train"], back["test"]


def threads_for(cfg: PolicyTrainConfig) -> int | None:
    """Torch threads of a run: one for the small policies (their numbers then do not depend on the machine's core
    count; they gain little from more), all for an LLM policy (None: unchanged)."""
    return None if cfg.policy == "llm" else 1


def run_experiment(cfg: ExperimentConfig, out_dir: Path, progress: bool = False) -> Outcome:
    """Train (or resume) and evaluate one method; see the module docstring. A finished run directory of the same
    config is read back (summary, per-problem evaluations, policy) instead of being recomputed."""
    with torch_threads(threads_for(cfg.train)):
        return _run_experiment(cfg, out_dir, progress)


def _run_experiment(cfg: ExperimentConfig, out_dir: Path, progress: bool) -> Outcome:
    tc = cfg.train.validate()
    run = _open_run(cfg, out_dir)
    if all((out_dir / f).exists() for f in ("summary.json", "evals.json", "policy.pt")):
        ev_train, ev_test = _read_evals(run)
        policy = load_torch(out_dir / "policy.pt", "policy file")
        return Outcome(ev_train, ev_test, run.summary() or {}, policy)
    seed_everything(tc.seed)
    env = make_env(tc.task)
    train, test = split(tc.task, cfg.data)
    prior = load_prior(env, tc, progress)
    t0 = time.perf_counter()
    trainer = PolicyTrainer(env, train, tc, prior)
    checkpoint = out_dir / "checkpoint.pt"
    if checkpoint.exists():
        trainer.load(checkpoint)
        run.truncate_metrics(trainer.state.epoch)  # rows logged after the checkpoint are redone
    state = trainer.fit(checkpoint, progress=progress, log=run.log)
    seconds = time.perf_counter() - t0
    torch.save(state.policy, out_dir / "policy.pt")
    reward = Reward(env, None, 0.0, form=tc.task)  # evaluation needs correctness only, not the likelihood term
    ev_train = evaluate(env, state.policy, train, cfg.eval_k, reward, seed=tc.seed)
    ev_test = evaluate(env, state.policy, test, cfg.eval_k, reward, seed=tc.seed) if test else []
    _write_evals(run, ev_train, ev_test)
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


def cached_experiment(cfg: ExperimentConfig, progress: bool = False) -> Path:
    """The run directory of ``cfg`` in the cache, trained and evaluated first if needed (an interrupted run
    resumes from its checkpoint). Keyed by the config and the source of ``tenfold.flowreason``: a code change
    retrains, and a repeated ``tenfold reproduce`` reads finished runs."""
    return cached_dir(
        "flowreason-runs",
        {"config": cfg},
        lambda out: run_experiment(cfg, out, progress),
        code=CODE,
        label=_label(cfg),
        resume=True,
    )


def experiment_dir(cfg: ExperimentConfig) -> Path:
    """Where :func:`cached_experiment` keeps the run of ``cfg`` (whether or not it exists yet)."""
    return entry_path("flowreason-runs", {"config": cfg}, CODE, _label(cfg))


def is_cached(cfg: ExperimentConfig) -> bool:
    """Whether :func:`cached_experiment` would read ``cfg``'s run back instead of training it."""
    return lookup("flowreason-runs", {"config": cfg}, CODE, _label(cfg)) is not None


CODE = ("tenfold.flowreason",)
"""What a cached run depends on besides its config."""


def _label(cfg: ExperimentConfig) -> str:
    return f"{cfg.train.task}-{cfg.train.method}-s{cfg.train.seed}"


def sample_solutions(env: Environment, policy: nn.Module, problem: Any, k: int, seed: int = 0) -> list:
    """``k`` samples of a trained policy on one problem (temperature 1): the trajectories."""
    from tenfold.flowreason.sampling import rollouts

    reward = Reward(env, None, 0.0, form=env.name)
    return rollouts(env, policy, problem, k, random.Random(seed), reward)
