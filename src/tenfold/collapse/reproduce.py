"""``tenfold reproduce collapse``: the resampler and metric identities, the detector, collapse by decoding strategy,
prevention by resampling on a 50 % mix with its compute-matched controls, and the 20 % case."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import Any

import numpy as np

from tenfold.collapse.claims import CLAIMS
from tenfold.collapse.config import PRESETS, ReproConfig
from tenfold.collapse.decoding import DETERMINISTIC
from tenfold.collapse.pipeline import RunConfig, run_collapse
from tenfold.collapse.resample import human_share_bound
from tenfold.common.claims import Measured, Skipped
from tenfold.common.parallel import pmap
from tenfold.common.reproduce import Context, Reproducer

REPRODUCER = Reproducer("collapse", CLAIMS, PRESETS, code=("tenfold.collapse",))


# -- identities -----------------------------------------------------------------------------------------------------
def resampler_checks(seeds: int = 5) -> dict[str, Any]:
    """The resampler's identities (the same ones the unit tests pin)."""
    from collections import Counter

    from tenfold.collapse.resample import official_indices, resample

    n_h, n_s = 200, 800  # 20 % human data
    p = np.array([1 - 1e-6] * n_s + [0.0] * n_h, dtype=np.float64)
    is_human = [False] * n_s + [True] * n_h
    shares = [resample(p, seed=s).human_share(is_human) for s in range(seeds)]
    fallback_sel = resample(np.array([1.0] * n_s + [0.0] * n_h), seed=0)
    sel = resample(p, seed=3)
    counts = Counter(sel.indices)
    uniform = resample(np.random.default_rng(0).random(n_s + n_h), beta=0.0, seed=1)
    official = resample(p, sampler="official", seed=42)
    checks = {
        "length": len(sel.indices) == round(1.5 * (n_s + n_h)),
        "at_most_R": max(counts.values()) <= 3,
        "seeded": resample(p, seed=3).indices == sel.indices,
        "beta0_uniform_ess": abs(uniform.ess - (n_s + n_h)) < 1e-9,
        "official_one_for_one": official.indices == official_indices(p, 10.0, 3, 1.5, 42),
        "fallback_flagged": fallback_sel.fallback,
    }
    return {
        "shares": shares,
        "fallback": [fallback_sel.human_share(is_human)],
        "checks": checks,
        "all_hold": all(checks.values()),
    }


@REPRODUCER.measures("resampler_identity")
def resampler_identity(ctx: Context) -> Measured:
    v = resampler_checks()
    text = f"human share {', '.join(f'{s:.3f}' for s in v['shares'])} (5 seeds), fallback {v['fallback'][0]:.3f}"
    failed = [k for k, ok in v["checks"].items() if not ok]
    return Measured(
        text + (f"; FAILED: {', '.join(failed)}" if failed else "; length, ≤ R, seeds, β = 0, official: ok"), v
    )


@REPRODUCER.measures("metric_identities")
def metric_identities(ctx: Context) -> Measured:
    from tenfold.collapse.metrics import self_bleu, text_diversity

    v = {
        "distinct": text_diversity("a b c d e f g h i j"),
        "repeated": text_diversity(" ".join(["a"] * 10)),
        "self_bleu": self_bleu([[1, 2, 3, 4, 5]] * 4),
    }
    return Measured(
        f"distinct {v['distinct']:.3f}, repeated ×10 {v['repeated']:.6f} (1/504 = {1 / 504:.6f}), "
        f"self-BLEU {v['self_bleu']:.3f}",
        v,
    )


# -- the runs ---------------------------------------------------------------------------------------------------------
def _run(job: tuple[str, RunConfig]) -> tuple[str, list[dict[str, Any]]]:
    import logging

    logging.getLogger("tenfold.lm").setLevel(logging.WARNING)
    name, cfg = job
    return name, run_collapse(cfg)


def plan(cfg: ReproConfig, seed: int) -> dict[str, RunConfig]:
    """Every run of the reproduction by name (the controls need the resampled run's step count: see
    :func:`_runs`)."""
    base = replace(cfg.run, seed=seed)
    runs = {f"replace/{s}": replace(base, decoding=s) for s in cfg.strategies}
    mix = replace(base, decoding=cfg.prevention_decoding, regime="mix", human_fraction=cfg.mix_human_fraction)
    runs["mix/none"] = mix
    runs["mix/importance"] = replace(mix, selection="importance", refit_detector=True)
    if cfg.frozen_detector:
        runs["mix/importance-frozen"] = replace(mix, selection="importance")
    if cfg.twenty_percent:
        twenty = replace(mix, human_fraction=cfg.small_human_fraction, generations=1)
        runs["20%/none"] = twenty
        runs["20%/importance"] = replace(twenty, selection="importance", refit_detector=True)
    return runs


def _runs(ctx: Context) -> dict[str, list[dict[str, Any]]]:
    cfg: ReproConfig = ctx.config
    runs = plan(cfg, ctx.seed)
    out = dict(pmap(_run, list(runs.items()), workers=cfg.workers))
    # compute-matched controls: human blocks only, as many steps per generation as the resampled run took
    steps = out["mix/importance"][1]["steps"]
    controls = {
        f"human-only/{m:g}x": replace(runs["mix/none"], human_only=True, generations=1, steps=round(m * steps))
        for m in cfg.control_steps
    }
    out |= dict(pmap(_run, list(controls.items()), workers=cfg.workers))
    for name, gens in out.items():
        for g in gens:
            ctx.run.log(g["generation"], run=name, **{k: v for k, v in g.items() if not isinstance(v, dict)})
    ctx.run.write_json("generations.json", out)
    _plots(ctx, out)
    return out


