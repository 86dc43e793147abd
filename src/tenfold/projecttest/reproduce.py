"""``tenfold reproduce projecttest``: the harness's exact checks on toy projects in every available lane, the error
analysis and repair scenarios, the official benchmark's environment status per lane, Pynguin, and SmolLM2-135M on
official (else carved) Python and JavaScript projects beside the paper's published numbers."""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import replace
from pathlib import Path

from tenfold.common.claims import Measured, Skipped, claim_index
from tenfold.common.reproduce import Context, Reproducer
from tenfold.projecttest.claims import CLAIMS
from tenfold.projecttest.config import PRESETS, ReproConfig
from tenfold.projecttest.generators import Replay, Reply
from tenfold.projecttest.metrics import aggregate
from tenfold.projecttest.project import fingerprint
from tenfold.projecttest.prompt import extract_tests
from tenfold.projecttest.report import (
    PAPER_FIXING,
    PAPER_JAVASCRIPT,
    PAPER_PYTHON,
    format_rows,
    plot_taxonomy,
    score_rows,
)
from tenfold.projecttest.sweep import SweepConfig, run_sweep
from tenfold.projecttest.toy import JAVA_REPLIES, JS_REPLIES, REPLIES

log = logging.getLogger(__name__)

REPRODUCER = Reproducer("projecttest", CLAIMS, PRESETS, code=("tenfold.projecttest",))
CLAIM = claim_index(CLAIMS)


def _lanes() -> dict[str, tuple]:
    """Languages whose toolchain is present, with their runner and toy replies."""
    import shutil

    from tenfold.projecttest.runner_java import run_java_suite, toolchain
    from tenfold.projecttest.runner_js import installed_node_modules, run_js_suite
    from tenfold.projecttest.runner_python import run_python_suite

    lanes = {"python": (run_python_suite, REPLIES)}
    if shutil.which("node") and installed_node_modules() is not None:
        lanes["javascript"] = (run_js_suite, JS_REPLIES)
    if toolchain()["javac"] and toolchain()["junit"]:
        lanes["java"] = (run_java_suite, JAVA_REPLIES)
    return lanes


def toy_identities(root: Path) -> dict[str, dict]:
    """Projects A (all pass), B (does not collect), C (half pass) per lane: executability and correctness."""
    from tenfold.projecttest.data import toy_project

    out = {}
    for lang, (runner, replies) in _lanes().items():
        project = toy_project(lang, root / lang)
        recs = [runner(project, extract_tests(replies[k], project)) for k in "ABC"]
        agg = aggregate(recs)
        out[lang] = {
            "executability": agg["executability"],
            "correctness": agg["correctness"],
            "b_coverage": recs[1].line_coverage,
            "line_coverage_a": recs[0].line_coverage,
        }
    return out


class _Fixed:
    """Replies per project in order (vanilla, then self-fix rounds): the toy repair scenario."""

    name = "toy-replies"

    def __init__(self, replies: dict[str, list[str]]):
        self.replies = {k: list(v) for k, v in replies.items()}

    def generate(self, messages, project: str = "") -> Reply:
        queue = self.replies.get(project) or []
        return Reply(queue.pop(0)) if queue else Reply(error="no more replies")


def _toy_sweep(ctx: Context) -> dict:
    """The error analysis and repair on the toy package: D (a missing numpy import) then A (all pass) for the
    self-fix round; records per scenario."""
    from tenfold.projecttest.data import toy_project

    cfg: ReproConfig = ctx.config
    toy = toy_project("python", _work(ctx) / "toy")
    replies = {"calc": [REPLIES["D"], REPLIES["A"]]}
    sweep_cfg = SweepConfig(test_timeout_s=3.0, mutation=cfg.mutation, max_mutants=cfg.max_mutants)
    recs = run_sweep([toy], _Fixed(replies), ctx.run.path / "toy-sweep", sweep_cfg)
    return {"by": {r.scenario: r for r in recs}, "toy": toy}


def _scratch(ctx: Context) -> Path:
    """A scratch directory for the toy projects (outside the run directory: they are inputs, not records)."""
    return Path(tempfile.mkdtemp(prefix="tenfold-projecttest-repro-"))


def _work(ctx: Context) -> Path:
    return ctx.once(_scratch)


@REPRODUCER.measures("metrics")
def metrics_identities(ctx: Context) -> Measured:
    ident = toy_identities(_work(ctx) / "identities")
    t = CLAIM["metrics"].thresholds
    text = "; ".join(f"{lang}: ER {v['executability']:.3f}, CR {v['correctness']:.3f}" for lang, v in ident.items())
    return Measured(text + f" (expected {t['er']:.3f} and {t['cr']})", {"lanes": ident})


