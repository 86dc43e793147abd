"""``tenfold latim explain|eval|train-task``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    add_run_args,
    non_negative_int,
    output_dir,
    positive_int,
    print_config,
)
from tenfold.common.errors import UserError
from tenfold.latim.methods import ARCHS, METHODS, MODES, SUITES


def layer_index(text: str) -> int:
    """A layer: 0, 1, ... from the first, -1, -2, ... from the last (checked against the model when it is loaded)."""
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a layer index (an integer; -1 is the last), got '{text}'") from None


def register(sub) -> None:
    inner = add_group(
        sub,
        "latim",
        help="LaTIM: token-to-token interaction maps for Mamba-1 and Mamba-2",
        description="LaTIM (Pitorro & Treviso, arXiv 2502.15612): exact token-to-token interactions in Mamba models",
    )
    p = add_command(
        inner,
        "explain",
        _explain,
        "interaction maps of a local Mamba / Mamba-2 model on a text",
        example='tenfold latim explain --model mamba-tiny --text "the cat sat on the mat" --method latim-alti '
        "--out-dir maps",
    )
    p.add_argument("--model", required=True, help="a local Hugging Face directory or a tenfold zoo model name")
    p.add_argument("--text", required=True, help="the text to explain")
    p.add_argument("--method", default="latim-alti", choices=METHODS, help="default latim-alti")
    p.add_argument("--mode", default="post-conv", choices=MODES, help="conv treatment (default post-conv)")
    p.add_argument("--layer", type=layer_index, default=None, help="one layer (default all; -1 is the last)")
    p.add_argument(
        "--out-dir",
        "--out",
        dest="out",
        type=output_dir,
        default=Path("latim-explain"),
        help="where heatmaps, HTML and maps go (default latim-explain)",
    )

    p = add_command(
        inner,
        "eval",
        _eval,
        "train (or load) a task model and score methods against ground truth",
        example="tenfold latim eval --task copy --arch mamba --preset test",
    )
    p.add_argument("--task", default="copy", help=f"one of {', '.join(SUITES)} (default copy)")
    p.add_argument("--arch", default="mamba", help=f"one of {', '.join(ARCHS)} (default mamba)")
    p.add_argument("--method", action="append", default=None, help=f"repeatable; default: {', '.join(METHODS)}")
    p.add_argument("--examples", type=positive_int, default=None, help="test strings (default: the preset's)")
    p.add_argument(
        "--causal",
        type=non_negative_int,
        default=30,
        metavar="N",
        help="score the model's own causal AUC (removing each token from the last layer) on the first N "
        "test strings, the reference a method's AUC is read against (default 30; 0: skip)",
    )
    p.add_argument("--json", action="store_true", help="print the scores as JSON")
    add_run_args(p, out_dir_help=None)

    p = add_command(
        inner,
        "train-task",
        _train_task,
        "train a tiny Mamba model on a synthetic task (cached)",
        example="tenfold latim train-task --task copy --arch mamba2 --preset test",
    )
    p.add_argument("--task", default="copy", help=f"one of {', '.join(SUITES)}")
    p.add_argument("--arch", default="mamba", help=f"one of {', '.join(ARCHS)}")
    add_run_args(p, out_dir_help=None)


def _suite(args: argparse.Namespace):
    from tenfold.latim.config import repro_config, retrieve_suite

    if args.task not in SUITES:
        raise UserError(f"unknown task '{args.task}' (choose from {', '.join(SUITES)})")
    if args.arch not in ARCHS:
        raise UserError(f"unknown architecture '{args.arch}' (choose from {', '.join(ARCHS)})")
    cfg = repro_config(args.preset)
    suites = {"retrieve": retrieve_suite(), **{s.name: s for s in cfg.suites}}  # the preset's own, where it has one
    return cfg, suites[args.task]


def _train_config(args: argparse.Namespace):
    from tenfold.common.config import apply_overrides

    cfg, suite = _suite(args)
    tc = suite.train_config(args.arch, args.seed, cfg.model)
    return cfg, suite, apply_overrides(tc, args.overrides)


def _train_task(args: argparse.Namespace) -> int:
    from tenfold.latim.train import model_dir, train_task

    _, _, tc = _train_config(args)
    if args.show_config:
        print_config(tc)
        return 0
    _, metrics = train_task(tc, progress=True)
    print(
        f"{args.task} / {args.arch}: accuracy {100 * metrics.get('eval/accuracy', float('nan')):.1f}% "
        f"({metrics.get('step')} steps) — {model_dir(tc)}"
    )
    return 0


def _eval(args: argparse.Namespace) -> int:
    from tenfold.common.seeding import derive_seed
    from tenfold.common.tables import print_table
    from tenfold.latim.api import METHODS
    from tenfold.latim.evaluate import (
        alignment_error_rate,
        causal_source_scores,
        maps_for,
        off_length_accuracy,
        source_scores,
    )
    from tenfold.latim.tasks import collate, dataset
    from tenfold.latim.train import accuracy, train_task

    cfg, _, tc = _train_config(args)
    for m in args.method or []:
        if m not in METHODS:
            raise UserError(f"unknown method '{m}' (choose from {', '.join(METHODS)})")
    if args.show_config:
        print_config(tc)
        return 0
    model, _ = train_task(tc, progress=True)
    # the reproduction's test strings for this seed (so a model of the reproduction scores as it does there), drawn
    # from the task as overridden
    test = dataset(tc.task, args.examples or cfg.test_examples, derive_seed(args.seed, "test", args.task) % 2**31)
    rows, out = [], {"task": args.task, "arch": args.arch, "accuracy": accuracy(model, collate(test)), "methods": {}}
    if tc.task.name == "copy" and tc.task.min_len == tc.task.max_len:
        out["off_length"] = off_length_accuracy(model, tc.task, args.seed)
    for method in args.method or list(METHODS):
        maps = maps_for(model, test, method, only_rows=tc.task.name == "retrieve")
        s = source_scores(maps, test)
        row = {"auc": s.auc, "top1": s.top1}
        if tc.task.name == "translate":
            row["aer"] = alignment_error_rate(maps, test)
        out["methods"][method] = row
        rows.append([method, f"{s.auc:.1f}", f"{s.top1:.1f}", f"{row['aer']:.1f}" if "aer" in row else "—"])
    if args.causal > 0:
        c = causal_source_scores(model, test[: args.causal])
        out["causal"] = {"auc": c.auc, "top1": c.top1, "strings": min(args.causal, len(test))}
        rows.append(["causal (token removal)", f"{c.auc:.1f}", f"{c.top1:.1f}", "—"])
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        title = f"{args.task} / {args.arch}: model accuracy {100 * out['accuracy']:.1f}%, {len(test)} test strings"
        if "off_length" in out:
            title += f" ({100 * out['off_length']:.1f}% at other lengths)"
        print_table(["method (last layer)", "AUC", "top-1 %", "AER %"], rows, title=title)
    return 0


def _explain(args: argparse.Namespace) -> int:
    import torch

    from tenfold.latim.api import explain
    from tenfold.latim.layers import blocks, check_layers
    from tenfold.latim.viz import heatmaps, html_view
    from tenfold.lm.loading import load_model

    if not args.text.strip():
        raise UserError("nothing to explain: the text is empty")
    model, tokenizer = load_model(args.model)
    layers = check_layers(model, args.layer)  # before tokenising: a bad layer or a non-Mamba model fails fast
    if tokenizer is None:
        raise UserError(f"'{args.model}' has no tokenizer files; LaTIM needs one to turn the text into tokens")
    ids = tokenizer(args.text, add_special_tokens=False)["input_ids"]
    tokens = [tokenizer.decode([t]) for t in ids]
    maps = explain(model, torch.tensor(ids), method=args.method, layers=layers, mode=args.mode)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.save({"tokens": tokens, "ids": ids, "layers": layers, "maps": maps}, args.out / "maps.pt")
    named = {f"{args.method}, layer {layer}": maps[k] for k, layer in enumerate(layers)}
    for k, layer in enumerate(layers):
        heatmaps({f"{args.method}, layer {layer}": maps[k]}, tokens, args.out / f"layer{layer}.png")
    html_view(named, tokens, args.out / "index.html", title=f"LaTIM: {args.method} on {len(tokens)} tokens")
    last = maps[-1][-1]
    top = torch.topk(last, min(5, last.numel()))
    shown = ", ".join(f"{tokens[j]!r} {float(v):.2f}" for v, j in zip(top.values, top.indices, strict=True))
    print(f"{len(blocks(model))} layers, {len(tokens)} tokens; last token's top sources at layer {layers[-1]}: {shown}")
    print(f"wrote {args.out}/index.html, {len(layers)} heatmap(s) and maps.pt")
    return 0
