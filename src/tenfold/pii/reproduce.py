"""``tenfold reproduce pii``: the taxonomy identities, assisted memorisation against a shuffled-families control,
adding PII (nested datasets and a filler control), removal rounds against another seed, canary exposure, and the
DP-SGD row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from tenfold.common.claims import Measured, Skipped
from tenfold.common.reproduce import Context, Reproducer
from tenfold.pii.claims import CLAIMS
from tenfold.pii.config import PRESETS, ReproConfig

REPRODUCER = Reproducer("pii", CLAIMS, PRESETS, code=("tenfold.pii",))


def _job(job: tuple[str, tuple[Any, ...], tuple[str, ...]]) -> dict[str, Any]:
    """One fine-tune and its attacks (in a worker): ``continuous`` (the taxonomy run; its final model attacked too)
    or ``final``; ``extras`` adds the held-out perplexity (``utility``) and the canaries' exposure."""
    from tenfold.pii.pipelines import continuous, final_extraction

    kind, args, extras = job
    corpus, train, ex = args[:3]
    out: dict[str, Any] = {}
    if kind == "audit":  # the canaries and the attacks' quality on an existing run (args[3])
        return {"exposure": _exposures(args[3], corpus, train), "attacks": _attack_quality(args[3], corpus, train, ex)}
    if kind == "continuous":
        out["continuous"] = continuous(*args)
        out["final"] = final_extraction(corpus, train, ex, run=out["continuous"]["run"])
    else:
        out["final"] = final_extraction(corpus, train, ex)
    run = out["final"]["run"]
    if "utility" in extras:
        out["utility"] = _utility(run, corpus, train)
    if "exposure" in extras:
        out["exposure"] = _exposures(run, corpus, train)
    return out


def _runs(ctx: Context) -> dict[str, Any]:
    """Every fine-tune of the reproduction in one pool of workers: the independent ones in list order (longest
    first), each removal round as soon as the round before it is extracted; the pipelines then read the finished
    fine-tunes from the cache."""
    from tenfold.common.parallel import run_dag
    from tenfold.pii.defences import apply_defence
    from tenfold.pii.pipelines import adding, adding_datasets, final_extractions, removal

    cfg: ReproConfig = ctx.config
    corpus_cfg = replace(cfg.corpus, seed=cfg.corpus.seed + ctx.seed)
    train = replace(cfg.train, seed=cfg.train.seed + ctx.seed)
    ex = cfg.extract
    corpus = corpus_cfg.build()
    shuffled = corpus_cfg.build(family_share=0.0)  # the same recipe without look-alike families
    rows = {"none": (corpus, train)}
    if cfg.dp_noise > 0:
        rows["dp-sgd"] = (corpus, replace(train, dp_noise=cfg.dp_noise))
    for d in cfg.defences:
        rows[d] = (apply_defence(corpus, d), train)
    jobs: list[tuple[str, tuple[Any, ...], tuple[str, ...]]] = [
        ("continuous", (corpus, train, ex, cfg.audit_from_epoch), ("utility",)),
        ("continuous", (shuffled, train, ex, cfg.audit_from_epoch), ()),
    ]
    jobs += [("final", (c, t, ex), ("utility",)) for name, (c, t) in rows.items() if name != "none"]
    jobs.append(("final", (corpus, replace(train, seed=train.seed + 1), ex), ()))  # removal's other-seed control
    datasets = adding_datasets(corpus, train, cfg.shares)
    jobs += [("final", (d, train, ex), ()) for d in datasets.values() if d.emails() != corpus.emails()]

    # removal round k + 1 needs round k's extraction, and the canaries the final model: queued (ahead of the rest)
    # as soon as what they need arrives
    removed: set[str] = set()
    round_of = {0: 0}
    created = [len(jobs)]
    exposure: dict[str, Any] = {}
    attacks: dict[str, Any] = {}

    def follow_up(i: int, result: dict[str, Any]) -> list[tuple[str, tuple[Any, ...], tuple[str, ...]]]:
        if "exposure" in result:
            exposure.update(result["exposure"])
            attacks.update(result["attacks"])
        if i not in round_of:
            return []
        out = []
        if i == 0:
            out.append(("audit", (corpus, train, ex, result["final"]["run"]), ()))
        removed.update(result["final"]["extracted"])
        if round_of[i] < cfg.removal_rounds and corpus.emails() - removed:
            round_of[created[0] + len(out)] = round_of[i] + 1
            out.append(("final", (corpus.without(set(removed)), train, ex), ()))
        created[0] += len(out)
        return out

    done = run_dag(_job, jobs, follow_up, workers=cfg.workers)
    main = done[0]
    out: dict[str, Any] = {"continuous": main["continuous"], "continuous_shuffled": done[1]["continuous"]}
    full = main["continuous"]["run"]  # its final model is the whole corpus's fine-tune: D100, round 0, "none"
    out["adding"] = adding(corpus, train, ex, cfg.shares, workers=1, full_run=full)
    out["removal"] = removal(corpus, train, ex, cfg.removal_rounds, workers=1, full_run=full)
    results = final_extractions(
        [(c, t, ex, full if name == "none" else None) for name, (c, t) in rows.items()], workers=1
    )
    out["defences"] = dict(zip(rows, results, strict=True))
    utility = {"none": main["utility"]}
    utility |= {name: r["utility"] for name, r in zip([n for n in rows if n != "none"], done[2:], strict=False)}
    out["utility"] = utility
    out["exposure"] = exposure
    out["attacks"] = attacks
    ctx.run.write_json("pipelines.json", out)
    _plots(ctx, out)
    return out


