"""CLI conventions shared by every system (argparse everywhere, one style).

Every command with a config takes ``--preset {test,quick,paper}``, config overrides as ``--set key=value``
(repeatable, or directly ``--key=value``; dotted keys reach nested configs) and ``--show-config``; every command that
draws random numbers takes ``--seed N``; every command that writes files takes ``--out-dir DIR`` (``--out FILE``
where it writes one file). Numbers and paths are typed below, so a bad value is refused before any work.
Handlers raise :class:`~tenfold.common.errors.UserError` for bad input; ``tenfold.cli.main`` prints it as one line.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from tenfold.common.config import PRESETS

Handler = Callable[[argparse.Namespace], int | None]


class HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default when the text does not state it already."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        shown = action.default not in (None, False, [], argparse.SUPPRESS)
        if action.option_strings and shown and "default" not in text.lower():
            text += " (default: %(default)s)"
        return text


class Parser(argparse.ArgumentParser):
    """argparse with tenfold's contract for bad input: one line on stderr naming the problem, exit code 2 (argparse's
    own error prints the usage block first). Sub-command parsers inherit the class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"tenfold: error: {message} (see `{self.prog} --help`)\n")


# -- argument types: what a number or a path must be, stated once for every command ---------------------------------


def _integer(text: str) -> int:
    # int("1e12") fails but float would accept it; one rule for every integer option: digits only
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got '{text}'") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


def positive_int(text: str) -> int:
    """An integer ≥ 1 (sizes, counts, steps, workers)."""
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(text: str) -> int:
    """An integer ≥ 0 (seeds; counts where 0 turns a step off)."""
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer ≥ 0, got {value}")
    return value


def positive_float(text: str) -> float:
    """A finite number > 0 (timeouts, budgets)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (a temperature, where 0 means greedy)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a number ≥ 0, got {text}")
    return value


def fraction(text: str) -> float:
    """A number in (0, 1] (a ratio, a probability mass)."""
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


def output_dir(text: str) -> Path:
    """A directory to write into: created when needed, refused when a file stands there (or on its way)."""
    path = Path(text).expanduser()
    _refuse_files_among(path, *path.parents)
    _check_writable(path)
    return path


def _refuse_files_among(*directories: Path) -> None:
    """Refuse a path one of whose would-be directories is an existing file."""
    for part in directories:
        if part.exists() and not part.is_dir():
            raise argparse.ArgumentTypeError(f"'{part}' is a file, not a directory")


def _check_writable(path: Path) -> None:
    """Refuse ``path`` when the directory that would hold it (itself, or its nearest existing parent) cannot be
    written: read-only, no permission, immutable. Checked before any work, so that a long run does not fail at its
    first write."""
    import os

    existing = next(p for p in (path, *path.absolute().parents) if p.exists())
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "" if existing == path else f" (its nearest existing parent '{existing}')"
        raise argparse.ArgumentTypeError(f"'{path}' cannot be written{where}: read-only or no permission")


def output_file(text: str) -> Path:
    """A file to write: refused when a directory stands there."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"'{path}' is a directory, not a file")
    _refuse_files_among(*path.parents)
    _check_writable(path if path.exists() else path.parent)
    return path


def existing_file(text: str) -> Path:
    """A file to read: it must exist and not be a directory."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"'{path}' does not exist")
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"'{path}' is a directory, not a file")
    return path


def existing_dir(text: str) -> Path:
    """A directory to read: it must exist and be a directory."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"'{path}' does not exist")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"'{path}' is a file, not a directory")
    return path


def existing_path(text: str) -> Path:
    """A file or directory to read: it must exist."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"'{path}' does not exist")
    return path


ARGUMENT_TYPES = (
    positive_int,
    non_negative_int,
    positive_float,
    non_negative_float,
    fraction,
    output_dir,
    output_file,
    existing_file,
    existing_dir,
    existing_path,
)
"""The converters every numeric and path option uses (the conformance suite checks that none uses a bare int, float
or Path, and feeds each kind the values it must refuse)."""


def add_group(subparsers: Any, name: str, help: str, description: str | None = None) -> Any:
    """A command group (``tenfold NAME COMMAND ...``) that prints its help when no command is given; returns the
    sub-parsers to add its commands to."""
    parser = subparsers.add_parser(name, help=help, description=description or help)
    inner = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND")
    parser.set_defaults(func=lambda _args: parser.print_help() or 2)
    return inner


def add_command(
    subparsers: Any, name: str, handler: Handler, help: str, overrides: bool = False, example: str = ""
) -> argparse.ArgumentParser:
    """Add a sub-command whose handler receives the parsed namespace; ``overrides`` makes it accept ``--k=v``.

    ``example`` is one complete command line, shown under ``--help``; the conformance suite parses every example
    and feeds the command damaged inputs through it, so every runnable command must have one.
    """
    epilog = f"example: {example}" if example else None
    parser = subparsers.add_parser(name, help=help, description=help, epilog=epilog)
    parser.set_defaults(func=handler, accepts_overrides=overrides)
    parser.example = example  # read back by the conformance suite
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
    parser.add_argument("--seed", type=non_negative_int, default=0, help="random seed (default 0)")
    if out_dir_help:
        parser.add_argument("--out-dir", type=output_dir, default=None, help=out_dir_help)
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
