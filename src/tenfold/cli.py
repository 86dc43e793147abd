"""The ``tenfold`` command.

::

    tenfold --version
    tenfold systems                                  table of systems and their status
    tenfold reproduce [SYSTEM ...] --preset quick --out DIR
    tenfold lm train|generate|ppl|models|tokenize ...
    tenfold corpora list
    tenfold <system> ...                              each built system's own commands

Bad input (unknown names, missing paths, corrupt files) prints one line and exits with code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

from tenfold import __version__
from tenfold.common.cli import add_command
from tenfold.common.errors import UserError


def _cmd_systems(args: argparse.Namespace) -> int:
    from tenfold.common.registry import systems
    from tenfold.common.tables import print_table

    rows = []
    for spec in systems():
        paper = spec.paper
        rows.append(
            [spec.name, spec.status, paper.title if paper else spec.summary, f"arXiv {paper.arxiv}" if paper else "–"]
        )
    print_table(["system", "status", "paper", "id"], rows, title="tenfold systems")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from tenfold.common.registry import get_system, systems
    from tenfold.common.report import ReportEntry, write_report

    selected = [get_system(name) for name in args.systems] if args.systems else systems()
    out: Path = args.out
    entries: list[ReportEntry] = []
    failed = 0
    t0 = time.perf_counter()
    for spec in selected:
        fn = spec.load_reproduce() if spec.status != "planned" else None
        if fn is None:
            entries.append(ReportEntry(spec, skipped="not built yet"))
            print(f"[{spec.name}] not built yet", file=sys.stderr)
            continue
        print(f"[{spec.name}] reproducing with preset {args.preset} ...", file=sys.stderr)
        try:
            rep = fn(preset=args.preset, out_dir=out / spec.name, seed=args.seed)
        except UserError as exc:
            entries.append(ReportEntry(spec, error=str(exc)))
            failed += 1
            print(f"[{spec.name}] failed: {exc}", file=sys.stderr)
            continue
        except Exception as exc:  # a bug in one system must not hide the others' results
            import traceback

            traceback.print_exc()
            entries.append(ReportEntry(spec, error=f"{type(exc).__name__}: {exc}"))
            failed += 1
            continue
        entries.append(ReportEntry(spec, reproduction=rep))
        held = sum(r.holds is True for r in rep.results)
        judged = sum(r.holds is not None for r in rep.results)
        unjudged = f", {len(rep.results) - judged} not judged here" if judged < len(rep.results) else ""
        print(f"[{spec.name}] {held}/{judged} claims hold{unjudged} ({rep.seconds:.0f} s)", file=sys.stderr)
    html_path, md_path = write_report(entries, out, args.preset, time.perf_counter() - t0)
    print(f"report: {html_path}\n        {md_path}")
    return 1 if failed else 0


def build_parser() -> argparse.ArgumentParser:
    from tenfold.common.registry import systems

    parser = argparse.ArgumentParser(
        prog="tenfold", description="Ten AI research systems (arXiv, 2025-02-21), reproduced on a CPU."
    )
    parser.add_argument("--version", action="version", version=f"tenfold {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_command(sub, "systems", _cmd_systems, "list the systems and their status")
    rep = add_command(sub, "reproduce", _cmd_reproduce, "run reproductions and write an HTML + Markdown report")
    rep.add_argument("systems", nargs="*", metavar="SYSTEM", help="systems to run (default: all)")
    rep.add_argument("--preset", choices=("test", "quick", "paper"), default="quick", help="default quick")
    rep.add_argument("--seed", type=int, default=0)
    rep.add_argument("--out", type=Path, default=Path("reports/latest"), help="report directory")
    for spec in systems():
        hook = spec.load_cli()
        if hook is not None:
            hook(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Library modules report progress through the "tenfold" logger; the command shows it on stderr.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tenfold")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        bad = [e for e in extra if not (e.startswith("--") and "=" in e)]
        if bad or not getattr(args, "accepts_overrides", False):
            parser.error(f"unrecognized arguments: {' '.join(bad or extra)}")
        args.overrides = [*getattr(args, "overrides", []), *extra]
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"tenfold: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(
            "tenfold: interrupted (completed checkpoints are kept; re-run the same command to resume)", file=sys.stderr
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