def _utility(run: str, corpus: Any, cfg: Any) -> dict[str, Any]:
    """Held-out perplexity of the final model on background text without PII (the defences' utility cost), and ε."""
    import math

    import torch

    from tenfold.lm.scoring import sequence_log_probs
    from tenfold.pii.data import heldout_passages
    from tenfold.pii.training import checkpoints, load_checkpoint, plan_of

    model, tok = load_checkpoint(corpus, cfg, checkpoints(run)[-1][1])
    ids = [
        list(tok(p, add_special_tokens=False)["input_ids"])[: cfg.block_size]
        for p in heldout_passages(corpus.background)
    ]
    with torch.no_grad():
        lp = sequence_log_probs(model, [[tok.eos_token_id]] * len(ids), ids, reduce="sum", pad_id=tok.eos_token_id)
    tokens = sum(len(i) for i in ids)
    return {"perplexity": math.exp(-float(lp.sum()) / tokens), "epsilon": plan_of(run).get("epsilon")}


def _exposures(run: str, corpus: Any, cfg: Any) -> dict[str, list[float]]:
    """Secret-Sharer exposure of every canary under the final model, by repetition count."""
    from tenfold.pii.extract import exposure
    from tenfold.pii.training import checkpoints, load_checkpoint

    model, tok = load_checkpoint(corpus, cfg, checkpoints(run)[-1][1])
    out: dict[str, list[float]] = {}
    for c in corpus.canaries:
        out.setdefault(str(c.repetitions), []).append(exposure(model, tok, c.prefix, c.pin))
    return out


def _attack_quality(run: str, corpus: Any, cfg: Any, ex: Any, k: int = 20) -> dict[str, Any]:
    """On the final model: the top-k (k = 40) noise floor — the Jaccard index of the sets two sampling seeds extract
    from the same prompts — and how well likelihood and the zlib ratio rank the greedy generations that hold a
    training email (precision among the top ``k``, against the base rate)."""
    from tenfold.pii.data import heldout_prompts
    from tenfold.pii.extract import extract, jaccard, ranking_precision
    from tenfold.pii.training import checkpoints, load_checkpoint

    model, tok = load_checkpoint(corpus, cfg, checkpoints(run)[-1][1])
    prompts = heldout_prompts(corpus.background, ex.prompts, ex.prompt_words, ex.seed)
    pii = corpus.emails()
    topk = [extract(model, tok, prompts, pii, ex.new_tokens, top_k=40, seed=s).extracted for s in (1, 2)]
    greedy = extract(model, tok, prompts, pii, ex.new_tokens)
    holding = {i for ids in greedy.found.values() for i in ids}
    return {
        "topk_sets": [sorted(t) for t in topk],
        "topk_jaccard": jaccard(*topk),
        "greedy": len(greedy.extracted),
        "base_rate": len(holding) / len(greedy.generations),
        "precision_likelihood": ranking_precision(greedy, k, "likelihood"),
        "precision_zlib": ranking_precision(greedy, k, "zlib"),
        "k": k,
    }


