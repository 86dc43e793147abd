"""Where projects come from: our toy projects with known outcomes, carved packages, a clone of the official dataset.

Thin entry points over :mod:`.toy`, :mod:`.carve` and :mod:`.project`, so that a reproduction or a user script can
say which projects it wants without knowing how each source is built.
"""

from __future__ import annotations

from pathlib import Path

from tenfold.projecttest.carve import CARVED, CARVED_JS, carve, carve_js
from tenfold.projecttest.project import Project, load_official
from tenfold.projecttest.toy import write_java_toy_project, write_js_toy_project, write_toy_project

TOY = {"python": write_toy_project, "javascript": write_js_toy_project, "java": write_java_toy_project}


def toy_project(language: str, root: Path) -> Project:
    """The toy project of a language, written under ``root``."""
    return TOY[language](root)


def carved_projects(names: tuple[str, ...] | list[str] | None = None) -> list[Project]:
    """Carved Python projects (downloaded once from PyPI into the cache); all of them when ``names`` is None."""
    return [carve(CARVED[n]) for n in (list(CARVED) if names is None else names)]


def carved_js_projects(names: tuple[str, ...] | list[str] | None = None) -> list[Project]:
    """Carved JavaScript projects (downloaded once from npm into the cache); all of them when ``names`` is None."""
    return [carve_js(CARVED_JS[n]) for n in (list(CARVED_JS) if names is None else names)]


def official_projects(dataset_root: Path, language: str) -> list[Project]:
    return load_official(dataset_root, language)