def _plots(ctx: Context, out: dict[str, list[dict[str, Any]]]) -> None:
    from tenfold.collapse.report import curves_figure

    ctx.save_figure(curves_figure({k: v for k, v in out.items() if k.startswith("replace/")}), "collapse_by_decoding")
    ctx.save_figure(curves_figure({k: v for k, v in out.items() if k.startswith("mix/")}), "prevention")


@REPRODUCER.measures("detector_quality")
def detector_quality(ctx: Context) -> Measured | Skipped:
    out = ctx.once(_runs)
    info = out["mix/importance"][1].get("detector")
    if not info:
        return Skipped("no detector was fitted")
    c, u = info["calibrated"], info["uncalibrated"]
    return Measured(
        f"test split ({info['test']} texts): accuracy {c['accuracy']:.3f}, AUC {c['auc']:.3f}; ECE {u['ece']:.3f} → "
        f"{c['ece']:.3f} (T = {info['temperature']:.2f})",
        info,
    )


@REPRODUCER.measures("collapse_by_decoding")
def collapse_by_decoding(ctx: Context) -> Measured:
    cfg: ReproConfig = ctx.config
    out = ctx.once(_runs)
    v: dict[str, Any] = {
        "deterministic": [s for s in cfg.strategies if s in DETERMINISTIC],
        "stochastic": [s for s in cfg.strategies if s not in DETERMINISTIC],
        "runs": {},
    }
    parts = []
    for s in cfg.strategies:
        gens = out[f"replace/{s}"]
        ppl = [g["perplexity"] for g in gens]
        div = [g["diversity"] for g in gens[1:]]
        v["runs"][s] = {
            "perplexity": ppl,
            "diversity": div,
            "diversity_words": [g["diversity_words"] for g in gens[1:]],
            "ppl_rises": all(b > a for a, b in pairwise(ppl)),
            "final_diversity": div[-1],
            "min_diversity": min(div),
        }
        parts.append(f"{s}: ppl {ppl[0]:.0f} → {ppl[-1]:.0f}, diversity {div[-1]:.3f}")
    return Measured("; ".join(parts), v)


@REPRODUCER.measures("resampling_prevents_collapse")
def resampling_prevents_collapse(ctx: Context) -> Measured:
    out = ctx.once(_runs)
    res, none = out["mix/importance"], out["mix/none"]
    ppl0 = res[0]["perplexity"]
    v = {
        "importance": [g["perplexity"] for g in res],
        "none": [g["perplexity"] for g in none],
        "frozen": [g["perplexity"] for g in out.get("mix/importance-frozen", [])],
        "human_share": [g.get("human_share") for g in res[1:]],
        "human_share_frozen": [g.get("human_share") for g in out.get("mix/importance-frozen", [])[1:]],
        "below_none": all(a["perplexity"] < b["perplexity"] for a, b in zip(res[1:], none[1:], strict=True)),
        "max_ratio": max(g["perplexity"] for g in res[1:]) / ppl0,
    }
    text = (
        f"gen 0 {ppl0:.1f}; resampled {' → '.join(f'{p:.1f}' for p in v['importance'][1:])} "
        f"(max {v['max_ratio']:.3f}×); no selection {' → '.join(f'{p:.1f}' for p in v['none'][1:])}"
    )
    if v["frozen"]:
        text += f"; frozen detector {' → '.join(f'{p:.1f}' for p in v['frozen'][1:])}"
    return Measured(text, v)


@REPRODUCER.measures("versus_human_only")
def versus_human_only(ctx: Context) -> Measured:
    out = ctx.once(_runs)
    v = {
        "generation0": out["mix/importance"][0]["perplexity"],
        "resampled_final": out["mix/importance"][-1]["perplexity"],
        "resampled_steps": out["mix/importance"][-1]["steps"],
        "controls": {k: g[-1]["perplexity"] for k, g in out.items() if k.startswith("human-only/")},
    }
    controls = ", ".join(f"{k.split('/')[1]} steps {p:.1f}" for k, p in v["controls"].items())
    return Measured(
        f"resampled {v['resampled_final']:.1f} ({v['resampled_steps']} steps) vs generation 0 {v['generation0']:.1f} "
        f"(1 epoch); human-only {controls}",
        v,
    )


@REPRODUCER.measures("twenty_percent")
def twenty_percent(ctx: Context) -> Measured | Skipped:
    out = ctx.once(_runs)
    if "20%/importance" not in out:
        return Skipped("twenty_percent=false")
    g, none = out["20%/importance"][1], out["20%/none"][1]
    bound = human_share_bound(round(g["pool_human_share"] * g["pool"]), g["pool"], 3, 1.5)
    v = {"human_share": g["human_share"], "bound": bound, "perplexity": g["perplexity"], "none": none["perplexity"]}
    return Measured(
        f"human share {g['human_share']:.3f} (bound {bound:.3f}); perplexity {g['perplexity']:.1f} vs no selection "
        f"{none['perplexity']:.1f}",
        v,
    )