@REPRODUCER.measures("cascade")
def cascade(ctx: Context) -> Measured:
    found = ctx.once(_toy_sweep)["by"]["vanilla"].cascades
    return Measured(f"one root cause ({', '.join(found)}) fails {sum(found.values())} tests", {"cascades": found})


@REPRODUCER.measures("manual_fix")
def manual_fix(ctx: Context) -> Measured:
    by = ctx.once(_toy_sweep)["by"]
    fixed = [n for n in by["manual"].notes if n.startswith("manual fix")]
    return Measured(
        f"CR {by['vanilla'].correctness:.2f} → manual {by['manual'].correctness:.2f} → self-fix "
        f"{by['self_fix'].correctness:.2f}; {'; '.join(fixed)}",
        {
            "vanilla": by["vanilla"].correctness,
            "manual": by["manual"].correctness,
            "records": {s: r.to_dict() for s, r in by.items()},
        },
    )


@REPRODUCER.measures("isolation")
def isolation(ctx: Context) -> Measured:
    toy = ctx.once(_toy_sweep)["toy"]
    before = fingerprint(toy.root)
    src = _work(ctx) / "replies.jsonl"
    src.write_text(json.dumps({"project": "calc", "reply": REPLIES["E"]}) + "\n")
    (bad,) = run_sweep([toy], Replay(str(src)), _work(ctx) / "isolation", SweepConfig(("vanilla",), test_timeout_s=3.0))
    stopped = {t.name.rsplit("::", 1)[-1]: t.category for t in bad.tests if t.outcome != "passed"}
    unchanged = fingerprint(toy.root) == before
    return Measured(
        f"{len(stopped)} misbehaving tests stopped ({', '.join(f'{k}: {v}' for k, v in sorted(stopped.items()))}); "
        f"the good test passed: {bad.n_passed == 1}; source byte-identical: {unchanged}",
        {"stopped": stopped, "passed": bad.n_passed, "unchanged": unchanged, "seconds": bad.run_s},
    )


@REPRODUCER.measures("mutation")
def mutation(ctx: Context) -> Measured | Skipped:
    cfg: ReproConfig = ctx.config
    by = ctx.once(_toy_sweep)["by"]
    if not cfg.mutation or by["vanilla"].mutation_score is None:
        return Skipped("mutation=false")
    return Measured(
        f"toy suite after repair: mutation score {by['manual'].mutation_score:.2f} (at most {cfg.max_mutants} mutants)",
        {"manual": by["manual"].mutation_score},
    )


@REPRODUCER.measures("llm_sweep")
def llm_sweep(ctx: Context) -> Measured | Skipped:
    cfg: ReproConfig = ctx.config
    if not (cfg.model and (cfg.projects or cfg.js_projects)):
        return Skipped("no model or no projects (model, projects, js_projects)")
    return _llm_rows(cfg, ctx)


@REPRODUCER.measures("pynguin")
def pynguin(ctx: Context) -> Measured | Skipped:
    cfg: ReproConfig = ctx.config
    if not cfg.pynguin_search_s or not (cfg.projects or (_dataset(cfg) and cfg.official_pynguin)):
        return Skipped("pynguin_search_s=0 or no projects")
    return _pynguin_row(cfg, ctx.run.path)


def _dataset(cfg: ReproConfig) -> Path | None:
    """The official benchmark the preset names (``auto``: the shared data's copy, if any)."""
    from tenfold.projecttest.data import official_dataset

    if cfg.dataset == "auto":
        return official_dataset()
    return Path(cfg.dataset) if cfg.dataset else None


def _python_projects(cfg: ReproConfig, names: tuple[str, ...]) -> list:
    """Python projects by name: from the official set when it is there (``*``: all of it), else carved from PyPI."""
    from tenfold.projecttest.data import carved_projects
    from tenfold.projecttest.project import load_official

    root = _dataset(cfg)
    if root is not None:
        official = {p.name: p for p in load_official(root, "python")}
        if names == ("*",):
            return list(official.values())
        if all(n in official for n in names):
            return [official[n] for n in names]
    return carved_projects([n for n in names if n != "*"] or None)


