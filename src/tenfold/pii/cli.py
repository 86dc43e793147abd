"""``tenfold pii ...``: build-corpus (synthetic people planted in background text, with a manifest), train (one of
the three pipelines), extract (attack one checkpoint), audit (the taxonomy of a continuous run: table and bars)."""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    existing_dir,
    existing_file,
    existing_path,
    fraction,
    non_negative_int,
    positive_int,
)
from tenfold.common.errors import UserError


def register(sub) -> None:
    from tenfold.pii.names import DEFENCES, PIPELINES

    inner = add_group(
        sub,
        "pii",
        help="PII memorisation when PII is added to or removed from training",
        description="Privacy ripple effects: assisted memorisation, adding and removing PII (arXiv 2502.15680)",
    )
    p = add_command(
        inner,
        "build-corpus",
        _build_corpus,
        "plant synthetic people (faker) in background text; examples.jsonl + manifest.json",
        example="tenfold pii build-corpus --preset test --out-dir corpus/",
    )
    _corpus_options(p)
    add_run_args(p, out_dir_help="directory to write the corpus to (default: ./pii-corpus)")

    p = add_command(
        inner,
        "train",
        _train,
        "fine-tune and attack along one pipeline: continuous (taxonomy), adding (nested D_p), removal (rounds)",
        example="tenfold pii train --pipeline continuous --preset test",
    )
    p.add_argument("--pipeline", choices=PIPELINES, required=True, help="which experiment")
    p.add_argument("--corpus", type=existing_dir, default=None, help="a built corpus (default: build the preset's)")
    p.add_argument("--defence", choices=DEFENCES, default="none", help="train under a defence (default none)")
    _corpus_options(p)
    add_run_args(p)

    p = add_command(
        inner,
        "extract",
        _extract,
        "untargeted and true-prefix extraction from one checkpoint",
        example="tenfold pii extract RUN/checkpoints/step_0000010.pt --corpus corpus/ --preset test",
    )
    p.add_argument("checkpoint", type=existing_file, help="a checkpoint file (step_*.pt) of a pii run")
    p.add_argument("--corpus", type=existing_dir, required=True, help="the corpus the checkpoint was trained on")
    p.add_argument("--prompts", type=positive_int, default=None, help="untargeted prompts (default: preset's)")
    p.add_argument(
        "--top-k", type=non_negative_int, default=None, help="0 greedy, 40 the paper's top-k (default: preset's)"
    )
    add_run_args(p, out_dir_help=None)

    p = add_command(
        inner,
        "audit",
        _audit,
        "taxonomy of a continuous run per checkpoint: table and stacked bars",
        example="tenfold pii audit runs/pii__test__seed0",
    )
    p.add_argument("run", type=existing_path, help="a run directory of `tenfold pii train --pipeline continuous`")
    p.add_argument("--faithful", action="store_true", help="the official overlapping definitions and denominators")


