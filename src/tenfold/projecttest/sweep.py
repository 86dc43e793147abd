"""A sweep: every project × one generator, through vanilla → manual fix → self-fix, one record per project and scenario.

Nothing aborts a sweep: a missing code block, a generator error or timeout, an empty project, a collection error or a
hanging test is recorded on that project with a reason. Records are appended to ``records.jsonl`` as they finish and
replies to ``replies.jsonl``; re-running the same command skips what is there (a resumable run), and
``replay`` re-scores stored replies without a model. Projects run in parallel threads (each suite is a subprocess).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tenfold.common.progress import progress
from tenfold.projecttest.fixing import manual_fix
from tenfold.projecttest.generators import Generator, Reply
from tenfold.projecttest.project import Project, fingerprint
from tenfold.projecttest.prompt import NoCodeError, TestFile, build_messages, extract_tests, self_fix_messages
from tenfold.projecttest.records import ProjectRecord
from tenfold.projecttest.runner_python import run_python_suite
from tenfold.projecttest.sandbox import Limits

SCENARIOS = ("vanilla", "manual", "self_fix")


@dataclass(frozen=True)
class SweepConfig:
    scenarios: tuple[str, ...] = SCENARIOS
    """which scenarios to score (manual and self_fix start from the vanilla suite)."""
    self_fix_rounds: int = 1
    """rounds of self-fixing (the paper: 1; its appendix: 3)."""
    workers: int = 1
    """projects at once (threads; each suite runs in its own subprocess)."""
    test_timeout_s: float = 10.0
    """per-test timeout."""
    mutation: bool = False
    """also measure the mutation score of each executable Python suite (about a second per mutant)."""
    max_mutants: int = 40
    """mutants per project (sampled with a fixed seed above this)."""
    limits: Limits = field(default_factory=Limits)
    """wall, CPU, memory and file-size limits of each suite run."""
    coverage: str = "authors"
    """how line and branch coverage are computed (Python lane; :data:`~.runner_python.COVERAGE_DEFINITIONS`)."""
    executor: str = "threads"
    """``threads`` on this machine, or ``ray``: one Ray task per project on the cluster at ``$RAY_ADDRESS`` (a local
    Ray instance with ``workers`` CPUs when unset); project folders must be readable from every node."""


def run_suite(project: Project, tests: list[TestFile], cfg: SweepConfig, rec: ProjectRecord) -> ProjectRecord:
    if project.language == "python":
        rec = run_python_suite(project, tests, cfg.limits, cfg.test_timeout_s, rec, cfg.coverage)
        if cfg.mutation and rec.executable and rec.n_passed:
            from tenfold.projecttest.mutation import mutation_score

            rec.mutation_score = mutation_score(project, tests, cfg.max_mutants, min(cfg.test_timeout_s, 5.0))["score"]
        return rec
    if project.language == "javascript":
        from tenfold.projecttest.runner_js import run_js_suite

        return run_js_suite(project, tests, None, cfg.test_timeout_s, rec)
    if project.language == "java":
        from tenfold.projecttest.runner_java import run_java_suite

        return run_java_suite(project, tests, None, cfg.test_timeout_s, rec)
    rec.reason = f"the {project.language} lane is not available in this build"
    return rec


def _score(project: Project, reply: Reply, generator: str, scenario: str, cfg: SweepConfig):
    rec = ProjectRecord(project.name, project.language, generator, scenario)
    rec.prompt_tokens, rec.completion_tokens, rec.latency_s = (
        reply.prompt_tokens,
        reply.completion_tokens,
        reply.latency_s,
    )
    if reply.truncated:
        rec.notes.append("reply truncated at the completion budget")
    if reply.tokens_estimated:
        rec.notes.append("prompt tokens estimated with GPT-2 BPE")
    if reply.error:
        rec.reason = f"generator: {reply.error}"
        return rec, []
    if reply.files:
        return run_suite(project, [TestFile(p, t) for p, t in reply.files], cfg, rec), [
            TestFile(p, t) for p, t in reply.files
        ]
    try:
        tests = extract_tests(reply.text, project)
    except NoCodeError as e:
        rec.reason = str(e)
        return rec, []
    return run_suite(project, tests, cfg, rec), tests


def evaluate_project(project: Project, generator: Generator, cfg: SweepConfig) -> tuple[list[ProjectRecord], dict]:
    """All scenarios for one project; returns the records and the replies to store."""
    if not project.files:
        why = "empty project: no source files"
        empty = [ProjectRecord(project.name, project.language, generator.name, s, reason=why) for s in cfg.scenarios]
        return empty, {"project": project.name, "reply": "", "error": "empty project"}
    before = fingerprint(project.root)
    messages = build_messages(project)
    search = getattr(generator, "generate_for_project", None)  # search-based generators read the project itself
    reply = search(project) if search else generator.generate(messages, project.name)
    vanilla, tests = _score(project, reply, generator.name, "vanilla", cfg)
    records = [vanilla]
    stored = {"project": project.name, "reply": reply.text, "error": reply.error}
    if "manual" in cfg.scenarios:
        rec = ProjectRecord(project.name, project.language, generator.name, "manual")
        if tests:
            fixed, log = manual_fix(project, tests, vanilla)
            rec = run_suite(project, fixed, cfg, rec)
            rec.notes += [f"manual fix: {e}" for e in log.edits] + [f"manual fix: {log.changed_lines} lines changed"]
        else:
            rec.reason = vanilla.reason or "nothing to fix"
        records.append(rec)
    if "self_fix" in cfg.scenarios:
        rec, fix_replies = self_fix(project, generator, messages, reply, vanilla, cfg)
        records.append(rec)
        stored["self_fix_replies"] = fix_replies
    if fingerprint(project.root) != before:  # cannot happen: suites run in copies; guards against runner bugs
        raise RuntimeError(f"project '{project.name}' changed during its run")
    return records, stored


def self_fix(
    project: Project, generator: Generator, messages: list, reply: Reply, vanilla: ProjectRecord, cfg: SweepConfig
) -> tuple[ProjectRecord, list[str]]:
    """Up to ``cfg.self_fix_rounds`` rounds: show the model the runner's output with the paper's message and score
    its new suite. Stops early once the suite runs with every test passing, or when a round gives no code. A guard
    notes when a fix drops tests or loses line coverage."""
    best, texts = vanilla, []
    history, last_reply, last = messages, reply, vanilla
    for round_ in range(1, cfg.self_fix_rounds + 1):
        if last.executable and last.n_passed == last.n_tests:
            break
        errors = last.output or last.reason or "the tests did not run"
        history = self_fix_messages(history, last_reply.text, errors)
        last_reply = generator.generate(history, project.name)
        texts.append(last_reply.text)
        rec, _ = _score(project, last_reply, generator.name, "self_fix", cfg)
        rec.notes.append(f"self-fix round {round_}")
        if rec.n_tests < last.n_tests:
            rec.notes.append(f"guard: the fix dropped tests ({last.n_tests} → {rec.n_tests})")
        if rec.line_coverage < last.line_coverage:
            rec.notes.append(f"guard: the fix lost line coverage ({last.line_coverage:.2f} → {rec.line_coverage:.2f})")
        best, last = rec, rec
        if not rec.tests and rec.reason:
            break
    if best is vanilla:  # nothing to fix: the self-fix score is the vanilla one
        best = ProjectRecord.from_dict(vanilla.to_dict() | {"scenario": "self_fix"})
        best.notes.append("no self-fix round needed or possible")
    return best, texts


def run_sweep(
    projects: Sequence[Project], generator: Generator, out_dir: Path, cfg: SweepConfig | None = None
) -> list[ProjectRecord]:
    """Evaluate every project (skipping those already in ``out_dir/records.jsonl``) and return all records."""
    cfg = cfg or SweepConfig()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rec_path, reply_path = out_dir / "records.jsonl", out_dir / "replies.jsonl"
    done = load_records(rec_path)
    finished = {r.project for r in done if r.generator == generator.name}
    todo = [p for p in projects if p.name not in finished]
    lock = threading.Lock()
    bar = progress(total=len(todo), desc=f"projects ({generator.name})")

    def save(records: list[ProjectRecord], stored: dict) -> None:
        with lock:  # one writer: whole lines, so an interrupted sweep leaves only complete records
            with rec_path.open("a") as f:
                for r in records:
                    f.write(json.dumps(r.to_dict()) + "\n")
            with reply_path.open("a") as f:
                f.write(json.dumps(stored) + "\n")
            bar.update(1)

    def one(project: Project) -> list[ProjectRecord]:
        records, stored = _evaluate_safely(project, generator, cfg)
        save(records, stored)
        return records

    new: list[ProjectRecord] = []
    if cfg.executor == "ray" and todo:
        new = _run_on_ray(todo, generator, cfg, save)
    else:
        with ThreadPoolExecutor(max_workers=max(1, cfg.workers)) as pool:
            for fut in as_completed([pool.submit(one, p) for p in todo]):
                new += fut.result()
    bar.close()
    return done + new


def _evaluate_safely(project: Project, generator: Generator, cfg: SweepConfig) -> tuple[list[ProjectRecord], dict]:
    try:
        return evaluate_project(project, generator, cfg)
    except Exception as e:  # a harness bug on one project is recorded, not fatal to the sweep
        records = [
            ProjectRecord(project.name, project.language, generator.name, s, reason=f"harness: {e!r}")
            for s in cfg.scenarios
        ]
        return records, {"project": project.name, "reply": "", "error": repr(e)}


def _run_on_ray(todo: list[Project], generator: Generator, cfg: SweepConfig, save) -> list[ProjectRecord]:
    """One Ray task per project; results are written by this process as they arrive (same files as threads)."""
    import os

    import ray

    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        kwargs = {} if address else {"num_cpus": max(1, cfg.workers)}
        ray.init(address=address, include_dashboard=False, log_to_driver=False, **kwargs)
    task = ray.remote(num_cpus=1)(_evaluate_safely)
    gen_ref = ray.put(generator)  # a local model is shipped once, not once per project
    pending = [task.remote(p, gen_ref, cfg) for p in todo]
    new: list[ProjectRecord] = []
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        records, stored = ray.get(ready[0])
        save(records, stored)
        new += records
    return new


def load_records(path: Path) -> list[ProjectRecord]:
    """The records of a sweep (none if it has not started); a damaged line is an error naming it, except a last line
    cut by an interruption, which the resumed sweep redoes."""
    from tenfold.common.errors import UserError
    from tenfold.common.readers import read_jsonl

    if not Path(path).exists():
        return []
    out = []
    for number, row in enumerate(read_jsonl(path, torn_tail_ok=True, what="records file"), 1):
        try:
            out.append(ProjectRecord.from_dict(row))
        except (TypeError, KeyError) as exc:
            raise UserError(f"{path}: record {number} is not a project record ({exc})") from None
    return out
