"""``tenfold reproduce projecttest``: the harness's exact checks on toy projects in every available lane, the error
analysis and repair scenarios, and SmolLM2-135M on carved Python and JavaScript projects beside the paper's published
numbers."""

from __future__ import annotations

import json
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from tenfold.common.registry import ClaimResult, Reproduction
from tenfold.common.rundir import RunDir
from tenfold.common.seeding import seed_everything
from tenfold.projecttest.config import ProjectTestConfig, projecttest_config
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
        out[lang] = {"executability": agg["executability"], "correctness": agg["correctness"],
                     "b_coverage": recs[1].line_coverage, "line_coverage_a": recs[0].line_coverage}  # fmt: skip
    return out


class _Fixed:
    """Replies per project in order (vanilla, then self-fix rounds): the toy repair scenario."""

    name = "toy-replies"

    def __init__(self, replies: dict[str, list[str]]):
        self.replies = {k: list(v) for k, v in replies.items()}

    def generate(self, messages, project: str = "") -> Reply:
        queue = self.replies.get(project) or []
        return Reply(queue.pop(0)) if queue else Reply(error="no more replies")


def reproduce(preset: str = "quick", out_dir: Path = Path("reports/latest/projecttest"), seed: int = 0) -> Reproduction:
    from tenfold.projecttest import SYSTEM
    from tenfold.projecttest.data import toy_project

    cfg: ProjectTestConfig = projecttest_config(preset)
    seed_everything(seed)
    t0 = time.perf_counter()
    run = RunDir.create(out_dir, "projecttest", preset, seed, cfg)
    claims = {c.id: c for c in SYSTEM.claims}
    results: list[ClaimResult] = []
    work = Path(tempfile.mkdtemp(prefix="tenfold-projecttest-repro-"))

    ident = toy_identities(work / "identities")
    ok = all(v["executability"] == 2 / 3 and v["correctness"] == 0.5 and v["b_coverage"] == 0 for v in ident.values())
    text = "; ".join(f"{lang}: ER {v['executability']:.3f}, CR {v['correctness']:.3f}" for lang, v in ident.items())
    results.append(ClaimResult(claims["metrics"], text + " (expected 2/3 and 0.5)", ok, values=ident))

    # error analysis and repair on the toy package: B (wrong import path), D (missing numpy import), E (misbehaving)
    toy = toy_project("python", work / "toy")
    before = fingerprint(toy.root)
    replies = {"calc": [REPLIES["D"], REPLIES["A"]]}
    sweep_cfg = SweepConfig(test_timeout_s=3.0, mutation=cfg.mutation, max_mutants=cfg.max_mutants)
    recs = run_sweep([toy], _Fixed(replies), run.path / "toy-sweep", sweep_cfg)
    by = {r.scenario: r for r in recs}
    cascade = by["vanilla"].cascades
    results.append(
        ClaimResult(
            claims["cascade"],
            f"one root cause ({', '.join(cascade)}) fails {sum(cascade.values())} tests",
            cascade == {"NameError: name 'np' is not defined": 3},
            values={"cascades": cascade},
        )
    )
    fixed = [n for n in by["manual"].notes if n.startswith("manual fix")]
    results.append(
        ClaimResult(
            claims["manual_fix"],
            f"CR {by['vanilla'].correctness:.2f} → manual {by['manual'].correctness:.2f} → self-fix "
            f"{by['self_fix'].correctness:.2f}; {'; '.join(fixed)}",
            by["manual"].correctness == 1.0 and by["vanilla"].correctness == 0.25,
            values={s: r.to_dict() for s, r in by.items()},
        )
    )
    src = work / "replies.jsonl"
    src.write_text(json.dumps({"project": "calc", "reply": REPLIES["E"]}) + "\n")
    (bad,) = run_sweep([toy], Replay(str(src)), work / "isolation", SweepConfig(("vanilla",), test_timeout_s=3.0))
    stopped = {t.name.rsplit("::", 1)[-1]: t.category for t in bad.tests if t.outcome != "passed"}
    unchanged = fingerprint(toy.root) == before
    results.append(
        ClaimResult(
            claims["isolation"],
            f"{len(stopped)} misbehaving tests stopped ({', '.join(f'{k}: {v}' for k, v in sorted(stopped.items()))}); "
            f"the good test passed; source byte-identical: {unchanged}; {bad.run_s:.1f} s",
            len(stopped) == 5 and bad.n_passed == 1 and unchanged,
            values={"stopped": stopped},
        )
    )
    if cfg.mutation and by["vanilla"].mutation_score is not None:
        results.append(
            ClaimResult(
                claims["mutation"],
                f"toy suite after repair: mutation score {by['manual'].mutation_score:.2f} "
                f"(at most {cfg.max_mutants} mutants)",
                None,
                values={"manual": by["manual"].mutation_score},
            )
        )

    table = ""
    if cfg.model and (cfg.projects or cfg.js_projects):
        table = _llm_rows(claims["llm_sweep"], cfg, run.path, results)
    if cfg.projects and cfg.pynguin_search_s:
        results.append(_pynguin_row(claims["pynguin"], cfg, run.path))
    summary = {r.claim.id: {"ours": r.ours, "holds": r.holds} for r in results}
    run.write_summary(summary | {"llm_table": table})
    plots = [p for p in [run.path / "taxonomy.png"] if p.exists()]
    return Reproduction("projecttest", preset, seed, results, [run.path], plots, time.perf_counter() - t0)


