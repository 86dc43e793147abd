"""Where projects come from: our toy projects with known outcomes, carved packages, a clone of the official dataset.

Thin entry points over :mod:`.toy`, :mod:`.carve` and :mod:`.project`, so that a reproduction or a user script can
say which projects it wants without knowing how each source is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tenfold.projecttest.carve import CARVED, CARVED_JS, carve, carve_js
from tenfold.projecttest.project import Project, load_official
from tenfold.projecttest.toy import write_java_toy_project, write_js_toy_project, write_toy_project

TOY = {"python": write_toy_project, "javascript": write_js_toy_project, "java": write_java_toy_project}


def toy_project(language: str, root: Path) -> Project:
    """The toy project of a language, written under ``root``."""
    return TOY[language](root)


@dataclass(frozen=True)
class NamedProject:
    """A project that ``tenfold projecttest run --projects NAME`` can build by name (``projects list`` shows these)."""

    name: str
    language: str
    source: str
    """where it comes from: a pinned PyPI/npm distribution, or ``toy (built in)``."""
    where: str
    """the module or files that make the project."""
    note: str
    build: Callable[[], Project]


def _cached_toy(language: str) -> Project:
    """The toy project of ``language``, written once into the cache (a run's sandbox copies it from there)."""
    from tenfold.common.cache import cached_dir

    root = cached_dir("projecttest-toy", {"language": language}, TOY[language], code=("tenfold.projecttest",))
    return TOY[language](root)


def named_projects() -> dict[str, NamedProject]:
    """Every project buildable by name — the carved packages and the toy project of each language — by name."""
    entries = [
        NamedProject(s.name, "python", s.requirement, s.module, s.note, lambda s=s: carve(s)) for s in CARVED.values()
    ]
    entries += [
        NamedProject(s.name, "javascript", s.package, ", ".join(s.entries), s.note, lambda s=s: carve_js(s))
        for s in CARVED_JS.values()
    ]
    for language, write in TOY.items():
        name = write.__defaults__[0]  # the toy's default project name ("calc", "shapes", "calcj")
        entries.append(
            NamedProject(
                name,
                language,
                "toy (built in)",
                "tenfold.projecttest.toy",
                "known outcomes for metric tests",
                lambda lang=language: _cached_toy(lang),
            )
        )
    return {e.name: e for e in entries}


def carved_projects(names: tuple[str, ...] | list[str] | None = None) -> list[Project]:
    """Carved Python projects (downloaded once from PyPI into the cache); all of them when ``names`` is None."""
    return [carve(CARVED[n]) for n in (list(CARVED) if names is None else names)]


def carved_js_projects(names: tuple[str, ...] | list[str] | None = None) -> list[Project]:
    """Carved JavaScript projects (downloaded once from npm into the cache); all of them when ``names`` is None."""
    return [carve_js(CARVED_JS[n]) for n in (list(CARVED_JS) if names is None else names)]


OFFICIAL_DATA = "projecttest-official"
"""The official benchmark's folder name under the shared data (see :func:`official_dataset`)."""


def official_dataset() -> Path | None:
    """The official benchmark where the machine provides it (``$TENFOLD_SHARED_DATA/projecttest-official`` or
    ``../shared/data/projecttest-official``), else None: pass ``--dataset`` for a clone elsewhere."""
    from tenfold.common.paths import shared_data

    return shared_data(OFFICIAL_DATA)


def official_projects(dataset_root: Path, language: str) -> list[Project]:
    return load_official(dataset_root, language)
