"""Registries: named, swappable parts (models, corpora, tokenizers, …) and the systems of tenfold.

A system registers itself with a :class:`SystemSpec` named ``SYSTEM`` in its package ``__init__`` (kept import-light):
its paper, the CLI hook, the reproduction entry point and the paper's claims. ``tenfold.systems`` lists the ten
systems in order, with the papers of the ones not built yet, so that the CLI and the report can show them as such.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
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
class Claim:
    """One headline claim of a paper that a reproduction checks."""

    id: str
    """short stable identifier, e.g. ``"ppl_below_unigram"``."""
    text: str
    """the claim in words."""
    paper: str
    """the paper's figure as published (or "qualitative")."""
    command: str
    """the command that produces our row."""


@dataclass
class ClaimResult:
    """Our measurement of one claim."""

    claim: Claim
    ours: str
    """our figure, formatted."""
    holds: bool | None
    """whether the claim holds at this scale; None when it cannot be judged here."""
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    """the raw numbers behind ``ours``."""


@dataclass
class Reproduction:
    """What a system's reproduction entry point returns."""

    system: str
    preset: str
    seed: int
    results: list[ClaimResult]
    run_dirs: list[Path] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


ReproduceFn = Callable[..., Reproduction]
"""``reproduce(preset: str, out_dir: Path, seed: int) -> Reproduction``."""


@dataclass(frozen=True)
class SystemSpec:
    """A tenfold system (or the shared core) as the CLI and the report see it."""

    name: str
    paper: Paper | None
    summary: str
    status: Literal["built", "in progress", "planned", "core"] = "built"
    cli: str | None = None
    """``"module:function"``; the function adds the system's sub-commands to an argparse sub-parser."""
    reproduce: str | None = None
    """``"module:function"`` of the reproduction entry point (:data:`ReproduceFn`)."""
    claims: tuple[Claim, ...] = ()

    def load_cli(self) -> Callable[[Any], None] | None:
        return _load(self.cli) if self.cli else None

    def load_reproduce(self) -> ReproduceFn | None:
        return _load(self.reproduce) if self.reproduce else None


def _load(target: str) -> Any:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def systems(include_core: bool = True) -> list[SystemSpec]:
    """Every system in the order of ``tenfold.systems.ORDER``: the built ones from their packages, the rest as
    planned. The shared cores (``tenfold.systems.CORE``) come first when ``include_core``."""
    from tenfold import systems as catalog

    specs = [_system_spec(name, catalog) for name in catalog.ORDER]
    if include_core:
        specs[:0] = [importlib.import_module(f"tenfold.{name}").SYSTEM for name in catalog.CORE]
    return specs


def _system_spec(name: str, catalog: Any) -> SystemSpec:
    try:
        module = importlib.import_module(f"tenfold.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tenfold.{name}":
            raise
        return catalog.ROADMAP[name]
    spec = getattr(module, "SYSTEM", None)
    return spec if spec is not None else catalog.ROADMAP[name]


def get_system(name: str) -> SystemSpec:
    """The spec of system ``name`` (or ``lm``); a :class:`UserError` listing the names otherwise."""
    for spec in systems():
        if spec.name == name:
            return spec
    names = ", ".join(s.name for s in systems())
    raise UserError(f"unknown system '{name}'; known: {names}")
