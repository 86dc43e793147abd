"""``tenfold flowreason train|eval|solve``."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    existing_dir,
    non_negative_int,
    positive_int,
    print_config,
)
from tenfold.common.config import apply_overrides
from tenfold.common.errors import UserError
from tenfold.flowreason.config import METHODS, TASKS


def register(sub) -> None:
    inner = add_group(
        sub,
        "flowreason",
        help="Flow of Reasoning: GFlowNet fine-tuning for diverse multi-step reasoning",
        description="Flow of Reasoning (Yu et al., arXiv 2406.05673): GFlowNet fine-tuning for diverse reasoning",
    )

    p = add_command(
        inner,
        "train",
        _train,
        "train one method on a task's training problems and evaluate it",
        example="tenfold flowreason train --task game24 --method for --preset test --out-dir runs/fr-try",
    )
    p.add_argument("--task", default="game24", help=f"one of {', '.join(TASKS)} (default game24)")
    p.add_argument("--method", default="for", help=f"one of {', '.join(METHODS)} (default for)")
    p.add_argument(
        "--policy",
        default="transformer",
        choices=("transformer", "tabular", "llm"),
        help="transformer (default: small action scorer with a pre-trained prior), tabular, or llm (a "
        "causal LM + LoRA scoring each action's text; slow on CPU: use few problems and epochs)",
    )
    p.add_argument("--llm", default="smollm2", help="the LM of --policy llm: smollm2 or a local model directory")
    p.add_argument(
        "--k", type=positive_int, default=None, help="samples per problem at evaluation (default: the preset's)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_run_args(p, out_dir_help="run directory (default runs/flowreason-<task>-<method>-s<seed>; re-run resumes)")

    p = add_command(
        inner,
        "eval",
        _eval,
        "evaluate a trained run: accuracy per sample and any-of-k, distinct correct",
        example="tenfold flowreason eval runs/fr-try --k 20",
    )
    p.add_argument("run", type=existing_dir, help="a run directory written by `tenfold flowreason train`")
    p.add_argument("--k", type=positive_int, default=20, help="samples per problem (default 20)")
    p.add_argument("--split", choices=("train", "test", "both"), default="both", help="which problems (default both)")
    p.add_argument(
        "--seed",
        type=non_negative_int,
        default=None,
        help="sampling seed (default: the run's training seed, which gives the numbers its training reported)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")

    p = add_command(
        inner,
        "solve",
        _solve,
        "list the distinct solutions a trained policy samples for a puzzle",
        example='tenfold flowreason solve "4 7 8 8" --run runs/fr-try',
    )
    p.add_argument("--task", default="game24", help="game24 (puzzles are given as four numbers)")
    p.add_argument("puzzle", help='e.g. "4 7 8 8"')
    p.add_argument(
        "--run", type=existing_dir, default=None, help="a trained run (default: train or load the cached FoR one)"
    )
    p.add_argument("--k", type=positive_int, default=64, help="samples (default 64)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed (default 0)")


def _experiment(args: argparse.Namespace):
    from tenfold.flowreason.config import method_config, repro_config
    from tenfold.flowreason.experiment import ExperimentConfig

    if args.task not in TASKS:
        raise UserError(f"unknown task '{args.task}' (choose from {', '.join(TASKS)})")
    if args.method not in METHODS:
        raise UserError(f"unknown method '{args.method}' (choose from {', '.join(METHODS)})")
    rc = repro_config(args.preset)
    train = method_config(rc, args.task, args.method, args.seed)
    if args.policy == "llm":
        # the official code's rate for its LoRA adapters (1e-4); the preset's 3e-3 is for the small transformer
        train = replace(train, policy="llm", llm=args.llm, lr=1e-4)
    elif args.policy == "tabular":
        train = replace(train, policy="tabular")
    cfg = ExperimentConfig(train, rc.data, rc.eval_k)
    cfg = apply_overrides(cfg, args.overrides)
    if args.k:
        cfg = replace(cfg, eval_k=args.k)
    return cfg


def _print_summary(summary: dict, as_json: bool) -> None:
    from tenfold.common.tables import print_table

    if as_json:
        print(json.dumps(summary, indent=2))
        return
    rows = [
        [split, f"{100 * m['sample_accuracy']:.1f}", f"{100 * m['any_accuracy']:.1f}", f"{m['distinct_correct']:.2f}"]
        for split, m in (("train", summary["train"]), ("test", summary.get("test") or {}))
        if m
    ]
    title = f"{summary['task']} / {summary['method']} (seed {summary['seed']})"
    print_table(["problems", "accuracy per sample %", "any-of-k %", "distinct correct / problem"], rows, title=title)


def _train(args: argparse.Namespace) -> int:
    from tenfold.flowreason.experiment import run_experiment

    cfg = _experiment(args)
    if args.show_config:
        print_config(cfg)
        return 0
    tag = "" if cfg.train.policy == "transformer" else f"-{cfg.train.policy}"
    out = args.out_dir or Path("runs") / f"flowreason-{args.task}-{args.method}{tag}-s{args.seed}"
    outcome = run_experiment(cfg, out, progress=True)
    _print_summary(outcome.summary, args.json)
    print(f"run: {out}")
    return 0


def _load_run(run: Path):
    from tenfold.common.readers import load_torch
    from tenfold.common.rundir import RunDir
    from tenfold.flowreason.config import DataConfig, PolicyTrainConfig

    if not (run / "policy.pt").exists():
        raise UserError(f"no trained policy in '{run}' (run `tenfold flowreason train --out-dir {run}` first)")
    config = RunDir.open(run).read_json("config.json")["config"]
    train = PolicyTrainConfig(
        **{k: v for k, v in config["train"].items() if k in PolicyTrainConfig.__dataclass_fields__}
    )
    data = DataConfig(**{k: v for k, v in config["data"].items() if k in DataConfig.__dataclass_fields__})
    return train, data, load_torch(run / "policy.pt", "policy file")


def _eval(args: argparse.Namespace) -> int:
    from tenfold.common.seeding import torch_threads
    from tenfold.flowreason.data import split
    from tenfold.flowreason.experiment import threads_for
    from tenfold.flowreason.metrics import evaluate, summarise
    from tenfold.flowreason.reward import Reward
    from tenfold.flowreason.trainer import make_env

    train_cfg, data, policy = _load_run(args.run)
    env = make_env(train_cfg.task)
    reward = Reward(env, None, 0.0, form=train_cfg.task)  # correctness is all evaluation needs
    train, test = split(train_cfg.task, data)
    seed = train_cfg.seed if args.seed is None else args.seed
    summary = {"task": train_cfg.task, "method": train_cfg.method, "seed": train_cfg.seed, "sampling_seed": seed}
    summary |= {"train": {}, "test": {}}
    for name, problems in (("train", train), ("test", test)):
        if args.split in (name, "both") and problems:
            with torch_threads(threads_for(train_cfg)):  # the thread count of training: the same numbers
                evals = evaluate(env, policy, problems, args.k, reward, seed=seed, progress=True)
            summary[name] = summarise(evals)
    _print_summary(summary, args.json)
    return 0


def _default_policy(seed: int):
    """The FoR policy of the quick preset on Game24 (the reproduction's run of that seed), trained once and cached."""
    from tenfold.flowreason.config import method_config, repro_config
    from tenfold.flowreason.experiment import ExperimentConfig, cached_experiment, is_cached

    rc = repro_config("quick")
    cfg = ExperimentConfig(method_config(rc, "game24", "for", seed), rc.data, rc.eval_k)
    if not is_cached(cfg):
        print("no --run given: training the default FoR policy on Game24 once (cached) ...")
    return _load_run(cached_experiment(cfg, progress=True))[2]


def _solve(args: argparse.Namespace) -> int:
    from tenfold.flowreason.experiment import sample_solutions
    from tenfold.flowreason.game24 import Game24, parse_puzzle, solvable

    if args.task != "game24":
        raise UserError(f"solve takes Game24 puzzles; for '{args.task}' use `tenfold flowreason eval RUN`")
    puzzle = parse_puzzle(args.puzzle)
    if not solvable(puzzle):
        raise UserError(f"Game24 puzzle '{' '.join(map(str, puzzle))}' has no solution: no expression makes 24")
    policy = _load_run(args.run)[2] if args.run else _default_policy(args.seed)
    env = Game24()
    trajs = sample_solutions(env, policy, puzzle, args.k, seed=args.seed)
    found = sorted({env.expression(t) for t in trajs if t.correct})
    if not found:
        print(f"no solution found in {args.k} samples (the puzzle is solvable; try a larger --k)")
        return 1
    print("\n".join(found))
    return 0
