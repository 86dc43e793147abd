"""The ``tenfold`` command.

::

    tenfold --version
    tenfold systems                                  table of systems and their status
    tenfold reproduce [SYSTEM ...] --preset quick --out-dir DIR
    tenfold cache ls|du|clear [KIND]                  the cache of trained models and finished results
    tenfold readme [SYSTEM ...]                       regenerate the README tables of paper vs ours
    tenfold lm train|generate|ppl|models|tokenize ...
    tenfold corpora list
    tenfold <system> ...                              each built system's own commands

Bad input (unknown names, missing paths, corrupt files, an output place that cannot be written) prints one line and
exits with code 2; a training run that diverges exits with 1. ``TENFOLD_DEBUG=1`` shows the traceback of every error;
an unexpected exception (a bug) always shows it.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from tenfold import __version__
from tenfold.common.cli import Parser, add_command, existing_dir, non_negative_int, output_dir
from tenfold.common.config import PRESETS
from tenfold.common.errors import UserError, path_error


def _cmd_systems(args: argparse.Namespace) -> int:
    from tenfold.common.tables import print_table
    from tenfold.systems import systems

    rows = []
    for spec in systems():
        paper = spec.paper
        rows.append(
            [spec.name, spec.status, paper.title if paper else spec.summary, f"arXiv {paper.arxiv}" if paper else "–"]
        )
    print_table(["system", "status", "paper", "id"], rows, title="tenfold systems")
    return 0


def _cmd_reproduce(args: argparse.Namespace) -> int:
    from tenfold.common.reproduce import reproduce_systems
    from tenfold.systems import get_system, systems

    selected = [get_system(name) for name in args.systems] if args.systems else systems()
    if args.show_config:
        if len(selected) != 1 or not selected[0].module:
            raise UserError("--show-config shows one built system's config: name it, e.g. tenfold reproduce latim")
        from tenfold.common.cli import print_config

        print_config(selected[0].load_reproducer().config(args.preset, args.overrides))
        return 0
    failed = reproduce_systems(
        selected, args.preset, args.out_dir, args.seed, use_cache=not args.recompute, overrides=args.overrides
    )
    print(f"report: {args.out_dir / 'index.html'}\n        {args.out_dir / 'report.md'}")
    return 1 if failed else 0


def _cmd_cache(args: argparse.Namespace) -> int:
    from tenfold.common import cache
    from tenfold.common.paths import cache_root
    from tenfold.common.tables import print_table

    if args.cache_command == "clear":
        removed, freed = cache.clear(args.kind)
        print(f"removed {removed} entries ({cache.human_bytes(freed)}) from {cache_root()}")
        return 0
    entries = cache.entries(args.kind)
    if args.cache_command == "du" or args.kind is None:
        by_kind: dict[str, list] = {}
        for e in entries:
            by_kind.setdefault(e.kind, []).append(e)
        rows = [
            [k, len(v), cache.human_bytes(sum(e.bytes for e in v)), max(e.created for e in v)]
            for k, v in sorted(by_kind.items())
        ]
        rows.append(["total", len(entries), cache.human_bytes(sum(e.bytes for e in entries)), ""])
        print_table(["kind", "entries", "size", "newest"], rows, title=str(cache_root()))
        return 0
    rows = [
        [e.name, cache.human_bytes(e.bytes), e.created, "–" if e.build_seconds is None else f"{e.build_seconds:.1f}"]
        for e in entries
    ]
    print_table(["entry", "size", "created", "build s"], rows, title=f"{cache_root() / args.kind}")
    return 0


def _cmd_readme(args: argparse.Namespace) -> int:
    from tenfold.common.readme import update_readmes

    return update_readmes(args.systems, args.from_dir, check=args.check)


def build_parser() -> argparse.ArgumentParser:
    from tenfold.common.cli import add_group
    from tenfold.systems import built

    parser = Parser(prog="tenfold", description="Ten AI research systems (arXiv, 2025-02-21), reproduced on a CPU.")
    parser.add_argument("--version", action="version", version=f"tenfold {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_command(sub, "systems", _cmd_systems, "list the systems and their status", example="tenfold systems")
    rep = add_command(
        sub,
        "reproduce",
        _cmd_reproduce,
        "run reproductions and write an HTML + Markdown report",
        example="tenfold reproduce zweistein --preset test --out-dir reports/try",
    )
    rep.add_argument("systems", nargs="*", metavar="SYSTEM", help="systems to run (default: all)")
    rep.add_argument("--preset", choices=PRESETS, default="quick", help="settings (default quick)")
    rep.add_argument(
        "--seed",
        type=non_negative_int,
        default=0,
        help="the run's seed; multi-seed claims use it and the next ones (default 0)",
    )
    rep.add_argument(
        "--out-dir",
        "--out",
        dest="out_dir",
        type=output_dir,
        default=Path("reports/latest"),
        help="report directory (default reports/latest)",
    )
    rep.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a field of one system's ReproConfig, e.g. --set n_seeds=3 (repeatable)",
    )
    rep.add_argument(
        "--show-config", action="store_true", help="print the system's resolved ReproConfig with field docs and exit"
    )
    rep.add_argument(
        "--recompute",
        action="store_true",
        help="recompute every claim instead of reading finished reproductions from the cache (trained "
        "models and other cached steps are still reused)",
    )
    cache = add_group(sub, "cache", "list, size and clear the cache of trained models and results ($TENFOLD_CACHE)")
    for name, text, example in (
        ("ls", "entries of KIND (or the kinds)", "tenfold cache ls models"),
        ("du", "size per kind", "tenfold cache du"),
        ("clear", "remove the entries of KIND (or everything)", "tenfold cache clear latim-evals"),
    ):
        p = add_command(cache, name, _cmd_cache, text, example=example)
        p.add_argument("kind", nargs="?", default=None, metavar="KIND", help="e.g. models, latim-evals (default: all)")
    readme = add_command(
        sub,
        "readme",
        _cmd_readme,
        "write each system README's paper-vs-ours table from its claims and the last reproduction",
        example="tenfold readme zweistein --from reports/latest",
    )
    readme.add_argument("systems", nargs="*", metavar="SYSTEM", help="systems (default: every built one)")
    readme.add_argument(
        "--from",
        dest="from_dir",
        type=existing_dir,
        default=Path("reports/latest"),
        help="the report directory of the reproduction to quote (default reports/latest)",
    )
    readme.add_argument(
        "--check", action="store_true", help="only check that each table matches the claims' text (exit 1 if not)"
    )
    for spec in built():
        hook = spec.load_cli()
        if hook is not None:
            hook(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Library modules report progress through the "tenfold" logger; the command shows it on stderr (the handler is
    # removed again at the end, so that calling main() in a process twice does not print everything twice).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tenfold")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        return _run(argv)
    finally:
        logger.removeHandler(handler)


def _run(argv: list[str] | None) -> int:
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
    debug = os.environ.get("TENFOLD_DEBUG", "") not in ("", "0")
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        if debug:
            raise
        print(f"tenfold: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        message = path_error(exc)
        if message is None or debug:  # not about a path the user chose: a bug, whose traceback must stay visible
            raise
        print(f"tenfold: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "tenfold: interrupted (completed checkpoints are kept; re-run the same command to resume)", file=sys.stderr
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
