"""Where tenfold keeps things it can rebuild: the cache of prepared corpora, tokenizers and trained models."""

from __future__ import annotations

import os
from pathlib import Path

CACHE_ENV = "TENFOLD_CACHE"
"""Environment variable that overrides the cache directory."""


def cache_root() -> Path:
    """``$TENFOLD_CACHE`` (default: the user's cache dir, e.g. ``~/.cache/tenfold``); not created here."""
    root = os.environ.get(CACHE_ENV)
    if root:
        return Path(root).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("tenfold", appauthor=False))


def check_cache_writable() -> Path:
    """The cache root, created if needed; a :class:`~tenfold.common.errors.UserError` when it cannot be written
    (for commands that would otherwise find out only at their first store, after minutes of work)."""
    from tenfold.common.errors import UserError

    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"cannot create the cache '{root}' ({exc.strerror}); set {CACHE_ENV} to a writable directory"
        ) from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise UserError(f"the cache '{root}' cannot be written; set {CACHE_ENV} to a writable directory")
    return root


def cache_dir(*parts: str) -> Path:
    """``$TENFOLD_CACHE/<parts>``, created on demand: for tools tenfold installs for itself (a Node toolchain, a
    virtual environment); results keyed by what made them go through :mod:`tenfold.common.cache`."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file so that a kill never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


SHARED_DATA_ENV = "TENFOLD_SHARED_DATA"
"""Environment variable naming the folder of externally provided datasets (default: ``../shared/data`` beside the
checkout, where the project's machines place them)."""


def shared_data(name: str) -> Path | None:
    """``<shared data>/<name>`` if it exists, else None: data we may read but never copy into the repository.

    The folder is ``$TENFOLD_SHARED_DATA``, else ``shared/data`` beside the checkout (``../shared/data`` from the
    repository root), else beside the working directory.
    """
    env = os.environ.get(SHARED_DATA_ENV)
    roots = [Path(env).expanduser()] if env else []
    roots += [Path(__file__).resolve().parents[3].parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for root in roots:
        if (root / name).is_dir():
            return root / name
    return None
