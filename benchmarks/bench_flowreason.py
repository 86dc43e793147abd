"""Flow of Reasoning benchmarks, printed as JSON: training updates and sampled trajectories per second for every
method on the same problems and sample budget, and the cost of a FoR update relative to a REINFORCE update (the
reviewers' concern: FoR's replay, local search and prior-likelihood reward make each update dearer).

python benchmarks/bench_flowreason.py [--epochs 10] [--task game24|blocksworld|prontoqa]
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from tenfold.common.seeding import seed_everything
from tenfold.flowreason.config import METHODS, TASKS, DataConfig, PolicyTrainConfig
from tenfold.flowreason.data import split
from tenfold.flowreason.experiment import prior_problems
from tenfold.flowreason.trainer import PolicyTrainer, make_env, train_prior


def bench(task: str, epochs: int) -> dict:
    seed_everything(0)
    torch.set_num_threads(1)  # one core per run, as in the reproduction's worker processes
    env = make_env(task)
    train, _ = split(task, DataConfig(n_test=0))
    base = PolicyTrainConfig(task=task, epochs=epochs, prior_steps=100)
    prior = train_prior(env, prior_problems(task), base)
    out: dict = {"task": task, "problems": len(train), "epochs": epochs, "methods": {}}
    for method in METHODS:
        trainer = PolicyTrainer(env, train, PolicyTrainConfig(**{**base.__dict__, "method": method}), prior)
        t0 = time.perf_counter()
        state = trainer.fit()
        seconds = time.perf_counter() - t0
        updates = epochs * len(train)
        out["methods"][method] = {
            "updates_per_s": updates / seconds,
            "samples_per_s": state.samples / seconds,
            "samples": state.samples,
            "seconds": seconds,
        }
    ms = {m: 1 / v["updates_per_s"] for m, v in out["methods"].items()}
    out["for_update_cost_over_reinforce"] = ms["for"] / ms["reinforce"]
    out["ppo_update_cost_over_reinforce"] = ms["ppo"] / ms["reinforce"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--task", default="all", choices=("all", *TASKS))
    args = parser.parse_args()
    tasks = TASKS if args.task == "all" else (args.task,)
    print(json.dumps([bench(t, args.epochs) for t in tasks], indent=2))


if __name__ == "__main__":
    main()
