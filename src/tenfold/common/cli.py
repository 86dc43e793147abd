"""CLI conventions shared by every system (argparse everywhere, one style).

Every command that runs something accepts ``--preset {test,quick,paper}``, ``--seed N``, ``--out-dir DIR`` and config
overrides as ``--set key=value`` (repeatable) or directly as ``--key=value`` (dotted keys reach nested configs).
Handlers raise :class:`~tenfold.common.errors.UserError` for bad input; ``tenfold.cli.main`` prints it as one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from tenfold.common.config import PRESETS

Handler = Callable[[argparse.Namespace], int | None]


class Parser(argparse.ArgumentParser):
    """argparse with tenfold's contract for bad input: one line on stderr naming the problem, exit code 2 (argparse's
    own error prints the usage block first). Sub-command parsers inherit the class."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"tenfold: error: {message} (see `{self.prog} --help`)\n")


def add_group(subparsers: Any, name: str, help: str, description: str | None = None) -> Any:
    """A command group (``tenfold NAME COMMAND ...``) that prints its help when no command is given; returns the
    sub-parsers to add its commands to."""
    parser = subparsers.add_parser(name, help=help, description=description or help)
    inner = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
    return inner


def add_command(
    subparsers: Any, name: str, handler: Handler, help: str, overrides: bool = False
) -> argparse.ArgumentParser:
    """Add a sub-command whose handler receives the parsed namespace; ``overrides`` makes it accept ``--k=v``."""
    parser = subparsers.add_parser(name, help=help, description=help)
    parser.set_defaults(func=handler, accepts_overrides=overrides)
    return parser


def add_run_args(
    parser: argparse.ArgumentParser,
    default_preset: str = "quick",
    out_dir_help: str | None = "run directory (default: a new timestamped one under ./runs)",
) -> None:
    """``--preset``, ``--seed``, ``--out-dir`` (unless ``out_dir_help`` is None), ``--set`` and ``--show-config``."""
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default=default_preset,
        help=f"settings: test (seconds), quick (minutes), paper (the paper's); default {default_preset}",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    if out_dir_help:
        parser.add_argument("--out-dir", type=Path, default=None, help=out_dir_help)
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config field, e.g. --set train.lr=1e-3 (repeatable; --train.lr=1e-3 works too)",
    )
    parser.add_argument("--show-config", action="store_true", help="print the resolved config with field docs and exit")
    parser.set_defaults(accepts_overrides=True)


def print_config(cfg: Any) -> None:
    """Print every field of a (nested) dataclass config with its value and docstring."""
    from tenfold.common.config import describe
    from tenfold.common.tables import print_table

    print_table(["field", "value", "meaning"], [[k, repr(v), doc] for k, v, doc in describe(cfg)])
