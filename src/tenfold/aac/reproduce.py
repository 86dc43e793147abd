"""``tenfold reproduce aac``: the paper's comparison on held-out conversational text, at CPU scale.

Every predictor is scored once (:func:`comparison`, a step shared by the claims); each claim reads its rows by name.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from tenfold.aac.baselines import CharLMPredictor, ClassifierHeadPredictor, MixturePredictor, NaiveSubwordPredictor
from tenfold.aac.claims import CLAIMS
from tenfold.aac.config import PRESETS, ReproConfig
from tenfold.aac.data import load_data
from tenfold.aac.metrics import evaluate, keystroke_savings
from tenfold.aac.predictor import CharPredictor
from tenfold.common.claims import Measured, Skipped, claim_index
from tenfold.common.reproduce import Context, Reproducer
from tenfold.common.seeding import torch_threads
from tenfold.lm.loading import load_local

log = logging.getLogger(__name__)

REPRODUCER = Reproducer("aac", CLAIMS, PRESETS, code=("tenfold.aac",))
CLAIM = claim_index(CLAIMS)
MIXTURE = CLAIM["mixture"].thresholds
PRUNING = CLAIM["pruning"].thresholds

# The predictors of the comparison, by role: the claims look their rows up by these names.
ALGORITHM = "algorithm (adapted)"
HEAD = "classification head"
CHAR = "character LM (byte-level stand-in)"
NAIVE = "naive subword"
NGRAM = "n-gram Kneser-Ney"
MIXED = f"mixture {MIXTURE['llm_weight']} algorithm + {MIXTURE['ngram_weight']} n-gram"
GENERAL = "algorithm (general only)"
RANDOM = "algorithm (random selection)"
SMOLLM2 = "SmolLM2-135M + algorithm"


def toy_exactness() -> float:
    """Max |unpruned predict − brute-force enumeration| over several typed texts on a hand-set toy LM."""
    from tenfold.aac.brute_force import brute_force_marginal, toy_setup

    lm, tokenizer, strings, symbols = toy_setup()
    pred = CharPredictor(
        lm, tokenizer, symbols=symbols, strings=strings, beam_width=None, max_completed=None, case_context=False
    )
    worst = 0.0
    for typed in ["", "a", "ab", "b a", "ab ", "ba ca", "cab a"]:
        exact = brute_force_marginal(lm, tokenizer, strings, symbols, typed)
        worst = max(worst, float(np.abs(pred.predict_array(typed) - exact).max()))
    return worst


def build_predictors(cfg: ReproConfig, seed: int, preset: str) -> tuple[dict, dict]:
    """Train (or load from the cache) every model and return the predictors (by role) and facts about the data."""
    from tenfold.aac import trained_models as models

    data = load_data()
    bpe, chars = models.tokenizers(data)
    sel = models.selections(data, cfg, seed)
    top = [data.pool[i] for i in sel["top"]]
    lms = models.train_models(data, cfg, seed, preset, (bpe, chars), sel)
    s0, s_top, s_rnd, c_top = lms["S0"], lms["S_top"], lms["S_random"], lms["C_top"]
    with torch_threads(1):  # built by train_models: read from the cache
        head = models.classifier_head(s_top, bpe, data.general_train + top, cfg, seed)
    ngram = models.ngram(data.general_train + top, cfg.ngram_order)

    def alg(path: Path, **kw) -> CharPredictor:
        model, _ = load_local(path)
        return CharPredictor(model, bpe, case_context=False, **kw)

    algorithm = alg(s_top)
    weights = [MIXTURE["llm_weight"], MIXTURE["ngram_weight"]]
    predictors = {
        ALGORITHM: algorithm,
        HEAD: ClassifierHeadPredictor(head, bpe),
        CHAR: CharLMPredictor(load_local(c_top)[0], chars),
        NAIVE: NaiveSubwordPredictor(load_local(s_top)[0], bpe, case_context=False),
        NGRAM: ngram,  # its order is the preset's (ngram_order)
        MIXED: MixturePredictor([algorithm, ngram], weights),
        GENERAL: alg(s0),
        RANDOM: alg(s_rnd),
    }
    facts = {"data": data, "selection": sel, "dirs": lms}
    return predictors, facts


def comparison(ctx: Context) -> dict:
    """Every predictor scored on the same held-out conversational text: ``{"table": {name: metrics}, ...}``."""
    cfg: ReproConfig = ctx.config
    t0 = time.perf_counter()
    predictors, facts = build_predictors(cfg, ctx.seed, ctx.preset)
    data = facts["data"]
    ctx.run.record_data_files(data.sources)
    for d in facts["dirs"].values():
        ctx.add_run_dir(d.parent)
    test = data.conversational_test
    table: dict[str, dict] = {}
    log.info("models ready after %.0f s", time.perf_counter() - t0)
    for name, model in predictors.items():
        t1 = time.perf_counter()
        table[name] = evaluate(model, test, cfg.eval_chars, desc=name).summary()
        log.info("%s: perplexity %.3f (%.0f s)", name, table[name]["perplexity"], time.perf_counter() - t1)
        ctx.run.log(None, predictor=name, **table[name])
    smol = None
    if cfg.smollm2:
        from tenfold.lm.loading import load_smollm2

        smol = load_smollm2()
        pruned = CharPredictor(*smol, beam_width=PRUNING["beam"], max_completed=PRUNING["max_completed"])
        table[SMOLLM2] = evaluate(pruned, test, cfg.smollm2_chars, desc="smollm2").summary()
        ctx.run.log(None, predictor=SMOLLM2, **table[SMOLLM2])
    ctx.run.write_json("comparison.json", table)
    ctx.add_plot(_plot(ctx, table))
    ctx.notes.append("perplexities: " + "; ".join(f"{k} {v['perplexity']:.3f}" for k, v in table.items()))
    return {"table": table, "predictors": predictors, "facts": facts, "smollm2": smol, "test": test}


def _ppl(ctx: Context) -> dict[str, dict]:
    return ctx.once(comparison)["table"]


@REPRODUCER.measures("exact_marginal")
def exact_marginal(ctx: Context) -> Measured:
    worst = toy_exactness()
    return Measured(f"max |Δ| = {worst:.1e} over 7 typed texts", {"max_abs_diff": worst})


@REPRODUCER.measures("beats_head")
def beats_head(ctx: Context) -> Measured:
    t = _ppl(ctx)
    alg, head = t[ALGORITHM]["perplexity"], t[HEAD]["perplexity"]
    return Measured(
        f"{alg:.3f} vs {head:.3f} ({100 * (1 - alg / head):.0f}% lower)",
        {"algorithm": alg, "head": head, "rows": {ALGORITHM: t[ALGORITHM], HEAD: t[HEAD]}},
    )


@REPRODUCER.measures("vs_byte")
def vs_byte(ctx: Context) -> Measured:
    t = _ppl(ctx)
    alg, char = t[ALGORITHM]["perplexity"], t[CHAR]["perplexity"]
    return Measured(
        f"{alg:.3f} vs {char:.3f} ({100 * (1 - alg / char):.0f}% lower)",
        {"algorithm": alg, "char": char},
        note="character LM of the same size and data",
    )


@REPRODUCER.measures("token_boundary")
def token_boundary(ctx: Context) -> Measured:
    t = _ppl(ctx)
    alg, naive = t[ALGORITHM]["midword_perplexity"], t[NAIVE]["midword_perplexity"]
    return Measured(
        f"mid-word {alg:.3f} vs naive {naive:.3f} ({100 * (1 - alg / naive):.0f}% lower); overall "
        f"{t[ALGORITHM]['perplexity']:.3f} vs {t[NAIVE]['perplexity']:.3f}",
        {"algorithm_midword": alg, "naive_midword": naive},
    )


@REPRODUCER.measures("mixture")
def mixture(ctx: Context) -> Measured:
    t = _ppl(ctx)
    mix, alg, ngram = t[MIXED], t[ALGORITHM], t[NGRAM]
    return Measured(
        f"{mix['perplexity']:.3f} (algorithm {alg['perplexity']:.3f}, n-gram {ngram['perplexity']:.3f}); "
        f"{mix['zero_prob_events']} zero-probability events (algorithm alone {alg['zero_prob_events']})",
        {
            "mixture": mix["perplexity"],
            "algorithm": alg["perplexity"],
            "ngram": ngram["perplexity"],
            "mixture_zero_prob_events": mix["zero_prob_events"],
        },
        note="the n-gram alone is better than both at this scale" if ngram["perplexity"] < mix["perplexity"] else "",
    )


@REPRODUCER.measures("adaptation")
def adaptation(ctx: Context) -> Measured:
    step = ctx.once(comparison)
    t, sel = step["table"], step["facts"]["selection"]
    alg, general, rand = (t[n]["perplexity"] for n in (ALGORITHM, GENERAL, RANDOM))
    return Measured(
        f"general only {general:.3f} → top-rated {alg:.3f} ({100 * (1 - alg / general):.1f}% lower); random "
        f"selection {rand:.3f} (top-rated {100 * (1 - alg / rand):.1f}% lower); conversational share of the "
        f"selection {sel['top_conversational']:.2f} vs {sel['random_conversational']:.2f}",
        {"algorithm": alg, "general": general, "random": rand},
    )


@REPRODUCER.measures("smollm2")
def smollm2_row(ctx: Context) -> Measured | Skipped:
    if not ctx.config.smollm2:
        return Skipped("smollm2=false")
    smol = _ppl(ctx)[SMOLLM2]
    return Measured(
        f"{smol['perplexity']:.3f} over {smol['chars']} characters ({smol['ms_per_keystroke']:.0f} ms/keystroke)",
        smol,
        note="pretrained, not adapted; 4-bit Instruct",
    )


@REPRODUCER.measures("keystroke_savings")
def keystroke_savings_row(ctx: Context) -> Measured:
    step = ctx.once(comparison)
    n = CLAIM["keystroke_savings"].thresholds["completions"]
    ks = keystroke_savings(step["predictors"][ALGORITHM], step["test"][: ctx.config.ks_sentences], n_best=n)
    return Measured(
        f"{ks['keystroke_savings']:.1f}% over {ks['characters']} characters ({n} completions, tiny adapted model)", ks
    )


@REPRODUCER.measures("pruning")
def pruning(ctx: Context) -> Measured:
    step = ctx.once(comparison)
    return _pruning(
        step["predictors"][ALGORITHM], step["smollm2"], step["table"].get(SMOLLM2), step["test"], ctx.config
    )


def _pruning(
    tiny: CharPredictor,
    smol: tuple | None,
    smol_row: dict | None,
    test: list[str],
    cfg: ReproConfig,
) -> Measured:
    """The claim's beam and cap against exact search: exact on the tiny model; on SmolLM2 (whose case-insensitive
    token paths are too many to enumerate on a CPU) against a near-exact search that drops only hypotheses below
    ``cfg.exact_min_ratio`` of the step's best and certifies the exact perplexity between two bounds. Judged on
    SmolLM2 where it runs, else on the tiny model."""
    # fresh predictors, so that neither finds the keystrokes already answered (memo, KV caches)
    model, tok = tiny.lm.model, tiny.tokenizer
    beam = {"beam_width": PRUNING["beam"], "max_completed": PRUNING["max_completed"]}
    pruned = evaluate(
        CharPredictor(model, tok, case_context=False, **beam), test, cfg.pruning_chars, desc="pruned"
    ).summary()
    exact = CharPredictor(model, tok, beam_width=None, max_completed=None, case_context=False)
    unpruned = evaluate(exact, test, cfg.pruning_chars, desc="exact").summary()
    rel = pruned["perplexity"] / unpruned["perplexity"] - 1
    speed = unpruned["ms_per_keystroke"] / pruned["ms_per_keystroke"]
    tiny_text = (
        f"tiny BPE-1024 model: {pruned['perplexity']:.4f} vs exact {unpruned['perplexity']:.4f} ({100 * rel:+.2f}%), "
        f"{speed:.1f}× faster ({pruned['chars']} chars)"
    )
    values = {"tiny_pruned": pruned, "tiny_exact": unpruned, "worst_rel": abs(rel), "speedup": speed}
    if smol is None or smol_row is None:
        return Measured(tiny_text, values, note="judged on the tiny model (SmolLM2 is off in this preset)")
    near = CharPredictor(*smol, beam_width=None, max_completed=None, min_ratio=cfg.exact_min_ratio)
    ref = evaluate(near, test, cfg.smollm2_chars, desc="smollm2 near-exact").summary()
    lo, hi = ref["exact_perplexity_low"], ref["exact_perplexity_high"]
    worst = max(abs(smol_row["perplexity"] / lo - 1), abs(smol_row["perplexity"] / hi - 1))
    speed = ref["ms_per_keystroke"] / smol_row["ms_per_keystroke"]
    values |= {"smollm2_pruned": smol_row, "smollm2_near_exact": ref, "worst_rel": worst, "speedup": speed}
    return Measured(
        f"SmolLM2: {smol_row['perplexity']:.4f} vs exact ∈ [{lo:.4f}, {hi:.4f}] (at most {100 * worst:.2f}% apart), "
        f"{speed:.1f}× faster ({smol_row['chars']} chars); {tiny_text}",
        values,
        note="judged on SmolLM2 (a real 49k-token vocabulary, like the paper's models); the tiny model's short "
        "tokens split words into many competing paths",
    )


def _plot(ctx: Context, table: dict) -> Path:
    from tenfold.common.plots import new_figure

    names = sorted(table, key=lambda n: table[n]["perplexity"])
    fig, ax = new_figure(6.5, 0.5 + 0.38 * len(names))
    values = [table[n]["perplexity"] for n in names]
    bars = ax.barh(names, values, color=["C2" if "algorithm" in n else "C0" for n in names])
    ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("character perplexity on held-out conversational text (lower is better)")
    ax.tick_params(axis="y", labelsize=8)
    return ctx.run.save_figure(fig, "perplexity")
