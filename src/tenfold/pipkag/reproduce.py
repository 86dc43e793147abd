"""``tenfold reproduce pipkag``: the pruning identities, the scorer on the shipped CoConflictQA items, the tiny
setting (ΔR, the pair table, pruning's effect on memory, the method table) and, in the paper preset, SmolLM2."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from tenfold.common.claims import Measured, Skipped
from tenfold.common.reproduce import Context, Reproducer
from tenfold.common.seeding import seed_everything, torch_threads
from tenfold.pipkag.claims import CLAIMS
from tenfold.pipkag.config import PRESETS, ReproConfig
from tenfold.pipkag.pipeline import CONTROLS, METHODS, Setting, auto_k, build_method, evaluate, method, parameters

REPRODUCER = Reproducer("pipkag", CLAIMS, PRESETS, code=("tenfold.pipkag", "tenfold.lm"))
THREADS = 2
"""torch threads for every training and evaluation (pinned: the rounding, hence the result, depends on it)."""


def pruning_identities() -> dict[str, float]:
    """The pruned layer against the formula, the λ dial's ends, and the LLaMA3-8B parameter share."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from tenfold.pipkag.layers import ScaledFFN, ffn_sites, llama3_8b_config, prune_layers, removed_fraction

    shape = {"hidden_size": 32, "intermediate_size": 96, "num_hidden_layers": 2, "num_attention_heads": 4}
    cfg = LlamaConfig(vocab_size=64, num_key_value_heads=4, max_position_embeddings=32, **shape)
    torch.manual_seed(0)

    original = LlamaForCausalLM(cfg).eval()
    ids = torch.randint(0, 64, (1, 12))

    def hidden(model: Any) -> torch.Tensor:
        with torch.no_grad():
            return model(input_ids=ids, output_hidden_states=True).hidden_states

    import copy

    pruned, soft_zero, one = copy.deepcopy(original), copy.deepcopy(original), copy.deepcopy(original)
    prune_layers(pruned, [1])
    prune_layers(one, [1], lam=1.0)
    # the dial at λ = 0 keeps the FFN and its norm and multiplies the output by zero
    soft_site = ffn_sites(soft_zero)[1]
    setattr(soft_site.layer, soft_site.mlp_name, ScaledFFN(getattr(soft_site.layer, soft_site.mlp_name), 0.0))
    h_in = hidden(original)[1]
    layer = ffn_sites(original)[1].layer
    with torch.no_grad():
        rotary = original.model.rotary_emb(h_in, torch.arange(12)[None])
        attn = layer.self_attn(layer.input_layernorm(h_in), position_embeddings=rotary, attention_mask=None)[0]
        formula = original.model.norm(h_in + attn)
    return {
        "pruned_vs_formula": float((hidden(pruned)[-1] - formula).abs().max()),
        "lambda0_vs_pruned": float((hidden(soft_zero)[-1] - hidden(pruned)[-1]).abs().max()),
        "lambda1_vs_original": float((hidden(one)[-1] - hidden(original)[-1]).abs().max()),
        "llama3_8b_share": round(100 * removed_fraction(llama3_8b_config(), 6), 2),
    }


@REPRODUCER.measures("pruning_identity")
def pruning_identity(ctx: Context) -> Measured:
    v = pruning_identities()
    return Measured(
        f"max |Δ| {max(v['pruned_vs_formula'], v['lambda0_vs_pruned'], v['lambda1_vs_original']):.1e}; "
        f"LLaMA3-8B, 6 FFNs: {v['llama3_8b_share']:.2f} % of the parameters",
        v,
    )


@REPRODUCER.measures("scorer_fixtures")
def scorer_fixtures(ctx: Context) -> Measured | Skipped:
    from tenfold.pipkag.data import coconflictqa_dir, load_coconflictqa
    from tenfold.pipkag.metrics import aggregate, score_item

    root = coconflictqa_dir()
    if root is None:
        return Skipped("CoConflictQA is not in the shared data folder ($TENFOLD_SHARED_DATA/coconflictqa)")
    items = load_coconflictqa(root)

    def table(predict, legacy: bool = False) -> list[float]:
        scores = aggregate([score_item(predict(i), i.answers, i.parametric_answer, legacy) for i in items], legacy)
        return [round(scores[k], 2) for k in ("ConR", "ParR", "MR", "EM")]

    v = {
        "items": len(items),
        "fixed": table(lambda i: i.answers[0]),
        "official": table(lambda i: i.answers[0], legacy=True),
        "parametric": table(lambda i: i.parametric_answer),
    }
    return Measured(f"{v['items']} items: fixed {v['fixed']}, official {v['official']}", v)


