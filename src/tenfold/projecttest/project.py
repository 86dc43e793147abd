"""Projects: a directory of source files, a language and metadata (ProjectTest, Sec. 2).

A project is read-only input: runners copy it before they add tests, and :func:`fingerprint` lets a sweep check that
the source is byte-identical afterwards. Loaders: any directory (:func:`load_project`), a clone of the official
dataset (:func:`load_official`), and our own toy projects with known behaviour (:mod:`.toy`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from tenfold.common.errors import UserError

LANGUAGES = {"python": (".py",), "javascript": (".js", ".mjs"), "java": (".java",)}
"""Source file suffixes per language."""

_SKIP_DIRS = {"__pycache__", "node_modules", ".git", "target", "build", "dist", ".venv", "coverage"}


def is_test_file(rel: str, language: str) -> bool:
    """Generated and hand-written test files are not sources (their names as the paper writes them)."""
    name = Path(rel).name
    if language == "python":
        return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"
    if language == "javascript":
        return ".test." in name or ".spec." in name
    return name.endswith("Test.java") or "/src/test/" in f"/{rel}"


@dataclass(frozen=True)
class Project:
    """A project to write tests for."""

    name: str
    """the folder name; for Python it is also the package name (``from uno.round import ...``)."""
    language: str
    root: Path
    files: tuple[str, ...]
    """source files relative to ``root``, sorted (the official code uses ``os.listdir`` order; we fix it)."""
    meta: dict = field(default_factory=dict, hash=False, compare=False)

    def read(self, rel: str) -> str:
        return (self.root / rel).read_text(encoding="utf-8", errors="replace")

    @property
    def lines(self) -> int:
        return sum(self.read(f).count("\n") + 1 for f in self.files)


def check_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UserError(f"unknown language '{language}' (choose from {', '.join(LANGUAGES)})")
    return language


def source_files(root: Path, language: str) -> tuple[str, ...]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or _SKIP_DIRS & set(Path(rel).parts[:-1]):
            continue
        if path.suffix in LANGUAGES[language] and not is_test_file(rel, language):
            out.append(rel)
    return tuple(out)


def detect_language(root: Path) -> str:
    counts = {lang: len(source_files(root, lang)) for lang in LANGUAGES}
    lang, n = max(counts.items(), key=lambda kv: kv[1])
    if n == 0:
        raise UserError(f"project '{root}' has no Python, JavaScript or Java source files")
    return lang


def load_project(
    root: str | Path, language: str | None = None, name: str | None = None, allow_empty: bool = False, **meta
) -> Project:
    """A project from a directory. An empty project (no source files of its language) is an error, unless
    ``allow_empty`` (a sweep records it with its reason instead)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"project directory '{root}' does not exist")
    language = check_language(language) if language else detect_language(root)
    files = source_files(root, language)
    if not files and not allow_empty:
        raise UserError(f"project '{root}' has no {language} source files")
    return Project(name or root.name, language, root, files, dict(meta))


def load_official(dataset_root: str | Path, language: str) -> list[Project]:
    """Projects of a local clone of github.com/YiboWANG214/ProjectTest: ``dataset/<lang>/<project>/``."""
    check_language(language)
    folder = {"python": "python", "javascript": "javascript", "java": "java"}[language]
    base = Path(dataset_root) / "dataset" / folder
    if not base.is_dir():
        raise UserError(f"'{dataset_root}' is not a ProjectTest clone (no dataset/{folder}/)")
    projects = []
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
        if source_files(d, language):
            projects.append(load_project(d, language, source="official"))
    return projects


def fingerprint(root: Path) -> str:
    """SHA-256 over every file's path and bytes under ``root`` (to prove a run left the source untouched)."""
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()