def _llm_rows(claim, cfg: ProjectTestConfig, run_path: Path, results: list[ClaimResult]) -> str:
    """SmolLM2 on the carved projects of each available lane, all three scenarios; returns the table's lines."""
    from tenfold.projecttest.data import carved_js_projects, carved_projects
    from tenfold.projecttest.generators import HFChat

    projects = carved_projects(cfg.projects)
    gen = HFChat(cfg.model, max_new_tokens=cfg.max_new_tokens)
    sweep = SweepConfig(self_fix_rounds=cfg.self_fix_rounds, workers=cfg.workers, test_timeout_s=cfg.test_timeout_s)
    records = run_sweep(projects, gen, run_path / "llm-sweep", sweep)
    if cfg.js_projects and "javascript" in _lanes():
        js = carved_js_projects(cfg.js_projects)
        projects += js
        records += run_sweep(js, gen, run_path / "llm-sweep-js", replace(sweep, scenarios=cfg.js_scenarios))
    rows = score_rows(records)
    _, body = format_rows(rows)
    langs = sorted({r["language"] for r in rows})
    py, js = PAPER_PYTHON["Claude 3.5 Sonnet"], PAPER_JAVASCRIPT["Claude 3.5 Sonnet"]
    results.append(
        ClaimResult(
            claim,
            "; ".join(
                f"{r['language']} {r['scenario']}: CR {100 * r['correctness']:.0f} / ER {100 * r['executability']:.0f}"
                f" / LC {100 * r['line_coverage']:.0f} / BC {100 * r['branch_coverage']:.0f}"
                for r in rows
            )
            + f" ({gen.name}, {cfg.max_new_tokens} new tokens; projects: "
            + ", ".join(f"{lang} {sum(1 for p in projects if p.language == lang)}" for lang in langs)
            + ")",
            None,
            note=f"theirs, not ours: Claude 3.5 Sonnet Python {'/'.join(map(str, py))}, JavaScript "
            f"{'/'.join(map(str, js))}; Python manual fix {'/'.join(map(str, PAPER_FIXING['manual']))}",
            values={"rows": rows, "tokens": {r.project: r.prompt_tokens for r in records if r.scenario == "vanilla"}},
        )
    )
    plot_taxonomy(records, run_path / "taxonomy.png")
    return "\n".join(" | ".join(r) for r in body)


def _pynguin_row(claim, cfg: ProjectTestConfig, run_path: Path) -> ClaimResult:
    """Pynguin, the paper-era non-LLM baseline, on the same carved projects (when it is installed)."""
    from tenfold.projecttest.data import carved_projects
    from tenfold.projecttest.pynguin_gen import HINT, PynguinGenerator, pynguin_executable

    if pynguin_executable() is None:
        return ClaimResult(claim, f"not run: Pynguin is not installed ({HINT})", None)
    gen = PynguinGenerator(search_time_s=cfg.pynguin_search_s)
    records = run_sweep(carved_projects(cfg.projects), gen, run_path / "pynguin-sweep", SweepConfig(("vanilla",)))
    agg = aggregate(records)
    return ClaimResult(
        claim,
        f"CR {100 * agg['correctness']:.0f} / ER {100 * agg['executability']:.0f} / LC {100 * agg['line_coverage']:.0f}"
        f" / BC {100 * agg['branch_coverage']:.0f} over {agg['projects']} projects ({gen.name} per module)",
        None,
        values=agg,
    )
