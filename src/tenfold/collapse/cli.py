"""``tenfold collapse ...``: run (a recursive-training run), sweep (one run per value of a field), detect (P(AI) per
line), report (curves of a run)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    existing_file,
    existing_path,
    non_negative_float,
    non_negative_int,
    output_file,
)
from tenfold.common.errors import UserError


def register(sub) -> None:
    from tenfold.collapse.detectors import DETECTORS

    inner = add_group(
        sub,
        "collapse",
        help="model collapse under recursive training and detector-weighted resampling",
        description="Recursive training, decoding strategies and MGT-detector resampling (arXiv 2502.15654)",
    )
    p = add_command(
        inner,
        "run",
        _run,
        "train generation after generation on model output; metrics per generation and a plot",
        example="tenfold collapse run --preset test --decoding greedy --selection importance --generations 2",
    )
    _add_run_options(p, human_fraction=True)
    add_run_args(p)

    p = add_command(
        inner,
        "sweep",
        _sweep,
        "one run per value of a config field (β, u, R, the oracle's accuracy …), in parallel; final metrics and curves",
        example="tenfold collapse sweep --preset test --regime mix --selection importance --detector oracle "
        "--param oracle_accuracy --values 0.6,0.8,1.0",
    )
    p.add_argument("--param", required=True, help="a RunConfig field, e.g. beta, upsample, repeats, oracle_accuracy")
    p.add_argument("--values", required=True, help="comma-separated values")
    _add_run_options(p, human_fraction=False)
    add_run_args(p)

    p = add_command(
        inner,
        "detect",
        _detect,
        "P(AI) of every line of a file, by the detector a run fits (human vs its generation-0 model's text)",
        example="tenfold collapse detect README.md --preset test",
    )
    p.add_argument("file", type=existing_file, help="text file, one text per line")
    p.add_argument("--detector", choices=DETECTORS[:3], default="classifier", help="detector (default classifier)")
    p.add_argument("--json", action="store_true", help="print JSON lines")
    add_run_args(p, out_dir_help=None)

    p = add_command(
        inner,
        "report",
        _report,
        "per-generation curves (perplexity, diversity) of a run directory",
        example="tenfold collapse report runs/collapse__test__seed0 --out plot.png",
    )
    p.add_argument("run", type=existing_path, help="a run directory of `tenfold collapse run` or a reproduction")
    p.add_argument("--out", type=output_file, default=None, help="PNG to write (default: RUN/curves.png)")


def _add_run_options(p: argparse.ArgumentParser, human_fraction: bool) -> None:
    """The options that shape a run (each defaults to the preset's value), shared by ``run`` and ``sweep``."""
    from tenfold.collapse.decoding import STRATEGIES
    from tenfold.collapse.detectors import DETECTORS
    from tenfold.collapse.pool import REGIMES
    from tenfold.collapse.resample import SELECTIONS

    p.add_argument("--decoding", choices=tuple(STRATEGIES), default=None, help="decoding strategy (default: preset's)")
    p.add_argument("--selection", choices=SELECTIONS, default=None, help="pool selection (default: preset's)")
    p.add_argument("--regime", choices=REGIMES, default=None, help="replace, mix or accumulate (default: preset's)")
    if human_fraction:
        p.add_argument(
            "--human-fraction",
            type=non_negative_float,
            default=None,
            help="human blocks in the pool as a fraction of N (default: preset's)",
        )
    p.add_argument("--detector", choices=DETECTORS, default=None, help="detector (default: preset's)")
    p.add_argument(
        "--generations", type=non_negative_int, default=None, help="generations after generation 0 (default: preset's)"
    )
    p.add_argument("--model", default=None, help="ngram, a zoo name, smollm2 or a checkpoint directory")


def _config(args: argparse.Namespace):
    from tenfold.collapse.config import repro_config
    from tenfold.common.cli import print_config
    from tenfold.common.config import apply_overrides

    cfg = repro_config(args.preset).run
    changes = {
        k: v
        for k, v in {
            "decoding": getattr(args, "decoding", None),
            "selection": getattr(args, "selection", None),
            "regime": getattr(args, "regime", None),
            "human_fraction": getattr(args, "human_fraction", None),
            "detector": getattr(args, "detector", None),
            "generations": getattr(args, "generations", None),
            "model": getattr(args, "model", None),
        }.items()
        if v is not None
    }
    if changes.get("regime") in ("mix", "accumulate") and "human_fraction" not in changes and cfg.human_fraction == 0:
        changes["human_fraction"] = 1.0 if changes["regime"] == "mix" else 0.0
    try:
        cfg = replace(cfg, seed=args.seed, **changes)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    cfg = apply_overrides(cfg, args.overrides)
    if args.show_config:
        print_config(cfg)
    return cfg


def _run(args: argparse.Namespace) -> int:
    from tenfold.collapse.pipeline import CollapseRun
    from tenfold.collapse.report import curves_figure
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table

    cfg = _config(args)
    if args.show_config:
        return 0
    if args.out_dir is not None:
        RunDir.check_same_config(args.out_dir, cfg)
        # a re-run walks the generations again from the cached stages and logs every one of them: start the log anew
        (args.out_dir / "metrics.jsonl").unlink(missing_ok=True)
    run = RunDir.create(Path("runs"), "collapse", args.preset, args.seed, cfg, path=args.out_dir)
    rows = []

    def record(gen) -> None:
        m = gen.metrics
        run.log(m["generation"], **{k: v for k, v in m.items() if not isinstance(v, dict)})
        rows.append(m)
        # a killed run keeps what it finished; the stages are in the cache, so a re-run resumes after them
        run.write_json("generations.json", {"run": rows})

    CollapseRun(cfg).run(record)
    run.save_figure(curves_figure({cfg.decoding: rows}), "curves")
    columns = ("generation", "perplexity", "accuracy", "diversity", "diversity_words", "self_bleu", "human_share")
    print_table(list(columns), [[_fmt(m.get(c)) for c in columns] for m in rows])
    print(f"results in {run.path}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    import dataclasses

    from tenfold.collapse.report import curves_figure
    from tenfold.collapse.reproduce import _run as run_job
    from tenfold.common.config import apply_overrides
    from tenfold.common.parallel import pmap
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table

    cfg = _config(args)
    if args.show_config:
        return 0
    names = {f.name for f in dataclasses.fields(cfg)}
    if args.param not in names:
        raise UserError(f"unknown field {args.param!r}; RunConfig has: {', '.join(sorted(names))}")
    values = [v.strip() for v in args.values.split(",") if v.strip()]
    if not values:
        raise UserError("--values needs at least one value")
    jobs = [(f"{args.param}={v}", apply_overrides(cfg, [f"{args.param}={v}"])) for v in values]
    run = RunDir.create(
        Path("runs"),
        "collapse",
        args.preset,
        args.seed,
        {"sweep": args.param, "values": values, "config": cfg},
        path=args.out_dir,
    )
    out = dict(pmap(run_job, jobs))
    run.write_json("generations.json", out)
    run.save_figure(curves_figure(out), "curves")
    rows = [
        [
            name,
            _fmt(g[-1]["perplexity"]),
            _fmt(g[-1].get("diversity")),
            _fmt(g[-1].get("human_share")),
            _fmt(g[-1].get("ess")),
        ]
        for name, g in out.items()
    ]
    print_table(["run", "final perplexity", "diversity", "human share", "ESS"], rows)
    print(f"results in {run.path}")
    return 0


def _fmt(x) -> str:
    return "" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _detect(args: argparse.Namespace) -> int:
    from tenfold.collapse.pipeline import CollapseRun

    cfg = _config(args)
    if args.show_config:
        return 0
    from tenfold.common.readers import read_text_lines

    lines = [line for line in read_text_lines(args.file, "text file") if line.strip()]
    if not lines:
        raise UserError(f"{args.file} has no non-empty lines")
    run = CollapseRun(replace(cfg, detector=args.detector, generations=0))
    det = run.detector(*run.generation0(), 1)
    ids = [list(run.kit.tokenizer(t, add_special_tokens=False)["input_ids"]) or [run.eos] for t in lines]
    for text, p in zip(lines, det.p_ai(lines, ids), strict=True):
        print(json.dumps({"p_ai": round(float(p), 6), "text": text}) if args.json else f"{p:.4f}\t{text[:100]}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from tenfold.collapse.report import curves_figure, load_runs
    from tenfold.common.tables import print_table

    runs = load_runs(args.run)
    out = args.out or (Path(args.run) / "curves.png" if Path(args.run).is_dir() else Path("curves.png"))
    curves_figure(runs).savefig(out, dpi=120)
    rows = [
        [name, g["generation"], _fmt(g["perplexity"]), _fmt(g.get("diversity"))]
        for name, gens in runs.items()
        for g in gens
    ]
    print_table(["run", "generation", "perplexity", "diversity"], rows)
    print(f"plot: {out}")
    return 0
