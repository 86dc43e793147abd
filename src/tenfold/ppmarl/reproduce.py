"""``tenfold reproduce ppmarl``: the privacy layer's identities (CKKS, bandwidth, ε), the six methods trained on the
drone environment (and the edge one at the paper preset) over several seeds — return, bytes, time, ε, attack error —
determinism, dropout, and the cryptography's cost.

Every training run is one job of one process pool (the longest first); a run is a pure function of its config and
seed, so the pool changes only how long the whole takes. Real cryptography runs on every ``he_every``-th update of
each encrypted method (:mod:`.methods`): its decrypted sums are checked against the plaintext ones, so learning is
what encrypting every update would give, up to CKKS's ~1e-8.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

import numpy as np

from tenfold.common.claims import Measured, claim_index
from tenfold.common.parallel import pmap
from tenfold.common.reproduce import Context, Reproducer
from tenfold.ppmarl.claims import CLAIMS
from tenfold.ppmarl.config import PRESETS, ReproConfig

REPRODUCER = Reproducer("ppmarl", CLAIMS, PRESETS, code=("tenfold.ppmarl",))
CLAIM_INDEX = claim_index(CLAIMS)

COST = {"pp-marl": 2.0, "federated": 1.3, "dp-only": 1.3, "split": 1.2, "he-raw": 1.1, "plain": 1.0}
"""relative run time per method (measured), to start the longest jobs first."""


# -- identities -------------------------------------------------------------------------------------------------------
@REPRODUCER.measures("he_identities")
def he_identities(ctx: Context) -> Measured:
    from tenfold.ppmarl.he import FAST, PRECISE, KeyAuthority, PrivacyError

    rng = np.random.default_rng(ctx.seed)
    xs = [rng.normal(size=(1024, 4)) for _ in range(3)]
    errors = {}
    for profile in (FAST, PRECISE):
        ka = KeyAuthority(profile)
        total = ka.server().aggregate([ka.agent().encrypt(x) for x in xs])
        errors[f"ring {profile.ring}"] = float(np.abs(ka.agent().decrypt(total, (1024, 4)) - sum(xs)).max())
    ka, other = KeyAuthority(), KeyAuthority()
    server = ka.server()
    mine = ka.agent().encrypt(np.ones(8))

    def refused(fn) -> bool:
        try:
            fn()
        except PrivacyError:
            return True
        return False

    values = {
        "errors": errors,
        "server_has_secret_key": server.context.has_secret_key(),
        "server_decrypt_refused": refused(lambda: server.decrypt(server.aggregate([mine, mine]))),
        "foreign_refused": refused(lambda: server.aggregate([mine, other.agent().encrypt(np.ones(8))])),
    }
    return Measured(
        "; ".join(f"{k}: max error {e:.1e}" for k, e in errors.items())
        + f"; server holds a secret key: {values['server_has_secret_key']}; server decrypt refused: "
        f"{values['server_decrypt_refused']}; foreign ciphertext refused: {values['foreign_refused']}",
        values,
    )


@REPRODUCER.measures("bandwidth")
def bandwidth(ctx: Context) -> Measured:
    from tenfold.common.plots import new_figure
    from tenfold.ppmarl.bandwidth import reduction

    cfg: ReproConfig = ctx.config
    t = CLAIM_INDEX["bandwidth"].thresholds
    main = reduction(t["agents"], t["dims"], t["batch"], t["rep"], seed=ctx.seed)
    sweep = [reduction(t["agents"], t["dims"], t["batch"], r, seed=ctx.seed) for r in cfg.bandwidth_reps]
    sweep += [reduction(t["agents"], t["dims"], b, t["rep"], seed=ctx.seed) for b in cfg.bandwidth_batches]
    rows = [{k: v for k, v in r.items() if k != "ledger_entries"} for r in sweep]
    ctx.run.write_json("bandwidth.json", {"main": main, "sweep": rows})
    fig, ax = new_figure(5.5, 3.4)
    labels = [f"h {r['rep']}, B {r['batch']}" for r in rows]
    ax.bar(labels, [100 * r["reduction"] for r in rows], color="C0")
    ax.axhspan(84, 91, color="grey", alpha=0.2, label="paper: 84–91 %")
    ax.set_ylabel("bandwidth saved vs HE-raw (%)")
    ax.set_title("PP-MARL vs encrypted raw sharing, one critic pass (serialised)")
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "bandwidth")
    exact = all(r["ledger_total"] == r["serialised_total"] for r in [main, *sweep])
    sweep_text = ", ".join(f"h {r['rep']} B {r['batch']}: {r['reduction']:.1%}" for r in rows)
    return Measured(
        f"HE-raw {main['raw_up']} up + {main['raw_down']} down, PP-MARL {main['pp_up']} + {main['pp_down']} "
        f"ciphertexts per agent; {main['reduction']:.2%} less from serialised sizes ({main['raw_bytes']:,} vs "
        f"{main['pp_bytes']:,} bytes); public context {main['context_bytes']:,} bytes; sweep {sweep_text}",
        {**{k: v for k, v in main.items() if k != "ledger_entries"}, "ledger_exact": exact, "sweep": rows},
    )


@REPRODUCER.measures("dp_accounting")
def dp_accounting(ctx: Context) -> Measured:
    from tenfold.ppmarl.dp import epsilon

    runs = ctx.once(_runs)
    norms = [r["max_release_norm"] for r in runs.values() if r["method"] == "pp-marl"]
    clip = ctx.config.run.clip
    values = {
        "rdp_two": epsilon(2 * 1000, 0.01, 1.0, 1e-5, "rdp"),
        "pld_one": epsilon(1, 1.0, 1.0, 1e-5, "pld"),
        "rdp_one": epsilon(1, 1.0, 1.0, 1e-5, "rdp"),
        "max_release_norm": max(norms),
        "clip": clip,
        "clipped": max(norms) <= clip * (1 + 1e-12),
    }
    return Measured(
        f"ε {values['rdp_two']:.4f} (2 × 1,000 releases, RDP); one release {values['pld_one']:.4f} (PLD), "
        f"{values['rdp_one']:.4f} (RDP); largest released norm {values['max_release_norm']:.6f} ≤ C = {clip:g}",
        values,
    )


# -- training runs ----------------------------------------------------------------------------------------------------
def _job(args: tuple[str, str, int, Any]) -> tuple[str, dict[str, Any]]:
    from tenfold.ppmarl.attacks import attack
    from tenfold.ppmarl.methods import run_method

    env, method, seed, cfg = args
    result = run_method(replace(cfg, env=env, method=method), seed)
    out = result.to_dict()
    out["attack"] = attack(result.views, result.targets, seed=seed) if result.views is not None else None
    return f"{env}/{method}/{seed}", out


def _runs(ctx: Context) -> dict[str, dict[str, Any]]:
    """Every training run, keyed ``env/method/seed``."""
    cfg: ReproConfig = ctx.config
    seeds = [ctx.seed + k for k in range(cfg.seeds)]
    jobs = [(e, m, s, cfg.run) for e in cfg.envs for m in cfg.methods for s in seeds]
    jobs.sort(key=lambda j: -COST.get(j[1], 1.0))
    out = dict(pmap(_job, jobs, workers=cfg.workers, start_method="fork", torch_threads=None))
    ctx.run.write_json("runs.json", out)
    _plot(ctx, out)
    return out


def _table(runs: dict[str, dict[str, Any]], env: str) -> dict[str, dict[str, Any]]:
    """Per method on ``env``: returns and attack errors by seed, and their seed means."""
    out: dict[str, dict[str, Any]] = {}
    for r in runs.values():
        if r["env"] != env:
            continue
        row = out.setdefault(r["method"], {"return": {}, "random": {}, "attack": {}, "runs": []})
        row["return"][r["seed"]] = r["eval_return"]
        row["random"][r["seed"]] = r["random_return"]
        row["attack"][r["seed"]] = None if r["attack"] is None else r["attack"]["best"]
        row["runs"].append(r)
    return out


def _normalised(table: dict[str, dict[str, Any]], method: str) -> tuple[float, list[float]]:
    """Normalised return of ``method`` (random 0, plain 1) from seed means, and per seed."""
    ret, plain, rnd = table[method]["return"], table["plain"]["return"], table["plain"]["random"]
    seeds = sorted(ret)
    mean = (np.mean([ret[s] for s in seeds]) - np.mean([rnd[s] for s in seeds])) / (
        np.mean([plain[s] for s in seeds]) - np.mean([rnd[s] for s in seeds])
    )
    per_seed = [(ret[s] - rnd[s]) / (plain[s] - rnd[s]) for s in seeds]
    return float(mean), [float(x) for x in per_seed]


def _plot(ctx: Context, runs: dict[str, dict[str, Any]]) -> None:
    """Return and attack error per method on drone coverage, one dot per seed."""
    from tenfold.common.plots import new_figure

    cfg: ReproConfig = ctx.config
    table = _table(runs, "drone")
    methods = [m for m in cfg.methods if m in table]
    panels = (
        ("return", "greedy team return", "random", float(np.mean(list(table["plain"]["random"].values())))),
        ("attack", "attack error (1 = sees nothing)", "sees nothing", 1.0),
    )
    for key, label, ref_label, ref in panels:
        fig, ax = new_figure(5.5, 3.4)
        for k, m in enumerate(methods):
            ys = [y for y in table[m][key].values() if y is not None]
            ax.scatter([k] * len(ys), ys, color=f"C{k}")
        ax.axhline(ref, color="grey", linestyle=":", label=ref_label)
        ax.set_xticks(range(len(methods)), methods, rotation=30, fontsize=8)
        ax.set_ylabel(label)
        ax.set_title(f"Drone coverage: {label.split(' (')[0]} by method (one dot per seed)", fontsize=9)
        ax.legend(fontsize=8)
        ctx.save_figure(fig, f"methods_{key}")


@REPRODUCER.measures("privacy_ordering")
def privacy_ordering(ctx: Context) -> Measured:
    table = _table(ctx.once(_runs), "drone")
    needed = ("plain", "he-raw", "split", "pp-marl")
    seeds = sorted(table["pp-marl"]["attack"])
    by_seed = {str(s): {m: table[m]["attack"][s] for m in needed if m in table} for s in seeds}
    extra = {m: [table[m]["attack"][s] for s in seeds] for m in ("dp-only",) if m in table}
    ratio = [table["pp-marl"]["attack"][s] / max(table["split"]["attack"][s], 1e-9) for s in seeds]

    def row(m: str) -> str:
        return " / ".join(f"{table[m]['attack'][s]:.2f}" for s in seeds)

    text = "; ".join(f"{m} {row(m)}" for m in (*needed, *extra) if m in table)
    return Measured(
        f"attack error (seeds {', '.join(map(str, seeds))}): {text}; PP-MARL / split "
        f"{' / '.join(f'{r:.1f}×' for r in ratio)}",
        {"by_seed": by_seed, "extra": extra, "ratio_vs_split": ratio},
    )


@REPRODUCER.measures("utility")
def utility(ctx: Context) -> Measured:
    table = _table(ctx.once(_runs), "drone")
    normalised, per_seed = _normalised(table, "pp-marl")
    seeds = sorted(table["pp-marl"]["return"])

    def row(m: str, key: str = "return") -> str:
        return " / ".join(f"{table[m][key][s]:.1f}" for s in seeds)

    return Measured(
        f"PP-MARL {normalised:.2f} normalised (per seed {' / '.join(f'{x:.2f}' for x in per_seed)}); greedy return "
        f"PP-MARL {row('pp-marl')}, plain {row('plain')}, random "
        f"{row('plain', 'random')} (seeds {', '.join(map(str, seeds))})",
        {
            "normalised": normalised,
            "per_seed": per_seed,
            "returns": {m: table[m]["return"] for m in table},
            "random": table["plain"]["random"],
        },
    )


@REPRODUCER.measures("determinism")
def determinism(ctx: Context) -> Measured:
    from tenfold.ppmarl.maddpg import Maddpg
    from tenfold.ppmarl.methods import run_method

    cfg: ReproConfig = ctx.config
    short = replace(
        cfg.run, method="pp-marl", he_every=10**9, train=replace(cfg.run.train, episodes=cfg.determinism_episodes)
    )
    captured: list[list[np.ndarray]] = []
    original = Maddpg.update

    def capture(self):  # the released (noised) representations of every update, to compare bit for bit
        out = original(self)
        captured[-1].extend(r.copy() for r in self.critic.released)
        return out

    results = []
    Maddpg.update = capture
    try:
        for _ in range(2):
            captured.append([])
            results.append(run_method(short, ctx.seed))
    finally:
        Maddpg.update = original
    a, b = results
    identical = (
        a.train_returns == b.train_returns
        and a.eval_return == b.eval_return
        and len(captured[0]) == len(captured[1]) > 0
        and all(np.array_equal(x, y) for x, y in zip(*captured, strict=True))
    )
    runs = ctx.once(_runs)
    encrypted = [r for r in runs.values() if r["he_max_error"] is not None]
    sampled = sum(max(1, r["updates"] // cfg.run.he_every) for r in encrypted)
    he_err = max(r["he_max_error"] for r in encrypted)
    return Measured(
        f"HE off, two runs of seed {ctx.seed} ({cfg.determinism_episodes} episodes): identical {identical} "
        f"({len(captured[0])} released batches compared); HE on: largest |decrypted − plaintext| {he_err:.1e} over "
        f"~{sampled} sampled updates of {len(encrypted)} encrypted runs",
        {"identical": identical, "he_max_error": he_err, "sampled_updates": sampled, "encrypted_runs": len(encrypted)},
    )


@REPRODUCER.measures("dropout")
def dropout(ctx: Context) -> Measured:
    from tenfold.ppmarl.he import KeyAuthority
    from tenfold.ppmarl.methods import run_method
    from tenfold.ppmarl.secagg import PairwiseMasking

    cfg: ReproConfig = ctx.config
    rate = CLAIM_INDEX["dropout"].thresholds["dropout"]
    short = replace(
        cfg.run,
        method="pp-marl",
        train=replace(cfg.run.train, episodes=cfg.determinism_episodes, dropout=rate),
    )
    result = run_method(short, ctx.seed)
    rng = np.random.default_rng(ctx.seed)
    xs = [rng.normal(size=(64, 4)) for _ in range(3)]
    masks = PairwiseMasking(3, ctx.seed)
    survivors = {i: masks.mask(i, xs[i], 7) for i in (0, 2)}  # agent 1 drops out after the masks were dealt
    secagg_error = float(np.abs(masks.aggregate(survivors, 7).reshape(64, 4) - (xs[0] + xs[2])).max())
    ka = KeyAuthority()
    total = ka.server().aggregate([ka.agent().encrypt(xs[i]) for i in (0, 2)])
    ckks_error = float(np.abs(ka.agent().decrypt(total, (64, 4)) - (xs[0] + xs[2])).max())
    values = {
        "finished": len(result.train_returns) == cfg.determinism_episodes,
        "skipped": result.skipped,
        "updates": result.updates,
        "secagg_error": secagg_error,
        "ckks_error": ckks_error,
    }
    return Measured(
        f"run finished: {values['finished']}; {result.skipped} rounds skipped, {result.updates} updates made; "
        f"survivors' sum error: pairwise masks {secagg_error:.1e}, CKKS {ckks_error:.1e}",
        values,
    )


@REPRODUCER.measures("methods_table")
def methods_table(ctx: Context) -> Measured:
    from tenfold.common.tables import markdown_table

    cfg: ReproConfig = ctx.config
    runs = ctx.once(_runs)
    values: dict[str, Any] = {}
    texts = []
    for env in cfg.envs:
        table = _table(runs, env)
        rows, out = [], {}
        for m in cfg.methods:
            if m not in table:
                continue
            rs = table[m]["runs"]
            norm, _ = _normalised(table, m)
            att = [a for a in table[m]["attack"].values() if a is not None]
            eps = [r["epsilon"] for r in rs if r["epsilon"] is not None]
            out[m] = {
                "return": float(np.mean(list(table[m]["return"].values()))),
                "normalised": norm,
                "bytes_per_update": float(np.mean([sum(r["bytes_per_update"].values()) for r in rs])),
                "seconds": {k: float(np.mean([r["seconds"][k] for r in rs])) for k in rs[0]["seconds"]},
                "epsilon": float(np.mean(eps)) if eps else None,
                "attack": float(np.mean(att)) if att else None,
            }
            o = out[m]
            rows.append(
                [
                    m,
                    f"{o['return']:.1f}",
                    f"{norm:.2f}",
                    f"{o['bytes_per_update'] / 1e6:.2f}",
                    " / ".join(f"{o['seconds'][k]:.0f}" for k in ("environment", "networks")),
                    f"{o['seconds']['cryptography (extrapolated)']:.1f}",
                    "—" if o["epsilon"] is None else f"{o['epsilon']:.3g}",
                    "—" if o["attack"] is None else f"{o['attack']:.2f}",
                ]
            )
        values[env] = out
        md = markdown_table(
            ["method", "return", "normalised", "MB / update", "env / nn s", "crypto s", "ε", "attack error"], rows
        )
        (ctx.run.path / f"methods_{env}.md").write_text(md + "\n")
        texts.append(
            f"{env}: "
            + "; ".join(
                f"{m} {o['return']:.1f} ({o['normalised']:.2f}), {o['bytes_per_update'] / 1e6:.2f} MB/update"
                + ("" if o["epsilon"] is None else f", ε {o['epsilon']:.3g}")
                + ("" if o["attack"] is None else f", attack {o['attack']:.2f}")
                for m, o in out.items()
            )
        )
    return Measured(" | ".join(texts), values)


@REPRODUCER.measures("crypto_cost")
def crypto_cost(ctx: Context) -> Measured:
    from tenfold.ppmarl.he import KeyAuthority
    from tenfold.ppmarl.secagg import PaillierAggregator, PairwiseMasking

    cfg: ReproConfig = ctx.config
    n_values = CLAIM_INDEX["crypto_cost"].thresholds["paillier_values"]
    rng = np.random.default_rng(ctx.seed)
    xs = [rng.normal(size=(1024, 4)) for _ in range(3)]
    ka = KeyAuthority()
    agents, server = [ka.agent() for _ in xs], ka.server()

    def timed(fn) -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0

    def ckks_pass() -> None:
        sent = [a.encrypt(x) for a, x in zip(agents, xs, strict=True)]
        agents[0].decrypt(server.aggregate(sent), (1024, 4))

    ckks = timed(ckks_pass)
    masks = PairwiseMasking(3, ctx.seed)
    secagg = timed(lambda: masks.aggregate({i: masks.mask(i, x, 0) for i, x in enumerate(xs)}, 0))
    pail = PaillierAggregator(cfg.run.paillier_bits)
    few = [x.ravel()[:n_values] for x in xs]
    per_value = timed(lambda: pail.decrypt(pail.aggregate([pail.encrypt(x) for x in few]))) / n_values
    values = {
        "ckks_ms_per_agent": 1e3 * ckks / 3,
        "secagg_ms_per_agent": 1e3 * secagg / 3,
        "paillier_ms_per_value_per_agent": 1e3 * per_value / 3,
        "paillier_s_per_agent_scaled": per_value / 3 * 4096,
        "paillier_bits": cfg.run.paillier_bits,
    }
    return Measured(
        f"CKKS {values['ckks_ms_per_agent']:.1f} ms per agent per pass; pairwise masks "
        f"{values['secagg_ms_per_agent']:.2f} ms ({secagg / ckks:.2f}×); Paillier ({cfg.run.paillier_bits}-bit) "
        f"{values['paillier_ms_per_value_per_agent']:.1f} ms per value → ~{values['paillier_s_per_agent_scaled']:.0f} "
        f"s per agent per pass ({per_value * 4096 / ckks:.0f}×)",
        values,
    )