def _plots(ctx: Context, out: dict[str, Any]) -> None:
    from tenfold.pii.report import taxonomy_figure

    ctx.save_figure(taxonomy_figure(out["continuous"]["checkpoints"]), "taxonomy")


@REPRODUCER.measures("taxonomy_identities")
def taxonomy_identities(ctx: Context) -> Measured:
    from tenfold.pii.taxonomy import check_identities, hand_example

    v = {"hand": hand_example(), "random": check_identities(n_sequences=200, seed=ctx.seed)}
    return Measured(
        f"hand-built 3 checkpoints: clean {v['hand']['clean_totals']}, faithful overlaps "
        f"{v['hand']['faithful_overlap']}; {v['random']['violations']} violations on {v['random']['sequences']} "
        "random sequences",
        v,
    )


def assisted_overlap(run: dict[str, Any], corpus: Any) -> dict[str, Any]:
    """Similarity of each record to the records seen since its first exposure: assisted vs never extracted.

    The similarity of two emails is the Jaccard index of their character 4-gram sets; a record's overlap is the
    largest similarity to a record seen after its own first exposure and up to its first assisted extraction
    (never extracted: up to the end). One-sided Mann–Whitney U: assisted > never extracted."""
    from scipy.stats import mannwhitneyu

    first = run["first_seen"]
    assisted_at: dict[str, int] = {}
    ever: set[str] = set()
    for row in run["checkpoints"]:
        ever |= set(row["extracted"])
        for e in row["clean"]["assisted"]:
            assisted_at.setdefault(e, row["step"])
    last = run["checkpoints"][-1]["step"]

    def grams(s: str) -> set[str]:
        return {s[i : i + 4] for i in range(len(s) - 3)}

    def overlap(email: str, upto: int) -> float:
        g = grams(email)
        others = [o for o, s in first.items() if o != email and first[email] < s <= upto] or [
            o for o in first if o != email
        ]
        return max(len(g & grams(o)) / len(g | grams(o)) for o in others)

    a = [overlap(e, s) for e, s in assisted_at.items()]
    n = [overlap(r.email, last) for r in corpus.records if r.email not in ever and r.email in first]
    p = float(mannwhitneyu(a, n, alternative="greater").pvalue) if a and n else float("nan")
    return {"assisted": a, "never_extracted_mean": sum(n) / len(n) if n else float("nan"), "p": p}


@REPRODUCER.measures("assisted_memorisation")
def assisted_memorisation(ctx: Context) -> Measured:
    cfg: ReproConfig = ctx.config
    out = ctx.once(_runs)
    fam, shuf = out["continuous"], out["continuous_shuffled"]
    corpus = replace(cfg.corpus, seed=cfg.corpus.seed + ctx.seed).build()
    ov = assisted_overlap(fam, corpus)
    total = fam["totals_clean"]
    extracted = len({e for r in fam["checkpoints"] for e in r["extracted"]})
    v = {
        "assisted": total["assisted"],
        "assisted_shuffled": out["continuous_shuffled"]["totals_clean"]["assisted"],
        "totals": total,
        "totals_faithful": fam["totals_faithful"],
        "totals_shuffled": shuf["totals_clean"],
        "extracted_ever": extracted,
        "assisted_share": total["assisted"] / extracted if extracted else 0.0,
        "overlap_assisted_mean": sum(ov["assisted"]) / len(ov["assisted"]) if ov["assisted"] else float("nan"),
        "overlap_never_mean": ov["never_extracted_mean"],
        "p": ov["p"],
    }
    return Measured(
        f"assisted {v['assisted']} of {extracted} ever extracted ({100 * v['assisted_share']:.0f} %) vs "
        f"{v['assisted_shuffled']} with shuffled families; overlap {v['overlap_assisted_mean']:.3f} vs never "
        f"extracted {v['overlap_never_mean']:.3f} (one-sided p = {v['p']:.3g})",
        v,
    )


