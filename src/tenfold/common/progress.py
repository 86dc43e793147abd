"""Progress bars that show on a terminal and stay silent in logs, CI and tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


def progress_enabled() -> bool:
    """True when stderr is a terminal and ``TENFOLD_PROGRESS`` is not ``0`` (``1`` forces bars on)."""
    flag = os.environ.get("TENFOLD_PROGRESS")
    if flag is not None:
        return flag not in ("0", "false", "no", "")
    return sys.stderr.isatty()


def progress(iterable: Iterable[T] | None = None, total: int | None = None, desc: str = "", **kwargs: Any):
    """A ``tqdm`` bar (or a no-op one) over ``iterable``; usable as an iterator or as a context manager."""
    from tqdm.auto import tqdm

    return tqdm(
        iterable, total=total, desc=desc, disable=not progress_enabled(), dynamic_ncols=True, leave=False, **kwargs
    )


def track(iterable: Iterable[T], desc: str = "", total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    yield from progress(iterable, total=total, desc=desc)
