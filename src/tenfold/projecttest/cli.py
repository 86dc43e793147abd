"""``tenfold projecttest ...``: projects list|carve, run, score, report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tenfold.common.cli import (
    add_command,
    add_group,
    existing_dir,
    existing_path,
    non_negative_int,
    output_dir,
    positive_float,
    positive_int,
)
from tenfold.common.errors import UserError
from tenfold.projecttest.project import LANGUAGES
from tenfold.projecttest.sweep import SCENARIOS


def register(sub) -> None:
    inner = add_group(
        sub,
        "projecttest",
        help="project-level unit-test generation benchmark harness (Python, JavaScript, Java)",
        description="ProjectTest harness (Wang et al., arXiv 2502.06556)",
    )

    projects = add_command(inner, "projects", lambda a: a.projects_parser.print_help() or 2, "list or carve projects")
    pinner = projects.add_subparsers(dest="projects_command", metavar="ACTION")
    projects.set_defaults(projects_parser=projects)
    p = add_command(
        pinner,
        "list",
        _list,
        "the projects available (carved specs, toy, a dataset clone)",
        example="tenfold projecttest projects list --lang javascript",
    )
    p.add_argument("--dataset", type=existing_dir, default=None, help="a clone of the official ProjectTest repository")
    p.add_argument("--lang", default=None, choices=tuple(LANGUAGES), help="only this language (default: all)")
    p = add_command(
        pinner,
        "env",
        _env,
        "whether each project of a dataset clone can run here (imports, jsdom, compiles), before any model",
        example="tenfold projecttest projects env --dataset ../shared/data/projecttest-official --lang python",
    )
    p.add_argument("--dataset", type=existing_dir, required=True, help="a clone of the official ProjectTest repository")
    p.add_argument("--lang", default="python", choices=tuple(LANGUAGES), help="language (default python)")
    p = add_command(
        pinner,
        "carve",
        _carve,
        "download pinned packages and carve their projects into the cache",
        example="tenfold projecttest projects carve slugify",
    )
    p.add_argument("names", nargs="*", help="carve specs (default: all)")

    p = add_command(
        inner,
        "run",
        _run,
        "generate tests for every project and score them (resumable)",
        example="tenfold projecttest run --generator replay --source replies --projects calc --out-dir runs/pt-try",
    )
    p.add_argument("--generator", required=True, help="openai, hf, replay, files or pynguin")
    p.add_argument("--model", default=None, help="model name (openai) or smollm2 / a model directory (hf)")
    p.add_argument("--base-url", default=None, help="OpenAI-compatible endpoint (default $OPENAI_BASE_URL)")
    p.add_argument(
        "--source", default=None, help="replay: a directory of replies or a replies.jsonl; files: a directory of tests"
    )
    p.add_argument("--lang", default="python", choices=tuple(LANGUAGES), help="language (default python)")
    p.add_argument(
        "--projects",
        default=None,
        help="comma-separated names from `projects list` (default: every carved project of --lang)",
    )
    p.add_argument(
        "--project-dir", type=existing_dir, action="append", default=[], help="a project directory (repeatable)"
    )
    p.add_argument("--dataset", type=existing_dir, default=None, help="a clone of the official ProjectTest repository")
    p.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated, from {', '.join(SCENARIOS)} (default: all)",
    )
    p.add_argument(
        "--self-fix-rounds", type=non_negative_int, default=1, help="rounds of self-fixing (default 1, the paper's)"
    )
    p.add_argument("--workers", type=positive_int, default=1, help="projects at once (default 1)")
    p.add_argument(
        "--executor",
        choices=("threads", "ray"),
        default="threads",
        help="threads on this machine, or ray (the cluster at $RAY_ADDRESS, else a local Ray with --workers CPUs)",
    )
    p.add_argument("--test-timeout", type=positive_float, default=10.0, help="seconds per test (default 10)")
    p.add_argument(
        "--coverage",
        choices=("authors", "strict"),
        default="authors",
        help="Python coverage: the authors' run_all_py.py definition (default; branch = coverage.py's total of "
        "statements + branches, imported files only) or strict (every source file, branch-only rate)",
    )
    p.add_argument("--max-new-tokens", type=positive_int, default=1024, help="completion budget (default 1024)")
    p.add_argument(
        "--context",
        type=non_negative_int,
        default=0,
        help="openai: the model's context in tokens; larger prompts (GPT-2 BPE estimate) are refused per project",
    )
    p.add_argument(
        "--search-time", type=positive_int, default=10, help="pynguin: seconds of search per module (default 10)"
    )
    p.add_argument("--out-dir", type=output_dir, required=True, help="run directory (re-run the command to resume)")

    add_command(
        inner,
        "setup-pynguin",
        _setup_pynguin,
        "install Pynguin into its own venv in the cache (PyPI)",
        example="tenfold projecttest setup-pynguin",
    )

    p = add_command(
        inner,
        "score",
        _score,
        "the paper's metrics per language and scenario from a run",
        example="tenfold projecttest score runs/pt-try",
    )
    p.add_argument("results", type=existing_path, help="a run directory or its records.jsonl")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")

    p = add_command(
        inner,
        "report",
        _report,
        "tables and the error-taxonomy chart of a run",
        example="tenfold projecttest report runs/pt-try --out-dir reports/pt-try",
    )
    p.add_argument("results", type=existing_path, help="a run directory or its records.jsonl")
    p.add_argument(
        "--out-dir",
        "--out",
        dest="out",
        type=output_dir,
        default=None,
        help="where to write report.md and taxonomy.png (default: the run directory)",
    )


def _list(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.projecttest.data import named_projects
    from tenfold.projecttest.project import load_official

    rows = [
        [p.name, p.language, p.source, p.where, p.note]
        for p in named_projects().values()
        if args.lang in (None, p.language)
    ]
    if args.dataset:
        rows += [
            [p.name, p.language, "official", str(p.root), f"{len(p.files)} files"]
            for lang in ([args.lang] if args.lang else LANGUAGES)
            for p in load_official(args.dataset, lang)
        ]
    print_table(["project", "language", "source", "module / path", "note"], rows)
    return 0


def _carve(args: argparse.Namespace) -> int:
    from tenfold.projecttest.carve import CARVED, CARVED_JS, carve, carve_js

    known = {**{n: (carve, s) for n, s in CARVED.items()}, **{n: (carve_js, s) for n, s in CARVED_JS.items()}}
    names = args.names or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown carve spec {', '.join(unknown)} (known: {', '.join(known)})")
    for n in names:
        fn, spec = known[n]
        p = fn(spec)
        print(f"{p.name}: {len(p.files)} files, {p.lines} lines -> {p.root}")
    return 0


def _projects(args: argparse.Namespace):
    from tenfold.projecttest.data import named_projects
    from tenfold.projecttest.project import check_language, load_official, load_project

    check_language(args.lang)
    if args.project_dir:
        return [load_project(d, args.lang) for d in args.project_dir]
    if args.dataset:
        return load_official(args.dataset, args.lang)
    known = {n: p for n, p in named_projects().items() if p.language == args.lang}
    # Without --projects: the carved ones (the toy is there for checks, not for a sweep's numbers).
    names = args.projects.split(",") if args.projects else [n for n, p in known.items() if p.source != "toy (built in)"]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UserError(f"unknown {args.lang} project {', '.join(unknown)} (known: {', '.join(known)})")
    return [known[n].build() for n in names]


def _env(args: argparse.Namespace) -> int:
    from tenfold.common.progress import track
    from tenfold.common.tables import print_table
    from tenfold.projecttest.environment import environment_status
    from tenfold.projecttest.project import load_official

    projects = load_official(args.dataset, args.lang)
    rows = [[p.name, environment_status(p) or "ready"] for p in track(projects, desc="environment")]
    ready = sum(r[1] == "ready" for r in rows)
    print_table(["project", "status"], rows, title=f"{args.lang}: {ready} of {len(rows)} projects run here")
    return 0


def _generator(args: argparse.Namespace):
    from tenfold.projecttest.generators import GENERATORS

    cls = GENERATORS.get(args.generator)
    if args.generator == "openai":
        if not args.model:
            raise UserError("--generator openai needs --model")
        return cls(args.model, base_url=args.base_url, max_tokens=args.max_new_tokens, context=args.context)
    if args.generator == "hf":
        return cls(args.model or "smollm2", max_new_tokens=args.max_new_tokens)
    if args.generator == "pynguin":
        return cls(search_time_s=args.search_time)
    if not args.source:
        what = "a directory of test files" if args.generator == "files" else "a directory of replies or a replies.jsonl"
        raise UserError(f"--generator {args.generator} needs --source ({what})")
    return cls(args.source)


def _run(args: argparse.Namespace) -> int:
    from tenfold.common.rundir import RunDir
    from tenfold.projecttest.report import LEGEND, format_rows, score_rows
    from tenfold.projecttest.sweep import SCENARIOS, SweepConfig, run_sweep

    scenarios = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
    bad = [s for s in scenarios if s not in SCENARIOS]
    if bad:
        raise UserError(f"unknown scenario {', '.join(bad)} (choose from {', '.join(SCENARIOS)})")
    projects = _projects(args)
    generator = _generator(args)
    cfg = SweepConfig(
        scenarios=scenarios,
        self_fix_rounds=args.self_fix_rounds,
        workers=args.workers,
        test_timeout_s=args.test_timeout,
        executor=args.executor,
        coverage=args.coverage,
    )
    record = {"generator": generator.name, "projects": [p.name for p in projects], "sweep": cfg}
    if not (args.out_dir / "config.json").exists():
        RunDir.create(args.out_dir, "projecttest", "custom", 0, record, path=args.out_dir)
    records = run_sweep(projects, generator, args.out_dir, cfg)
    from tenfold.common.tables import print_table

    title = f"{generator.name} on {len(projects)} projects"
    print_table(*format_rows(score_rows(records)), title=title, caption=LEGEND)
    return 0


def _setup_pynguin(args: argparse.Namespace) -> int:
    from tenfold.projecttest.pynguin_gen import ensure_pynguin

    print(f"pynguin: {ensure_pynguin()}")
    return 0


def _records(path: Path):
    from tenfold.projecttest.sweep import load_records

    file = path / "records.jsonl" if path.is_dir() else path
    if not file.exists():
        raise UserError(f"no records at '{file}' (run `tenfold projecttest run ... --out-dir DIR` first)")
    records = load_records(file)
    if not records:  # an empty file scores as nothing at all: say so rather than print an empty table
        raise UserError(f"'{file}' holds no project records (a sweep writes one per project as it finishes)")
    return records


def _score(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.projecttest.report import LEGEND, format_rows, score_rows

    rows = score_rows(_records(args.results))
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(*format_rows(rows), caption=LEGEND)
    return 0


def _report(args: argparse.Namespace) -> int:
    from tenfold.projecttest.report import (
        LEGEND,
        environment_table,
        format_rows,
        isolation_summary,
        plot_taxonomy,
        score_rows,
        taxonomy,
    )

    records = _records(args.results)
    out = args.out or (args.results if args.results.is_dir() else args.results.parent)
    out.mkdir(parents=True, exist_ok=True)
    head, body = format_rows(score_rows(records))
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in body]
    lines += ["", LEGEND + ".", "", isolation_summary(records)]
    env = environment_table(records)
    if env:
        lines += ["", "Projects the environment stopped (left out of the rates):", "", *env]
    lines += ["", "| generator / scenario | " + " | ".join(["category", "count"]) + " |", "|---|---|---|"]
    for key, counter in sorted(taxonomy(records).items()):
        lines += [f"| {key} | {cat} | {n} |" for cat, n in counter.most_common()]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    plot_taxonomy(records, out / "taxonomy.png")
    print(f"report: {out / 'report.md'}\n        {out / 'taxonomy.png'}")
    return 0