def _corpus_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--background", default=None, help="lm corpus of the passages (default: preset's)")
    p.add_argument("--records", type=positive_int, default=None, help="planted people (default: preset's)")
    p.add_argument("--family-share", type=fraction, default=None, help="share in look-alike families")


def _config(args: argparse.Namespace) -> Any:
    from tenfold.common.cli import print_config
    from tenfold.common.config import apply_overrides
    from tenfold.pii.config import repro_config

    cfg = repro_config(args.preset)
    changes = {
        k: v
        for k, v in {
            "background": getattr(args, "background", None),
            "n_records": getattr(args, "records", None),
            "family_share": getattr(args, "family_share", None),
        }.items()
        if v is not None
    }
    try:
        cfg = replace(cfg, corpus=replace(cfg.corpus, seed=args.seed, **changes))
    except ValueError as exc:
        raise UserError(str(exc)) from None
    cfg = apply_overrides(cfg, args.overrides)
    if args.show_config:
        print_config(cfg)
    return cfg


def _corpus(args: argparse.Namespace, cfg: Any) -> Any:
    from tenfold.pii.corpus import PiiCorpus

    return PiiCorpus.load(args.corpus) if getattr(args, "corpus", None) else cfg.corpus.build()


def _build_corpus(args: argparse.Namespace) -> int:
    cfg = _config(args)
    if args.show_config:
        return 0
    corpus = cfg.corpus.build()
    out = args.out_dir or Path("pii-corpus")
    corpus.save(out)
    reps = sum(r.repetitions for r in corpus.records)
    print(
        f"{len(corpus.examples)} examples, {len(corpus.records)} records ({reps} plantings), "
        f"{len(corpus.canaries)} canaries → {out}"
    )
    return 0


def _train(args: argparse.Namespace) -> int:
    from tenfold.common.rundir import RunDir
    from tenfold.common.tables import print_table
    from tenfold.pii import pipelines
    from tenfold.pii.defences import apply_defence

    cfg = _config(args)
    if args.show_config:
        return 0
    corpus = apply_defence(_corpus(args, cfg), args.defence)
    train = replace(cfg.train, dp_noise=cfg.dp_noise) if args.defence == "dp-sgd" else cfg.train
    train = replace(train, seed=cfg.train.seed + args.seed)
    run = RunDir.create(
        Path("runs"),
        "pii",
        args.preset,
        args.seed,
        {"pipeline": args.pipeline, "defence": args.defence, **_plain(cfg)},
        path=args.out_dir,
    )
    if args.pipeline == "continuous":
        out = pipelines.continuous(corpus, train, cfg.extract)
        run.write_json("pipeline.json", out)
        _print_taxonomy(out["checkpoints"], "clean")
        from tenfold.pii.report import taxonomy_figure
        from tenfold.pii.training import plan_of

        plan = plan_of(out["run"])
        if "epsilon" in plan:
            print(
                f"DP-SGD: ε = {plan['epsilon']:.2f} at δ = {train.dp_delta:g} "
                f"(σ = {train.dp_noise:g}, C = {train.dp_clip:g})"
            )

        run.save_figure(taxonomy_figure(out["checkpoints"]), "taxonomy")
    elif args.pipeline == "adding":
        out = pipelines.adding(corpus, train, cfg.extract, cfg.shares, workers=cfg.workers)
        run.write_json("pipeline.json", out)
        print_table(
            ["dataset", "records", "D10 extracted", "all extracted", "D10 true prefix"],
            [
                [n, d["records"], len(d["extracted_target"]), d["extracted_all"], d["true_prefix_target"]]
                for n, d in out["datasets"].items()
            ],
        )
    else:
        out = pipelines.removal(corpus, train, cfg.extract, cfg.removal_rounds, workers=cfg.workers)
        run.write_json("pipeline.json", out)
        rows = [[r["round"], r["records"], len(r["extracted"]), len(r["new"])] for r in out["rounds"]]
        rows.append(
            [
                f"seed {out['control']['seed']}",
                len(corpus.records),
                len(out["control"]["extracted"]),
                len(out["control"]["new"]),
            ]
        )
        print_table(["round", "records", "extracted", "never extracted before"], rows)
    print(f"results in {run.path}")
    return 0


def _plain(cfg: Any) -> dict[str, Any]:
    from dataclasses import asdict

    return json.loads(json.dumps(asdict(cfg), default=str))


def _extract(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.pii.corpus import PiiCorpus
    from tenfold.pii.pipelines import extract_checkpoint

    cfg = _config(args)
    if args.show_config:
        return 0
    ex = cfg.extract
    if args.prompts is not None:
        ex = replace(ex, prompts=args.prompts)
    if args.top_k is not None:
        try:
            ex = replace(ex, top_k=args.top_k, samples=max(ex.samples, 1))
        except ValueError as exc:
            raise UserError(str(exc)) from None
    # both inputs checked before either is used, every problem in the one line
    problems, corpus = [], None
    try:
        _check_checkpoint(args.checkpoint)
    except UserError as exc:
        problems.append(str(exc))
    try:
        corpus = PiiCorpus.load(args.corpus)
    except UserError as exc:
        problems.append(str(exc))
    if problems or corpus is None:
        raise UserError("; ".join(problems))
    out = extract_checkpoint(corpus, cfg.train, args.checkpoint.resolve(), ex)
    rec = corpus.record_of()
    print_table(
        ["email", "repetitions", "family", "generations holding it"],
        [[e, rec[e].repetitions, rec[e].kind, out["hits"][e]] for e in out["extracted"]],
    )
    print(
        f"untargeted: {len(out['extracted'])} of {len(corpus.records)} records from {out['generations']} "
        f"generations ({out['pii_generated']} emails generated); true prefix: {len(out['true_prefix'])}"
    )
    return 0


def _check_checkpoint(path: Path) -> None:
    """A one-line error for a file that is not a checkpoint of a pii run (before any model is built)."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a damaged file
        raise UserError(f"{path} is not a checkpoint ({type(exc).__name__})") from None
    if not isinstance(state, dict) or "model" not in state:
        raise UserError(f"{path} is not a checkpoint of a pii run (no model weights)")


def _print_taxonomy(rows: list[dict[str, Any]], mode: str) -> None:
    from tenfold.common.tables import print_table
    from tenfold.pii.taxonomy import CLASSES

    print_table(
        ["step", "epoch", "% of epoch", "extracted", *CLASSES, "denominator"],
        [
            [
                r["step"],
                r["epoch"],
                r["percent_of_epoch"],
                len(r["extracted"]),
                *(len(r[mode][c]) for c in CLASSES),
                r[mode]["denominator"],
            ]
            for r in rows
        ],
    )


def _audit(args: argparse.Namespace) -> int:
    from tenfold.common.plots import save_figure
    from tenfold.common.readers import read_json
    from tenfold.pii.report import taxonomy_figure

    path = args.run / "pipeline.json" if args.run.is_dir() else args.run
    if not path.exists():
        raise UserError(f"{args.run} holds no pipeline.json (run `tenfold pii train --pipeline continuous` first)")
    out = read_json(path, "pii pipeline result")
    if not isinstance(out, dict) or "checkpoints" not in out:
        raise UserError(f"{path} is not the result of a continuous pipeline")
    mode = "faithful" if args.faithful else "clean"
    _print_taxonomy(out["checkpoints"], mode)
    png = path.parent / f"taxonomy_{mode}.png"
    save_figure(taxonomy_figure(out["checkpoints"], mode), png)
    print(f"bars in {png}")
    return 0
