"""``tenfold ppmarl ...``: train (one method on one environment, measured: return, bytes, time, ε, what a curious
party saw), bandwidth (one critic pass of encrypted raw sharing vs PP-MARL, from serialised ciphertexts), attack
(reconstruction attacks on a trained run's views), report (the comparison table of several runs)."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    existing_dir,
    output_file,
    positive_float,
    positive_int,
)
from tenfold.common.errors import UserError

VIEWS = "views.npz"
"""a train run's attack data: what the curious party saw of agent 0 (``views``) and its private features
(``targets``)."""


def register(sub) -> None:
    from tenfold.ppmarl.names import AGGREGATORS, ENVS, METHODS

    inner = add_group(
        sub,
        "ppmarl",
        help="privacy-preserving multi-agent RL: split critic, CKKS aggregation, DP noise",
        description="PP-MARL: privacy-preserving MARL for cooperative intelligence (arXiv 2204.12064)",
    )
    p = add_command(
        inner,
        "train",
        _train,
        "train one method (MADDPG core) on one environment and measure return, bytes, time, ε and leakage",
        example="tenfold ppmarl train --env drone --method pp-marl --preset test",
    )
    p.add_argument("--env", choices=ENVS, default=None, help="environment (default drone)")
    p.add_argument("--method", choices=METHODS, default=None, help="method (default pp-marl)")
    p.add_argument("--sigma", type=positive_float, default=None, help="DP noise multiplier σ (default 1)")
    p.add_argument("--aggregator", choices=AGGREGATORS, default=None, help="how PP-MARL's sum is protected (ckks)")
    p.add_argument("--episodes", type=positive_int, default=None, help="training episodes (default: preset's)")
    add_run_args(p)

    p = add_command(
        inner,
        "bandwidth",
        _bandwidth,
        "ciphertexts and bytes of one critic pass: encrypted raw sharing vs PP-MARL (serialised, not estimated)",
        example="tenfold ppmarl bandwidth --agents 3 --batch 1024",
    )
    p.add_argument("--agents", type=positive_int, default=3, help="agents (default 3)")
    p.add_argument("--batch", type=positive_int, default=1024, help="samples per critic pass (default 1024)")
    p.add_argument("--dims", type=positive_int, default=23, help="shared input size per agent (default 23)")
    p.add_argument("--rep", type=positive_int, default=4, help="PP-MARL representation size h (default 4)")
    p.add_argument(
        "--ring", type=positive_int, choices=(4096, 8192), default=4096, help="CKKS ring degree (default 4096)"
    )

    p = add_command(
        inner,
        "attack",
        _attack,
        "reconstruct agent 0's private features from what the curious party of a train run received",
        example="tenfold ppmarl attack runs/ppmarl-run",
    )
    p.add_argument("run", type=existing_dir, help="a run directory of `tenfold ppmarl train`")

    p = add_command(
        inner,
        "report",
        _report,
        "one table of several train runs: return, normalised return, bytes per update, time, ε, attack error",
        example="tenfold ppmarl report runs/plain-run runs/ppmarl-run",
    )
    p.add_argument("runs", type=existing_dir, nargs="+", help="run directories of `tenfold ppmarl train`")
    p.add_argument("--out", type=output_file, default=None, help="also write the table as Markdown to this file")


def _config(args: argparse.Namespace) -> Any:
    from tenfold.common.cli import print_config
    from tenfold.common.config import apply_overrides
    from tenfold.ppmarl.config import repro_config

    run = repro_config(args.preset).run
    changes = {k: v for k, v in {"env": args.env, "method": args.method, "sigma": args.sigma}.items() if v}
    if args.aggregator:
        changes["aggregator"] = args.aggregator
    try:
        run = replace(run, **changes)
        if args.episodes:
            run = replace(run, train=replace(run.train, episodes=args.episodes))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    run = apply_overrides(run, args.overrides)
    if args.show_config:
        print_config(run)
    return run


def _train(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from tenfold.common.plots import line_plot
    from tenfold.common.progress import progress
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table
    from tenfold.ppmarl.attacks import attack
    from tenfold.ppmarl.methods import run_method

    cfg = _config(args)
    if args.show_config:
        return 0
    plain = json.loads(json.dumps(asdict(cfg), default=str))
    if args.out_dir is not None:
        RunDir.check_same_config(args.out_dir, plain)
    run = RunDir.create(Path("runs"), "ppmarl", args.preset, args.seed, plain, path=args.out_dir)
    with progress(total=cfg.train.episodes, desc=f"{cfg.method} on {cfg.env}") as bar:

        def logged(k: int, ret: float) -> None:  # written as it comes: an interrupted run keeps its curve
            run.log(step=k, episode_return=ret)
            bar.update(1)

        result = run_method(cfg, args.seed, on_episode=logged)
    summary = result.to_dict()
    summary.pop("train_returns")
    if result.views is not None:
        np.savez_compressed(run.path / VIEWS, views=result.views, targets=result.targets)
        summary["attack"] = attack(result.views, result.targets, seed=args.seed)
    run.write_summary(summary)
    window = max(1, len(result.train_returns) // 20)
    smooth = np.convolve(result.train_returns, np.ones(window) / window, mode="valid")
    run.save_figure(
        line_plot(
            {f"{cfg.method} (moving mean of {window})": (list(range(window - 1, len(result.train_returns))), smooth)},
            "episode",
            "team return",
            f"{cfg.method} on {cfg.env}",
            hlines={"random (greedy eval episodes)": result.random_return},
        ),
        "returns",
    )
    print_table(["measure", "value"], _summary_rows(summary))
    print(f"run directory {run.path}")
    return 0


def _summary_rows(s: dict[str, Any]) -> list[list[str]]:
    rows = [
        ["method / env / seed", f"{s['method']} / {s['env']} / {s['seed']}"],
        ["greedy return (random)", f"{s['eval_return']:.2f} ({s['random_return']:.2f})"],
        ["updates (skipped rounds)", f"{s['updates']} ({s['skipped']})"],
        ["bytes per update", f"{sum(s['bytes_per_update'].values()):,.0f}"],
        ["seconds: " + " / ".join(s["seconds"]), " / ".join(f"{v:.1f}" for v in s["seconds"].values())],
    ]
    if s.get("epsilon") is not None:
        rows.append(["ε per agent (δ from the config)", f"{s['epsilon']:.3g}"])
    if s.get("he_max_error") is not None:
        rows.append(["max |decrypted − plaintext|", f"{s['he_max_error']:.1e}"])
    if s.get("attack"):
        a = s["attack"]
        rows.append(["attack error ridge / MLP / none", f"{a['ridge']:.2f} / {a['mlp']:.2f} / {a['none']:.2f}"])
    return rows


def _read_run(path: Path) -> dict[str, Any]:
    from tenfold.common.rundir import RunDir

    if not (path / "summary.json").is_file():
        raise UserError(f"'{path}' is not a run of `tenfold ppmarl train` (no summary.json)")
    summary = RunDir.open(path).read_json("summary.json")
    if not isinstance(summary, dict) or not {"method", "env", "eval_return"} <= set(summary):
        raise UserError(f"'{path}' is not a run of `tenfold ppmarl train` (its summary.json lacks method/env/return)")
    return summary


def _attack(args: argparse.Namespace) -> int:
    import json
    import zipfile

    import numpy as np

    from tenfold.common.paths import atomic_write_text
    from tenfold.common.tables import print_table
    from tenfold.ppmarl.attacks import attack

    summary = _read_run(args.run)
    file = args.run / VIEWS
    if not file.exists():
        raise UserError(f"'{args.run}' has no {VIEWS}: its method ({summary['method']}) shares no per-sample view")
    try:
        with np.load(file) as data:
            views, targets = data["views"], data["targets"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        raise UserError(f"'{file}' is damaged; re-run `tenfold ppmarl train`") from None
    out = attack(views, targets, seed=int(summary.get("seed", 0)))
    atomic_write_text(args.run / "attack.json", json.dumps(out, indent=2) + "\n")
    print(f"{summary['method']} on {summary['env']}: reconstructing agent 0's private features from {len(views)} views")
    print_table(["attacker", "normalised error"], [[k, f"{v:.3f}"] for k, v in out.items()])
    return 0


def _report(args: argparse.Namespace) -> int:
    from tenfold.common.paths import atomic_write_text
    from tenfold.common.tables import markdown_table, print_table

    runs = [(p, _read_run(p)) for p in args.runs]
    plain = [s for _, s in runs if s["method"] == "plain"]
    headers = ["run", "method", "env", "seed", "return", "normalised", "MB / update", "crypto s", "ε", "attack"]
    rows = []
    for path, s in runs:
        ref = [p for p in plain if p["env"] == s["env"] and p["seed"] == s["seed"]]
        norm = (
            (s["eval_return"] - s["random_return"]) / (ref[0]["eval_return"] - ref[0]["random_return"])
            if ref and ref[0]["eval_return"] != ref[0]["random_return"]
            else None
        )
        att = s.get("attack") or {}
        rows.append(
            [
                path.name,
                s["method"],
                s["env"],
                s["seed"],
                f"{s['eval_return']:.2f}",
                "—" if norm is None else f"{norm:.2f}",
                f"{sum(s['bytes_per_update'].values()) / 1e6:.3f}",
                f"{s['seconds'].get('cryptography (extrapolated)', 0.0):.1f}",
                "—" if s.get("epsilon") is None else f"{s['epsilon']:.3g}",
                "—" if not att else f"{att['best']:.2f}",
            ]
        )
    print_table(headers, rows)
    if not plain:
        print("normalised return needs a plain run of the same env and seed among the runs")
    if args.out is not None:
        atomic_write_text(args.out, markdown_table(headers, rows) + "\n")
        print(f"wrote {args.out}")
    return 0


def _bandwidth(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.ppmarl.bandwidth import reduction
    from tenfold.ppmarl.he import FAST, PRECISE

    if args.agents < 2:
        raise UserError("--agents must be at least 2 (one agent shares with nobody)")
    profile = FAST if args.ring == 4096 else PRECISE
    r = reduction(args.agents, args.dims, args.batch, args.rep, profile)
    print(
        f"one critic pass, {args.agents} agents, batch {args.batch}, {args.dims} shared dims, h = {args.rep}, "
        f"ring {args.ring} ({profile.slots} slots per ciphertext); figures per agent"
    )
    print_table(
        ["method", "ciphertexts up", "ciphertexts down", "bytes"],
        [
            ["HE-raw (encrypted raw sharing)", r["raw_up"], r["raw_down"], f"{r['raw_bytes']:,}"],
            ["PP-MARL (encrypted sum of representations)", r["pp_up"], r["pp_down"], f"{r['pp_bytes']:,}"],
        ],
    )
    print(
        f"reduction {r['reduction']:.2%} from serialised sizes (from ciphertext counts {r['planned_reduction']:.2%}); "
        f"public context {r['context_bytes']:,} bytes, sent once; ledger total {r['ledger_total']:,} bytes = "
        f"serialised {r['serialised_total']:,}"
    )
    return 0
