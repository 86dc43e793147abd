"""``tenfold distrl ...``: train (A-RIDE or a baseline, async or sync, on threads / processes / Ray), bench
(collection throughput async vs sync by worker count), play (watch a policy act on a task, screen by screen)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    existing_dir,
    non_negative_float,
    non_negative_int,
    positive_float,
    positive_int,
)
from tenfold.common.errors import UserError


def _worker_counts(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated worker counts, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be positive, got {text!r}")
    return counts


def register(sub) -> None:
    from tenfold.distrl.evaluators import EVALUATORS
    from tenfold.distrl.names import BACKENDS, METHODS, MODES

    inner = add_group(
        sub,
        "distrl",
        help="asynchronous distributed RL for device-control agents (A-RIDE on a simulated phone)",
        description="DistRL: asynchronous distributed RL for on-device control agents (arXiv 2410.14803)",
    )
    p = add_command(
        inner,
        "train",
        _train,
        "train a policy: workers drive simulated phones, a central learner trains (async or sync)",
        example="tenfold distrl train --backend threads --workers 4 --preset test",
    )
    p.add_argument("--mode", choices=MODES, default=None, help="async (DistRL, default) or sync (DigiRL-style)")
    p.add_argument("--method", choices=METHODS, default=None, help="learner (default a-ride)")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="where workers run (default threads)")
    p.add_argument("--workers", type=positive_int, default=None, help="workers / devices (default: preset's)")
    p.add_argument("--ray-address", default=None, help="a running Ray cluster to join, e.g. ray://head:10001")
    p.add_argument("--budget", type=positive_float, default=None, help="simulated seconds (default: preset's)")
    p.add_argument(
        "--time-scale",
        type=non_negative_float,
        default=None,
        help="real seconds per simulated second: workers sleep (default 0: the simulated clock)",
    )
    p.add_argument(
        "--checkpoint-every", type=non_negative_int, default=None, help="save the learner every N updates (0: off)"
    )
    p.add_argument(
        "--evaluator",
        choices=EVALUATORS,
        default=None,
        help="who judges success: programmatic (default) or noisy (an LLM judge's errors and delay: "
        "--set evaluator.false_positive=0.1 --set evaluator.delay=3)",
    )
    add_run_args(p, out_dir_help="run directory (default: a new one under ./runs; an existing one resumes)")

    p = add_command(
        inner,
        "bench",
        _bench,
        "collection throughput, async vs sync, by worker count (simulated clock, or real workers with --time-scale)",
        example="tenfold distrl bench --workers 1,8 --steps 200",
    )
    p.add_argument(
        "--workers", type=_worker_counts, default=(1, 2, 4, 8, 16), help="worker counts (default 1,2,4,8,16)"
    )
    p.add_argument("--steps", type=positive_int, default=2000, help="steps per worker (default 2000)")
    p.add_argument("--backend", choices=BACKENDS, default="threads", help="backend of real runs (default threads)")
    p.add_argument(
        "--time-scale",
        type=non_negative_float,
        default=0.0,
        help="> 0: run real workers sleeping latency × this (e.g. 0.002); 0: the simulated clock (default)",
    )
    p.add_argument("--ray-address", default=None, help="a running Ray cluster to join (ray backend)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")

    p = add_command(
        inner,
        "play",
        _play,
        "watch a policy act on one task, screen by screen",
        example="tenfold distrl play --task 'Turn on wifi' --policy oracle",
    )
    p.add_argument("--task", default="0", help="a task's instruction (or the start of it) or its index in --split")
    p.add_argument("--split", choices=("train", "test", "all"), default="all", help="task list (default all)")
    p.add_argument(
        "--policy",
        default="oracle",
        help="oracle, random, or a run directory of `tenfold distrl train` (its agent.pt)",
    )
    p.add_argument("--max-steps", type=positive_int, default=10, help="steps before giving up (default 10)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed; greedy unless --sample")
    p.add_argument("--sample", action="store_true", help="sample actions instead of taking the most likely")


def _config(args: argparse.Namespace) -> Any:
    from tenfold.common.cli import print_config
    from tenfold.common.config import apply_overrides
    from tenfold.distrl.config import repro_config
    from tenfold.distrl.evaluators import EvaluatorConfig
    from tenfold.distrl.runtime import variant

    run = repro_config(args.preset).run
    changes = {
        k: v
        for k, v in {
            "mode": args.mode,
            "method": args.method,
            "backend": args.backend,
            "workers": args.workers,
            "ray_address": args.ray_address,
            "budget": args.budget,
            "time_scale": args.time_scale,
            "checkpoint_every": args.checkpoint_every,
            "evaluator": EvaluatorConfig(args.evaluator) if args.evaluator else None,
        }.items()
        if v is not None
    }
    try:
        run = variant(run, **changes)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    run = apply_overrides(run, args.overrides)
    if args.show_config:
        print_config(run)
    return run


def _train(args: argparse.Namespace) -> int:
    from tenfold.common.plots import line_plot
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table
    from tenfold.distrl.runtime import train

    cfg = _config(args)
    if args.show_config:
        return 0
    plain = json.loads(json.dumps(asdict(cfg), default=str))
    if args.out_dir is not None:
        RunDir.check_same_config(args.out_dir, plain)
    run = RunDir.create(Path("runs"), "distrl", args.preset, args.seed, plain, path=args.out_dir)
    ckpt = run.path / "checkpoint.pt"
    if ckpt.exists():
        print(f"resuming from {ckpt}")
    result = train(cfg, args.seed, ckpt if cfg.checkpoint_every or ckpt.exists() else None, run.path / "agent.pt")
    run.write_json("result.json", result.to_dict())
    xs = [p.seconds for p in result.curve]
    run.save_figure(
        line_plot(
            {
                "held-out": (xs, [p.heldout for p in result.curve]),
                "train (greedy)": (xs, [p.train for p in result.curve]),
            },
            "simulated wall-clock (s)",
            "success",
            f"{cfg.learner.method}, {cfg.mode}, {cfg.workers} workers",
        ),
        "curve",
    )
    summary = {
        "heldout": result.final.heldout,
        "train": result.final.train,
        "episodes": result.episodes,
        "transitions": result.transitions,
        "updates": result.updates,
        "simulated_seconds": result.seconds,
        "wall_seconds": result.wall,
        "lost": result.lost,
        "replaced": result.replaced,
        "mean_lag": result.mean_lag,
    }
    run.write_summary(summary)
    print_table(
        ["simulated s", "version", "held-out", "train", "episodes"],
        [[f"{p.seconds:.0f}", p.version, f"{p.heldout:.2f}", f"{p.train:.2f}", p.episodes] for p in result.curve],
    )
    print(
        f"{result.transitions} transitions, {result.updates} updates, mean lag {result.mean_lag:.1f} versions, "
        f"{result.wall:.1f} s; run directory {run.path}"
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.distrl.clock import analytic_ratio, draws, simulate
    from tenfold.distrl.config import STALL_LATENCY
    from tenfold.distrl.runtime import measure_collection

    rows = []
    for w in args.workers:
        analytic = analytic_ratio(STALL_LATENCY, w)
        if args.time_scale > 0:
            steps = max(1, args.steps // 10)
            a = measure_collection(args.backend, w, "async", steps, args.time_scale, args.seed, args.ray_address)
            s = measure_collection(args.backend, w, "sync", steps, args.time_scale, args.seed, args.ray_address)
            rows.append(
                [
                    w,
                    f"{s['simulated_rate']:.2f}",
                    f"{a['simulated_rate']:.2f}",
                    f"{a['rate'] / s['rate']:.2f}",
                    f"{analytic:.2f}",
                ]
            )
        else:
            lat = draws(STALL_LATENCY, w, args.steps, args.seed)
            s, a = simulate(lat, "sync"), simulate(lat, "async")
            rows.append([w, f"{s.rate:.2f}", f"{a.rate:.2f}", f"{a.rate / s.rate:.2f}", f"{analytic:.2f}"])
    where = (
        f"{args.backend}, real workers at time scale {args.time_scale:g}" if args.time_scale > 0 else "simulated clock"
    )
    print(f"collection throughput, stall latency model ({where}); transitions per simulated second")
    print_table(["workers", "sync", "async", "async/sync", "analytic"], rows)
    return 0


def _resolve_task(text: str, split: str) -> int:
    from tenfold.distrl.device import tasks

    every = tasks(split)
    if text.isdigit():
        if int(text) >= len(every):
            raise UserError(f"task index {text} out of range: the {split} split has {len(every)} tasks")
        return int(text)
    hits = [i for i, t in enumerate(every) if t.instruction.lower().startswith(text.lower())]
    if not hits:
        raise UserError(f"no {split} task starts with {text!r}; e.g. {every[0].instruction!r}")
    return hits[0]


def _play(args: argparse.Namespace) -> int:
    import random

    import torch

    from tenfold.distrl.device import oracle_action, random_action
    from tenfold.distrl.env import PhoneEnv, candidates
    from tenfold.distrl.policy import Agent, batch

    index = _resolve_task(args.task, args.split)
    agent = None
    if args.policy not in ("oracle", "random"):
        path = existing_dir(args.policy) / "agent.pt"
        if not path.exists():
            raise UserError(f"'{args.policy}' has no agent.pt: give a run directory of `tenfold distrl train`")
        try:
            saved = torch.load(path, weights_only=False)
            lc = saved["config"]["learner"]
            agent = Agent(lc["features"], lc["hidden"])
            agent.load_state_dict(saved["agent"])
        except Exception as exc:
            raise UserError(f"'{path}' is not a readable distrl agent ({type(exc).__name__})") from None
    features = agent.features if agent is not None else 64
    env = PhoneEnv(args.split, max_steps=args.max_steps, features=features)
    obs, _ = env.reset(seed=args.seed, options={"task": index})
    rng, gen = random.Random(args.seed), torch.Generator().manual_seed(args.seed)
    print(f"task: {env.task.instruction}")
    while True:
        print("-" * 60)
        print(env.render())
        cands = candidates(env.task, env.device)
        if agent is None:
            want = oracle_action(env.task, env.device) if args.policy == "oracle" else random_action(env.device, rng)
            action = next((i for i, (a, _) in enumerate(cands) if a == want), len(cands) - 1)
            note = ""
        else:
            with torch.no_grad():
                p = torch.softmax(agent.logits(batch([obs]))[0], -1)
            action = int(torch.multinomial(p, 1, generator=gen)) if args.sample else int(p.argmax())
            note = f"  (π = {float(p[action]):.2f})"
        print(f"> {cands[action][1]}{note}")
        obs, reward, term, trunc, _info = env.step(action)
        if term or trunc:
            print("-" * 60)
            print(f"{'success' if reward > 0 else 'failure'} after {env.steps} steps")
            return 0
