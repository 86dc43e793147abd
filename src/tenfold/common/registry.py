"""Registries: named, swappable parts (models, corpora, tokenizers, …) and the systems of tenfold.

A system describes itself with a :class:`SystemSpec` named ``SYSTEM`` in its package ``__init__`` (kept
import-light): its paper, status and package. The catalogue of the ten systems, in order, is ``tenfold.systems``.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from tenfold.common.errors import UserError

T = TypeVar("T")


class Registry(Generic[T]):
    """A name → object map with a description per entry and helpful errors for unknown names."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}
        self._descriptions: dict[str, str] = {}

    def register(self, name: str, obj: T, description: str = "") -> T:
        if name in self._items:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._items[name] = obj
        self._descriptions[name] = description
        return obj

    def get(self, name: str) -> T:
        """The entry called ``name``; a :class:`UserError` naming the close matches otherwise."""
        try:
            return self._items[name]
        except KeyError:
            close = difflib.get_close_matches(name, self._items, n=3)
            hint = f" (did you mean {', '.join(close)}?)" if close else ""
            raise UserError(f"unknown {self.kind} '{name}'{hint}; known: {', '.join(self._items) or 'none'}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def names(self) -> list[str]:
        return list(self._items)

    def describe(self, name: str) -> str:
        return self._descriptions[name]


# -- systems ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Paper:
    """The publication a system implements."""

    title: str
    authors: tuple[str, ...]
    arxiv: str
    """arXiv identifier, e.g. ``"2502.15612"``."""

    @property
    def url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv}"

    def short_authors(self) -> str:
        return self.authors[0] + (
            " et al." if len(self.authors) > 2 else f" & {self.authors[1]}" if len(self.authors) == 2 else ""
        )


@dataclass(frozen=True)
class SystemSpec:
    """A tenfold system (or the shared core) as the CLI and the report see it.

    A built system's package (``module``) follows one layout, from which everything else is found: ``cli.py``
    (``register``: adds its sub-commands), ``claims.py`` (``CLAIMS``) and ``reproduce.py`` (``REPRODUCER``). A
    planned system has no module yet.
    """

    name: str
    paper: Paper | None
    summary: str
    status: Literal["built", "in progress", "planned", "core"] = "built"
    module: str | None = None
    """the package, e.g. ``"tenfold.latim"`` (None while planned)."""

    @property
    def reproducer(self) -> str | None:
        """``"module:attribute"`` of the :class:`~tenfold.common.reproduce.Reproducer` (None while planned)."""
        return f"{self.module}.reproduce:REPRODUCER" if self.module else None

    def load_cli(self) -> Callable[[Any], None] | None:
        return _load(f"{self.module}.cli:register") if self.module else None

    def load_claims(self) -> tuple[Any, ...]:
        """The system's claims (:class:`~tenfold.common.claims.Claim`), without importing its heavy modules."""
        return tuple(_load(f"{self.module}.claims:CLAIMS")) if self.module else ()

    def load_reproducer(self) -> Any:
        if self.reproducer is None:
            raise UserError(f"{self.name} is not built yet")
        return _load(self.reproducer)

    @property
    def readme(self) -> Path | None:
        """The system's README (where its paper-vs-ours table lives)."""
        if not self.module:
            return None
        spec = importlib.util.find_spec(self.module)
        if spec is None or not spec.submodule_search_locations:
            return None
        return Path(next(iter(spec.submodule_search_locations))) / "README.md"


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