# -- the tiny setting -------------------------------------------------------------------------------------------------
def run_setting(
    setting: Setting,
    k: int,
    methods: tuple[str, ...],
    workdir: Path,
    granularity: str = "per_example",
    pair_table: bool = False,
) -> dict[str, Any]:
    """ΔR, the methods' rows (by name), the controls' closed-book accuracy and (optionally) the drop of every k-set."""
    from tenfold.pipkag.layers import ffn_sites
    from tenfold.pipkag.pipeline import score_layers

    base = setting.fresh_model()
    scores = score_layers(base, setting)
    rows: dict[str, dict[str, Any]] = {}
    for name in methods:
        m = method(name)
        seed_everything(setting.adapt_optim.seed)
        model, pruned = build_method(setting, m, scores, k, workdir, granularity)
        rows[name] = evaluate(model, setting, m) | {"pruned": pruned, "parameters": parameters(model)}
    out: dict[str, Any] = {
        "delta": scores.delta,
        "with_context": scores.with_context,
        "without_context": scores.without_context,
        "top": scores.top(k),
        "auto_k": auto_k(scores.delta),
        "layers": len(ffn_sites(base)),
        "rows": rows,
    }
    if pair_table:
        from tenfold.pipkag.tiny import pair_drops, rank_of

        drops = pair_drops(setting, k)
        out["pair_drops"] = {",".join(map(str, c)): d for c, d in drops.items()}
        out["rank"] = rank_of(drops, tuple(scores.top(k)))
        out["pairs"] = len(drops)
    return out


def _tiny(ctx: Context) -> dict[str, Any]:
    from tenfold.pipkag.tiny import tiny_setting

    cfg: ReproConfig = ctx.config
    with torch_threads(THREADS):
        seed_everything(ctx.seed)
        # the run's seed is the world's, the initialisation's and the batches' (tiny.seed is for the CLI)
        setting = tiny_setting(replace(cfg.tiny, seed=ctx.seed))
        names = tuple(m.name for m in METHODS + CONTROLS)
        result = run_setting(setting, cfg.k, names, ctx.run.path / "adapt", cfg.granularity, cfg.pair_table)
    ctx.run.write_json("tiny.json", result)
    ctx.save_figure(layer_plot(result, "tiny Llama, synthetic world"), "tiny_layer_scores")
    ctx.save_figure(method_plot(result["rows"], "tiny setting"), "tiny_methods")
    return result


def layer_plot(result: dict[str, Any], title: str) -> Any:
    """ΔR by layer (the paper's figure), with R with and without context on a second axis."""
    from tenfold.common.plots import new_figure

    fig, ax = new_figure(6.0, 3.4)
    layers = list(range(len(result["delta"])))
    ax.bar(layers, result["delta"], color=["tab:red" if i in result["top"] else "tab:gray" for i in layers])
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xlabel("layer (0-indexed; red: pruned by PIP-KAG)")
    ax.set_ylabel("ΔR = R(without) − R(with context)")
    twin = ax.twinx()
    twin.plot(layers, result["without_context"], "o-", ms=3, lw=1, label="R without context")
    twin.plot(layers, result["with_context"], "s--", ms=3, lw=1, label="R with context")
    twin.set_ylabel("activated fraction R")
    twin.legend(fontsize=7, loc="upper left")
    ax.set_title(f"Neuron inhibition by layer — {title}", fontsize=9)
    return fig