@REPRODUCER.measures("official_environment")
def official_environment(ctx: Context) -> Measured | Skipped:
    """Which official projects can run here at all, per lane (before any model): the environment's share."""
    from tenfold.projecttest.environment import environment_status
    from tenfold.projecttest.project import load_official

    cfg: ReproConfig = ctx.config
    root = _dataset(cfg)
    if root is None or not cfg.official_lanes:
        return Skipped("no official data (dataset) or no official_lanes")
    status: dict[str, dict] = {}
    for lang in cfg.official_lanes:
        projects = load_official(root, lang)
        reasons = {p.name: why for p in projects if (why := environment_status(p))}
        status[lang] = {"ready": len(projects) - len(reasons), "total": len(projects), "reasons": reasons}
    text = "; ".join(f"{lang}: {v['ready']}/{v['total']} projects run here" for lang, v in status.items())
    unavailable = [f"{name} ({why[:60]})" for v in status.values() for name, why in v["reasons"].items()]
    return Measured(text + (f"; environment unavailable: {', '.join(unavailable)}" if unavailable else ""), status)


def _llm_rows(cfg: ReproConfig, ctx: Context) -> Measured:
    """SmolLM2 on the official (else carved) projects of each available lane, in the preset's scenarios (replies
    cached by model, prompt and decoding: a repeated run re-scores them without decoding)."""
    from tenfold.projecttest.data import carved_js_projects
    from tenfold.projecttest.generators import HFChat

    run_path = ctx.run.path
    projects = _python_projects(cfg, cfg.projects)
    gen = HFChat(cfg.model, max_new_tokens=cfg.max_new_tokens)
    sweep = SweepConfig(cfg.scenarios, cfg.self_fix_rounds, cfg.workers, cfg.test_timeout_s)
    records = run_sweep(projects, gen, run_path / "llm-sweep", sweep)
    if cfg.js_projects and "javascript" in _lanes():
        js = carved_js_projects(cfg.js_projects)
        projects += js
        records += run_sweep(js, gen, run_path / "llm-sweep-js", replace(sweep, scenarios=cfg.js_scenarios))
    rows = score_rows(records)
    langs = sorted({r["language"] for r in rows})
    py, js = PAPER_PYTHON["Claude 3.5 Sonnet"], PAPER_JAVASCRIPT["Claude 3.5 Sonnet"]
    ctx.add_plot(plot_taxonomy(records, run_path / "taxonomy.png"))
    _, body = format_rows(rows)
    ctx.run.write_json("llm_table.json", {"rows": rows, "table": [" | ".join(r) for r in body]})
    return Measured(
        "; ".join(
            f"{r['language']} {r['scenario']}: CR {100 * r['correctness']:.0f} / ER {100 * r['executability']:.0f}"
            f" / LC {100 * r['line_coverage']:.0f} / BC {100 * r['branch_coverage']:.0f}"
            for r in rows
        )
        + f" ({gen.name}, {cfg.max_new_tokens} new tokens; projects: "
        + ", ".join(f"{lang} {sum(1 for p in projects if p.language == lang)}" for lang in langs)
        + ")",
        {"rows": rows, "tokens": {r.project: r.prompt_tokens for r in records if r.scenario == "vanilla"}},
        note=f"theirs, not ours: Claude 3.5 Sonnet Python {'/'.join(map(str, py))}, JavaScript "
        f"{'/'.join(map(str, js))}; Python manual fix {'/'.join(map(str, PAPER_FIXING['manual']))}",
    )


def _pynguin_row(cfg: ReproConfig, run_path: Path) -> Measured | Skipped:
    """Pynguin, the paper-era non-LLM baseline, on official projects (else the carved ones), when it is installed."""
    from tenfold.projecttest.pynguin_gen import HINT, PynguinGenerator, pynguin_executable

    if pynguin_executable() is None:
        return Skipped(f"Pynguin is not installed ({HINT})")
    gen = PynguinGenerator(search_time_s=cfg.pynguin_search_s)
    names = cfg.official_pynguin if _dataset(cfg) is not None else cfg.projects
    projects = _python_projects(cfg, names)
    sweep = SweepConfig(("vanilla",), workers=cfg.workers)
    records = run_sweep(projects, gen, run_path / "pynguin-sweep", sweep)
    agg = aggregate(records)
    with_tests = sum(r.n_tests > 0 for r in records)
    source = "official" if _dataset(cfg) is not None else "carved"
    return Measured(
        f"CR {100 * agg['correctness']:.0f} / ER {100 * agg['executability']:.0f} / LC {100 * agg['line_coverage']:.0f}"
        f" / BC {100 * agg['branch_coverage']:.0f} over {agg['projects']} {source} projects; tests for "
        f"{with_tests} of {len(records)} ({gen.name} per module)",
        agg | {"with_tests": with_tests, "total": len(records), "source": source},
    )
