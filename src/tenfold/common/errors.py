"""Errors that mean "the user asked for something that cannot be done", as opposed to bugs.

The CLI prints a :class:`UserError` as one line (``tenfold: error: ...``) and exits with code 2; any other exception
is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input: a missing path, an unknown name, a corrupt file, a missing optional package."""

    exit_code = 2


def missing_package(package: str, purpose: str, extra: str | None = None) -> UserError:
    """The one-line error for an optional dependency that is not installed.

    Args:
        package: the PyPI name to install.
        purpose: what needed it, e.g. "the dialogue corpus".
        extra: the tenfold extra that provides it, if any.
    """
    hint = f"pip install {package}" if extra is None else f"pip install {package}  (or: pip install 'tenfold[{extra}]')"
    return UserError(f"{purpose} needs the Python package '{package}', which is not installed: {hint}")


class TrainingDiverged(UserError):
    """A training run whose loss became NaN or infinite: it stops (its last good checkpoint kept) and the command
    exits with 1 — a failed run, not bad input."""

    exit_code = 1