def method_plot(rows: dict[str, dict[str, Any]], title: str) -> Any:
    """ConR and ParR per method (stacked: the rest of the answers are neither)."""
    from tenfold.common.plots import new_figure

    names = [m.name for m in METHODS if m.name in rows]
    fig, ax = new_figure(6.0, 3.2)
    con = [rows[n]["ConR"] for n in names]
    par = [rows[n]["ParR"] for n in names]
    ax.bar(names, con, label="ConR (context)", color="tab:green")
    ax.bar(names, par, bottom=con, label="ParR (memory)", color="tab:red")
    ax.set_ylabel("% of conflict items")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    ax.set_title(f"Whom the answer follows — {title}", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    return fig


@REPRODUCER.measures("score_finds_knowledge")
def score_finds_knowledge(ctx: Context) -> Measured | Skipped:
    result = ctx.once(_tiny)
    if "rank" not in result:
        return Skipped("pair_table=false")
    top = result["top"]
    worst = max(result["pair_drops"].items(), key=lambda kv: kv[1])
    # the first FFN works as part of the embedding: every pair holding it breaks the model outright, so the rank among
    # the pairs that keep it says how well ΔR finds the memory rather than the model's input
    keep_first = {c: d for c, d in result["pair_drops"].items() if "0" not in c.split(",")}
    chosen = ",".join(map(str, top))
    rank_keep_first = 1 + sum(d > keep_first[chosen] for d in keep_first.values()) if chosen in keep_first else None
    return Measured(
        f"ΔR picks layers {top}: drop {result['pair_drops'][','.join(map(str, top))]:.1f} points, rank "
        f"{result['rank']} of {result['pairs']} (largest: layers {worst[0]}, {worst[1]:.1f}); automatic k = "
        f"{result['auto_k']}",
        {
            "rank": result["rank"],
            "pairs": result["pairs"],
            "top": top,
            "delta": result["delta"],
            "auto_k": result["auto_k"],
            "rank_keeping_layer_0": rank_keep_first,
        },
        note=f"rank {rank_keep_first} of {len(keep_first)} among the pairs that keep layer 0's FFN"
        if rank_keep_first
        else "",
    )


@REPRODUCER.measures("pruning_forgets")
def pruning_forgets(ctx: Context) -> Measured:
    rows = ctx.once(_tiny)["rows"]
    base = rows["base"]["closed_book"]
    drops = {name: base - rows[name]["closed_book"] for name in ("prune-only", "prune-lowest", "prune-random")}
    return Measured(
        f"closed-book {base:.1f} % → {rows['prune-only']['closed_book']:.1f} % (drop {drops['prune-only']:.1f}); "
        f"controls: lowest-ΔR drop {drops['prune-lowest']:.1f}, random drop {drops['prune-random']:.1f}",
        {"drop": drops["prune-only"], "base": base, "controls": drops},
    )


@REPRODUCER.measures("pipkag_faithful")
def pipkag_faithful(ctx: Context) -> Measured:
    rows = ctx.once(_tiny)["rows"]
    base, pip = rows["base"], rows["pip-kag"]
    v = {
        "conr_gain": pip["ConR"] - base["ConR"],
        "mr_drop": base["MR"] - pip["MR"],
        "base": _short(base),
        "pip-kag": _short(pip),
    }
    return Measured(
        f"ConR {base['ConR']:.0f} → {pip['ConR']:.0f}, MR {base['MR']:.1f} → {pip['MR']:.1f} "
        f"(n = {base['n']}); closed-book {base['closed_book']:.0f} → {pip['closed_book']:.0f} %",
        v,
    )


def _short(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "predictions"}


def method_rows(rows: dict[str, dict[str, Any]]) -> list[list[Any]]:
    """The method table (``ConR ParR MR EM closed-book agreeing perplexity poisoned parameters``)."""
    from tenfold.common.tables import fmt_num

    out = []
    for m in METHODS:
        if m.name not in rows:
            continue
        r = rows[m.name]
        out.append(
            [m.name]
            + [f"{r[c]:.1f}" for c in ("ConR", "ParR", "MR", "EM", "closed_book", "agreeing")]
            + [fmt_num(r["perplexity"]), f"{r['poisoned']:.1f}", f"{r['parameters']:,}"]
        )
    return out


METHOD_HEADERS = ("method", "ConR", "ParR", "MR", "EM", "closed-book", "agreeing", "ppl", "poisoned", "params")


@REPRODUCER.measures("method_table")
def method_table(ctx: Context) -> Measured:
    from tenfold.common.tables import markdown_table

    rows = ctx.once(_tiny)["rows"]
    (ctx.run.path / "tiny_methods.md").write_text(markdown_table(METHOD_HEADERS, method_rows(rows)) + "\n")
    best = min((m.name for m in METHODS), key=lambda n: (rows[n]["MR"], -rows[n]["ConR"]))
    return Measured(
        "; ".join(f"{n} {rows[n]['ConR']:.0f}/{rows[n]['MR']:.0f}" for n in (m.name for m in METHODS)) + " (ConR/MR)",
        {name: _short(r) for name, r in rows.items()},
        note=f"lowest MR: {best}; table in tiny_methods.md",
    )


@REPRODUCER.measures("smollm2_table")
def smollm2_table(ctx: Context) -> Measured | Skipped:
    from tenfold.common.tables import markdown_table

    cfg: ReproConfig = ctx.config
    if not cfg.smol.enabled:
        return Skipped("SmolLM2 runs in the paper preset (smol.enabled=true)")
    from tenfold.pipkag.smol import smol_setting

    with torch_threads(THREADS):
        seed_everything(ctx.seed)
        setting = smol_setting(cfg.smol, ctx.seed)
        result = run_setting(setting, cfg.smol.k, cfg.smol.methods, ctx.run.path / "smol-adapt", cfg.granularity)
    ctx.run.write_json("smol.json", result)
    (ctx.run.path / "smol_methods.md").write_text(markdown_table(METHOD_HEADERS, method_rows(result["rows"])) + "\n")
    ctx.save_figure(layer_plot(result, "SmolLM2-135M-Instruct"), "smol_layer_scores")
    ctx.save_figure(method_plot(result["rows"], "SmolLM2-135M-Instruct"), "smol_methods")
    rows = result["rows"]
    return Measured(
        "; ".join(f"{n} {rows[n]['ConR']:.0f}/{rows[n]['ParR']:.0f}/{rows[n]['MR']:.0f}" for n in rows)
        + f" (ConR/ParR/MR, n = {next(iter(rows.values()))['n']}); pruned layers {result['top']}",
        {name: _short(r) for name, r in rows.items()} | {"top": result["top"], "delta": result["delta"]},
    )
