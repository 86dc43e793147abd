"""``tenfold reproduce distrl``: the exact identities (targets, replay, clock), the simulator's floor and ceiling,
collection throughput, learning curves (async vs sync A-RIDE and the baselines, several seeds), ablations and fault
injection.

Every training run of the reproduction is one job of one process pool (the longest first): a run is a pure function
of its config and seed on the simulated clock, so the pool changes only how long the whole takes.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import numpy as np

from tenfold.common.claims import Measured, claim_index
from tenfold.common.parallel import pmap
from tenfold.common.reproduce import Context, Reproducer
from tenfold.distrl.claims import CLAIMS
from tenfold.distrl.config import PRESETS, STALL_LATENCY, ReproConfig

REPRODUCER = Reproducer("distrl", CLAIMS, PRESETS, code=("tenfold.distrl",))
CLAIM_INDEX = claim_index(CLAIMS)


# -- identities -------------------------------------------------------------------------------------------------------
@REPRODUCER.measures("target_identities")
def target_identities(ctx: Context) -> Measured:
    from tenfold.distrl.targets import TraceConfig, off_policy_targets

    windows = CLAIM_INDEX["target_identities"].thresholds["windows"]
    rng = np.random.default_rng(ctx.seed)
    errors = {"n_step_return": 0.0, "zero_ratio": 0.0, "lambda_zero": 0.0}
    gamma = 0.9
    for _ in range(windows):
        n = int(rng.integers(1, 8))
        r, v, boot = rng.normal(size=n), rng.normal(size=n), float(rng.normal())
        disc = np.full(n, gamma)
        tgt, _ = off_policy_targets(r, v, boot, np.zeros(n), disc, TraceConfig(lam=1.0))
        ret = sum(gamma**t * r[t] for t in range(n)) + gamma**n * boot
        errors["n_step_return"] = max(errors["n_step_return"], abs(tgt[0] - ret))
        tgt, adv = off_policy_targets(r, v, boot, np.full(n, -np.inf), disc, TraceConfig(lam=1.0))
        errors["zero_ratio"] = max(errors["zero_ratio"], float(np.abs(tgt - v).max()), float(np.abs(adv).max()))
        lr = rng.normal(size=n)
        tgt, _ = off_policy_targets(r, v, boot, lr, disc, TraceConfig(lam=0.0))
        one_step = v + np.minimum(1, np.exp(lr)) * (r + disc * np.append(v[1:], boot) - v)
        errors["lambda_zero"] = max(errors["lambda_zero"], float(np.abs(tgt - one_step).max()))
    return Measured(", ".join(f"{k} {e:.1e}" for k, e in errors.items()), {"errors": errors, "windows": windows})


def learner_follows_priority(seed: int) -> dict[str, Any]:
    """A learner over 12 stored trajectories: with one trajectory's priority raised far above the rest, every window
    of the next update comes from it; moving the priority to another moves the training data with it."""
    from tenfold.distrl.learner import Learner, LearnerConfig
    from tenfold.distrl.workers import Job, Worker, WorkerSpec

    cfg = LearnerConfig(features=32, hidden=16, batch_size=16, min_buffer=1, alpha=1.0)
    learner = Learner(cfg, seed)
    worker = Worker(0, WorkerSpec(seed, features=32, hidden=16))

    weights = learner.actor_weights()
    slots = [learner.add(worker.run(Job(e, 0, weights if e == 0 else None))) for e in range(12)]
    picked = {}
    for favourite in (slots[3], slots[9]):
        for s in slots:
            learner.replay.update(s, 1e6 if s == favourite else 1e-6)
        learner.update()
        picked[favourite] = sorted(set(learner.trained_on))
    want = {s: [(0, s)] for s in picked}
    return {"picked": {str(k): v for k, v in picked.items()}, "follows": picked == want}


@REPRODUCER.measures("prioritized_replay")
def prioritized_replay(ctx: Context) -> Measured:
    from tenfold.distrl.replay import PrioritizedReplay, SumTree

    t = CLAIM_INDEX["prioritized_replay"].thresholds
    rng = np.random.default_rng(ctx.seed)
    tree, values = SumTree(1000), np.zeros(1000)
    for _ in range(t["updates"]):
        i, v = int(rng.integers(1000)), float(rng.uniform(0, 10))
        tree.update(i, v)
        values[i] = v
    root_error = abs(tree.total - values.sum())
    small = SumTree(4)
    for i, p in enumerate([1.0, 2.0, 3.0, 4.0]):
        small.update(i, p)
    freq = np.bincount(small.sample(t["draws"], rng), minlength=4) / t["draws"]
    replay = PrioritizedReplay(4, alpha=0.5, seed=ctx.seed)
    for p in [1.0, 4.0, 9.0, 16.0]:
        replay.add(object(), p)
    sq = np.bincount(replay.tree.sample(t["draws"], rng), minlength=4) / t["draws"]
    sqrt_dev = float(np.abs(sq - np.array([1, 2, 3, 4]) / 10).max())
    follows = learner_follows_priority(ctx.seed)
    max_dev = float(np.abs(freq - [0.1, 0.2, 0.3, 0.4]).max())
    return Measured(
        f"root error {root_error:.1e}; max frequency deviation {max_dev:.4f} (√p: {sqrt_dev:.4f}); learner follows "
        f"the priorities: {follows['follows']}",
        {
            "root_error": root_error,
            "frequencies": freq.tolist(),
            "max_dev": max_dev,
            "sqrt_dev": sqrt_dev,
            "learner_follows_priority": follows["follows"],
            "picked": follows["picked"],
        },
    )


@REPRODUCER.measures("simulator")
def simulator(ctx: Context) -> Measured:
    from tenfold.distrl.device import oracle_action, random_action, run_episode, tasks

    every = tasks("all")
    oracle = sum(run_episode(t, oracle_action)[0] for t in every) / len(every)
    n = CLAIM_INDEX["simulator"].thresholds["random_episodes"]
    rng = random.Random(ctx.seed)
    wins = sum(run_episode(every[i % len(every)], lambda task, d: random_action(d, rng))[0] for i in range(n))
    return Measured(
        f"oracle {oracle:.0%} of {len(every)} tasks; random {wins}/{n}",
        {"oracle": oracle, "tasks": len(every), "random": wins / n, "random_wins": wins},
    )


@REPRODUCER.measures("collection_throughput")
def collection_throughput(ctx: Context) -> Measured:
    from tenfold.distrl.clock import analytic_ratio, draws, simulate

    cfg: ReproConfig = ctx.config
    t = CLAIM_INDEX["collection_throughput"].thresholds
    rows, exact = [], True
    for w in sorted({*cfg.throughput_workers, t["workers"]}):
        lat = draws(STALL_LATENCY, w, cfg.throughput_steps, ctx.seed)
        sync, asyn = simulate(lat, "sync"), simulate(lat, "async")
        closed_sync = sum(max(row) for row in lat)
        closed_async = max(sum(row[k] for row in lat) for k in range(w))
        # the same additions in the same order as the clock: equal to the last bit, not approximately
        sync_total = 0.0
        for row in lat:
            sync_total = max(sync_total + dt for dt in row)
        exact &= sync.seconds == sync_total and abs(closed_sync - sync.seconds) < 1e-6 * closed_sync
        exact &= asyn.seconds == closed_async
        rows.append(
            {
                "workers": w,
                "sync_rate": sync.rate,
                "async_rate": asyn.rate,
                "ratio": asyn.rate / sync.rate,
                "analytic": analytic_ratio(STALL_LATENCY, w),
            }
        )
    ctx.run.write_json("throughput.json", rows)
    from tenfold.common.plots import line_plot

    xs = [r["workers"] for r in rows]
    ctx.save_figure(
        line_plot(
            {
                "async / sync (simulated)": (xs, [r["ratio"] for r in rows]),
                "E[max_W L] / E[L] (analytic)": (xs, [r["analytic"] for r in rows]),
            },
            "workers",
            "collection speed-up",
            "Asynchronous over synchronous collection (stall latency model)",
        ),
        "throughput",
    )
    at = next(r for r in rows if r["workers"] == t["workers"])
    return Measured(
        f"{at['ratio']:.2f}× at {t['workers']} workers (analytic {at['analytic']:.2f}×); "
        + ", ".join(f"{r['workers']}: {r['ratio']:.2f}×" for r in rows),
        {**at, "exact": exact, "rows": rows},
    )


# -- training runs ----------------------------------------------------------------------------------------------------
def _job(args: tuple[str, int, Any]) -> tuple[str, int, dict[str, Any]]:
    from tenfold.distrl.runtime import train

    name, seed, cfg = args
    return name, seed, train(cfg, seed).to_dict()


def _runs(ctx: Context) -> dict[str, dict[int, dict[str, Any]]]:
    """Every training run of the reproduction, by curve name and seed."""
    from tenfold.distrl.runtime import variant

    cfg: ReproConfig = ctx.config
    base = cfg.run
    seeds = [ctx.seed + k for k in range(cfg.seeds)]
    jobs: list[tuple[str, int, Any]] = []
    for s in seeds:
        jobs.append(("A-RIDE async", s, base))
    short = replace(base, budget=cfg.ablation_budget)
    jobs += [
        ("A-RIDE, lag 10", ctx.seed, replace(short, lag=cfg.ablation_lag)),
        ("no importance correction, lag 10", ctx.seed, variant(short, lag=cfg.ablation_lag, trace="none")),
        ("no prioritised replay", ctx.seed, variant(short, prioritized=False)),
        ("no entropy", ctx.seed, variant(short, entropy="none")),
    ]
    for s in seeds:
        jobs.append(("A-RIDE sync", s, variant(base, mode="sync")))
        for b in cfg.baselines:
            jobs.append((f"{b} sync", s, variant(base, mode="sync", method=b)))
    out: dict[str, dict[int, dict[str, Any]]] = {}
    for name, seed, result in pmap(_job, jobs, workers=cfg.workers):
        out.setdefault(name, {})[seed] = result
    ctx.run.write_json("runs.json", out)
    _plot_curves(ctx, out)
    return out


def _plot_curves(ctx: Context, runs: dict[str, dict[int, dict[str, Any]]]) -> None:
    from tenfold.common.plots import new_figure

    fig, ax = new_figure(6.0, 3.8)
    for k, name in enumerate(n for n in runs if "lag" not in n and not n.startswith("no ")):
        for j, (_seed, r) in enumerate(sorted(runs[name].items())):
            xs = [p["seconds"] for p in r["curve"]]
            ys = [p["heldout"] for p in r["curve"]]
            ax.plot(xs, ys, color=f"C{k}", alpha=1.0 if j == 0 else 0.45, label=name if j == 0 else None)
    ax.axhline(CLAIM_INDEX["learning"].thresholds["min_success"], color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("simulated wall-clock (s)")
    ax.set_ylabel("held-out success")
    ax.set_title("Held-out success against wall-clock (one line per seed)")
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "learning_curves")


def _last(curve: list[dict[str, Any]], k: int) -> float:
    return float(np.mean([p["heldout"] for p in curve[-k:]]))


def _auc(curve: list[dict[str, Any]]) -> float:
    """Mean held-out success over the evaluations after the start (equal spacing: the area under the curve)."""
    return float(np.mean([p["heldout"] for p in curve[1:]]))


def _first_reaching(curve: list[dict[str, Any]], level: float) -> float | None:
    return next((p["seconds"] for p in curve if p["heldout"] >= level), None)


@REPRODUCER.measures("learning")
def learning(ctx: Context) -> Measured:
    runs = ctx.once(_runs)
    k = CLAIM_INDEX["learning"].thresholds["last"]
    asyn, sync = runs["A-RIDE async"], runs["A-RIDE sync"]
    seeds = sorted(asyn)
    a_final = [_last(asyn[s]["curve"], k) for s in seeds]
    s_final = [_last(sync[s]["curve"], k) for s in seeds]
    a_auc = [_auc(asyn[s]["curve"]) for s in seeds]
    s_auc = [_auc(sync[s]["curve"]) for s in seeds]
    # training efficiency: how much sooner async reaches the level sync ends at (None where it never does)
    speedups = []
    for s in seeds:
        level = s_final[seeds.index(s)]
        ta, ts = _first_reaching(asyn[s]["curve"], level), _first_reaching(sync[s]["curve"], level)
        speedups.append(ts / ta if ta and ts else None)
    values = {
        "seeds": seeds,
        "async_final": a_final,
        "sync_final": s_final,
        "async_auc": a_auc,
        "sync_auc": s_auc,
        "relative_gain": [a / s - 1 if s > 0 else None for a, s in zip(a_final, s_final, strict=True)],
        "speedup_to_sync_final": speedups,
        "async_updates": [asyn[s]["updates"] for s in seeds],
        "sync_updates": [sync[s]["updates"] for s in seeds],
        "async_transitions": [asyn[s]["transitions"] for s in seeds],
        "sync_transitions": [sync[s]["transitions"] for s in seeds],
        "mean_lag": [asyn[s]["mean_lag"] for s in seeds],
    }
    speed = ", ".join("—" if x is None else f"{x:.1f}×" for x in speedups)
    return Measured(
        f"held-out success async {' / '.join(f'{x:.2f}' for x in a_final)} vs sync "
        f"{' / '.join(f'{x:.2f}' for x in s_final)} (seeds {', '.join(map(str, seeds))}); curve means "
        f"{' / '.join(f'{a:.2f} vs {b:.2f}' for a, b in zip(a_auc, s_auc, strict=True))}; async reaches sync's final "
        f"success {speed} sooner; {np.mean(values['async_transitions']) / np.mean(values['sync_transitions']):.1f}× "
        f"the transitions",
        values,
    )


@REPRODUCER.measures("baselines")
def baselines(ctx: Context) -> Measured:
    runs = ctx.once(_runs)
    cfg: ReproConfig = ctx.config
    k = CLAIM_INDEX["learning"].thresholds["last"]
    names = ["A-RIDE async", "A-RIDE sync", *(f"{b} sync" for b in cfg.baselines)]
    table = {n: {str(s): _last(r["curve"], k) for s, r in sorted(runs[n].items())} for n in names}
    return Measured(
        "; ".join(f"{n} {' / '.join(f'{v:.2f}' for v in row.values())}" for n, row in table.items()),
        {"final": table},
    )


@REPRODUCER.measures("ablations")
def ablations(ctx: Context) -> Measured:
    runs = ctx.once(_runs)
    cfg: ReproConfig = ctx.config
    full = runs["A-RIDE async"][ctx.seed]
    at = [p for p in full["curve"] if p["seconds"] <= cfg.ablation_budget + 1e-9]
    names = ["A-RIDE, lag 10", "no importance correction, lag 10", "no prioritised replay", "no entropy"]
    row = {"A-RIDE": _last(at, 3), **{n: _last(runs[n][ctx.seed]["curve"], 3) for n in names}}
    return Measured(
        f"at {cfg.ablation_budget:.0f} s: " + "; ".join(f"{n} {v:.2f}" for n, v in row.items()),
        {"final": row, "budget": cfg.ablation_budget},
    )


@REPRODUCER.measures("faults")
def faults(ctx: Context) -> Measured:
    from tenfold.distrl.runtime import train

    cfg: ReproConfig = ctx.config
    base = replace(cfg.run, budget=cfg.fault_budget)
    last = base.workers - 1
    injected = ((min(1, last), 2, 2), (last, 4, 1))  # (worker, episode, die after this many steps)
    clean = train(base, ctx.seed)
    faulty = train(replace(base, faults=injected), ctx.seed)
    dead = {(w, e) for w, e, _ in injected}
    partial = any(e in faulty.delivered.get(w, []) for w, e in dead)
    share = faulty.transitions / clean.transitions
    return Measured(
        f"{faulty.lost} episodes lost, {faulty.replaced} workers replaced, partial trajectories in the buffer: "
        f"{partial}; {faulty.transitions} vs {clean.transitions} transitions ({share:.0%}); learner updates "
        f"{faulty.updates} vs {clean.updates}",
        {
            "injected": len(injected),
            "lost": faulty.lost,
            "replaced": faulty.replaced,
            "partial_in_buffer": partial,
            "share": share,
            "updates": [clean.updates, faulty.updates],
            "dead": faulty.dead,
        },
    )
