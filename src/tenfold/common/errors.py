"""Errors that mean "the user asked for something that cannot be done", as opposed to bugs.

The CLI prints a :class:`UserError` as one line (``tenfold: error: ...``) and exits with code 2; any other exception
is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
from pathlib import Path


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


PATH_HINTS = {
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.EEXIST: "it already exists",
    errno.EISDIR: "it is a directory where a file is expected",
    errno.ENOTDIR: "a file stands where a directory is expected",
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
}
"""The ``OSError`` families that are about a path the user gave (an output place, an input file, the cache)."""


def path_error(exc: OSError) -> str | None:
    """One line naming the path and what to do, for an ``OSError`` about a user's path; None for any other."""
    from tenfold.common.paths import CACHE_ENV, cache_root

    if exc.errno not in PATH_HINTS or not exc.filename:
        return None
    path = Path(exc.filename2 or exc.filename)  # a rename names its target second
    what = PATH_HINTS[exc.errno]
    if exc.errno == errno.EEXIST and path.is_file():
        what = "it is a file where a directory is expected"
    if path.is_relative_to(cache_root()):
        todo = f"set {CACHE_ENV} to a writable directory"
    elif exc.errno in (errno.ENOSPC, errno.EDQUOT):
        todo = "free space or write elsewhere"
    else:
        todo = "choose another path (--out-dir) or fix its permissions"
    return f"cannot use '{path}': {what}; {todo}"