@REPRODUCER.measures("adding_pii")
def adding_pii(ctx: Context) -> Measured:
    from scipy.stats import spearmanr

    cfg: ReproConfig = ctx.config
    add = ctx.once(_runs)["adding"]
    names = [f"D{round(100 * s)}" for s in cfg.shares]
    counts = [len(add["datasets"][n]["extracted_target"]) for n in names]
    control = add["datasets"][f"{names[0]}+filler"]
    rho = float(spearmanr([100 * s for s in cfg.shares], counts).statistic) if len(set(counts)) > 1 else 0.0
    v = {
        "counts": dict(zip(names, counts, strict=True)),
        "true_prefix": {n: add["datasets"][n]["true_prefix_target"] for n in names},
        "control": len(control["extracted_target"]),
        "first": counts[0],
        "last": counts[-1],
        "ratio": counts[-1] / counts[0] if counts[0] else (float("inf") if counts[-1] else 0.0),
        "spearman": rho,
        "tokens": add.get("tokens", {}),
        "target": len(add["target"]),
    }
    return Measured(
        f"{names[0]}'s {v['target']} records extracted by "
        + ", ".join(f"{n}: {c}" for n, c in v["counts"].items())
        + f"; ratio {v['ratio']:.2f}× (Spearman ρ {rho:.2f}); filler control {v['control']}",
        v,
    )


@REPRODUCER.measures("removal_onion")
def removal_onion(ctx: Context) -> Measured:
    rem = ctx.once(_runs)["removal"]
    rounds = rem["rounds"]
    v = {
        "extracted": [len(r["extracted"]) for r in rounds],
        "new": [len(r["new"]) for r in rounds[1:]],
        "control_new": len(rem["control"]["new"]),
    }
    return Measured(
        "extracted per round " + " → ".join(map(str, v["extracted"])) + f"; never extracted before: {v['new']} "
        f"vs another seed alone {v['control_new']}",
        v,
    )


@REPRODUCER.measures("canary_exposure")
def canary_exposure(ctx: Context) -> Measured:
    exp = ctx.once(_runs)["exposure"]
    means = {k: sum(v) / len(v) for k, v in exp.items()}
    v = {"means": means, "all": exp, "gain": means.get("16", 0.0) - means.get("1", 0.0)}
    return Measured(", ".join(f"×{k}: {m:.2f} bits" for k, m in means.items()) + f" (gain {v['gain']:.2f})", v)


@REPRODUCER.measures("attack_quality")
def attack_quality(ctx: Context) -> Measured:
    a = ctx.once(_runs)["attacks"]
    return Measured(
        f"top-k 40 found {len(a['topk_sets'][0])} and {len(a['topk_sets'][1])} emails with sampling seeds 1 and 2 "
        f"(Jaccard {a['topk_jaccard']:.2f}; greedy {a['greedy']}); precision among the {a['k']} top-ranked greedy "
        f"generations: likelihood {a['precision_likelihood']:.2f}, zlib {a['precision_zlib']:.2f} (base rate "
        f"{a['base_rate']:.2f})",
        a,
    )


@REPRODUCER.measures("dp_sgd")
def dp_sgd(ctx: Context) -> Measured | Skipped:
    out = ctx.once(_runs)
    if "dp-sgd" not in out["defences"]:
        return Skipped("dp_noise = 0")
    rows = {
        name: {
            "extracted": len(r["extracted"]),
            "true_prefix": len(r["true_prefix"]),
            **out["utility"][name],
        }
        for name, r in out["defences"].items()
    }
    dp = rows["dp-sgd"]
    return Measured(
        f"ε = {dp['epsilon']:.2f} (δ = 1e-5): extracted {dp['extracted']} (true prefix {dp['true_prefix']}) vs "
        f"{rows['none']['extracted']} ({rows['none']['true_prefix']}) without DP; held-out ppl "
        f"{dp['perplexity']:.1f} vs {rows['none']['perplexity']:.1f}",
        {"rows": rows},
    )
